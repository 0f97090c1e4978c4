// Package syntax corrects plate readings by the plate syntax of a
// jurisdiction.
//
// OCR confuses characters that look alike: 0 and O, 1 and I, 8 and B, 5 and S,
// 2 and Z. Where a plate format says a position holds a letter, a digit read
// there is most likely its look-alike letter, and the other way round. A
// [Corrector] knows the plate formats (templates) of the regions it was made
// for, maps confusable characters position by position for every template
// whose length fits a candidate, and re-ranks the candidates so that a reading
// that fits a template wins over one that does not. A reading that fits no
// template within a couple of substitutions, a personalised plate for one, is
// kept as read.
//
// # Templates
//
// Templates are data, embedded from templates/*.txt. The file name is the
// region: us.txt holds region "us". One template a line:
//
//	JURISDICTION  PATTERN  EXAMPLE  NOTE...
//
// Fields are separated by blanks; '#' starts a comment that runs to the end of
// the line; blank lines are ignored.
//
//   - JURISDICTION is the region itself ("br") or the region, a dash and a
//     two- or three-letter lower-case code ("us-ca", "eu-sk").
//   - PATTERN is one class a character: L a letter, D a digit, A either. The
//     separators '-' and '.' mark fixed gaps printed on the plate; they are
//     ignored when matching, and may neither start nor end a pattern nor
//     follow each other. A pattern has 2 to 10 classes.
//   - EXAMPLE is a plate in upper-case letters and digits that fits PATTERN.
//   - NOTE is free text: the kind of plate, the years it was issued.
//
// Decoding is strict: an unknown class, a malformed jurisdiction, an example
// that does not fit, or the same pattern twice for a jurisdiction is an error
// that names the file and the line.
//
// # Regions
//
// [New] takes regions: a whole file ("us", "eu", "br") or single
// jurisdictions ("us-ca", "eu-sk"); a jurisdiction narrows the templates to
// its own, which makes corrections both more frequent and safer. [Regions]
// lists the known names.
package syntax
