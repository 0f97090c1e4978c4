// Package tess reads plate crops with Tesseract through a small bridge over
// its C API (tesseract/capi.h, file capi.go). It is the
// only cgo package of alprd; everything else in ocr/ is pure Go, and a test in
// package ocr keeps it that way.
//
// Built without cgo (CGO_ENABLED=0) the package still compiles, but Open
// returns ErrNoCgo, so pure-Go builds of the rest of the tree keep working.
//
// A Reader wraps one Tesseract handle and is not safe for concurrent use:
// make one per worker goroutine. New does no I/O; Open loads the language
// model (tens of milliseconds to a few hundred, and some tens of MB of memory
// per Reader) and reports a missing language or tessdata directory; Close
// releases the handle.
//
// Read prepares the crop for Tesseract (contrast stretch, dark characters on
// a light background, cut to the plate's light body, keep only the main row
// of characters, followed along a tilted plate and including those that
// touch a frame, a graphic or a bar that is dropped, scale them to
// Config.CharHeight, optional Otsu binarisation, a white margin) and
// recognises it with the models of Config.Language. For Tesseract's
// English model the characters are also widened to the aspect of book
// fonts: plate fonts are condensed, and read as they are the model takes a
// plate's M for an H and its 4 for an L (see autoWide). The models:
//
//   - PlateModel ("plate", the default): alprd's own LSTM model, built into
//     the package (model/plate.traineddata, a few hundred kB). It was
//     trained from scratch by train/train.sh on synthesized plates only
//     (many typefaces, plate clutter, camera blur and noise), each passed
//     through the same preparation as a crop, and reads the prepared line
//     whole (page segmentation mode 13).
//   - A Tesseract language from Config.TessdataPrefix, such as "eng", read
//     as a single text line (mode 7).
//   - Both ("plate+eng"): the two readings are merged character by
//     character when they have as many characters, the English model's
//     confidences weighing more (see plateWeight); otherwise the more
//     confident one is kept, and where it read a character outside the
//     whitelist (a 2 read as "e"), the other's character there, aligned
//     by their boxes. Before that, each drops the symbols whose boxes are
//     off the row of characters (too short, or above or below it), and
//     the plate model the symbols that the other reads as a mark ("@",
//     "+", "©": a logo between the characters), unless the glyph there
//     matches the plate model's character well: then the mark is a
//     character misread (English reads some fonts' 0 as "@").
//
// The characters read are then checked against their glyphs (see
// glyph.go): each glyph, the character's box in the prepared crop, is
// compared with templates of every letter and digit drawn in monospaced
// fonts (model/glyphs.bin, made by make glyph-templates). A W, M, N or H
// becomes the one of those four letters whose templates match clearly
// better (both models take the narrow W and M of US plates for N and H),
// and a character takes another of its choices when that one matches
// clearly better and is not its look-alike (0/O/D/Q, 2/Z, 1/I: the plate
// syntax settles those); an I drawn as a bar with a flag becomes a 1.
// Then a small neural network trained on synthesized glyphs (see
// glyphnet.go) weighs each character's choices with its probabilities,
// and offers the characters the models missed (see fuse).
// Before reading, emblems kept in the row of characters (a state's peach
// or compass) are painted out when their glyph matches no character (see
// dropLogos).
//
// A reading of low confidence is read again at another scale, and the more
// confident reading kept (see secondBelow).
//
// Ranked candidates are built from Tesseract's per-character alternatives
// (its LSTM "choices"), by a beam search over the positions, together with
// those of each model's own reading (and of the second read), so one recognition yields the top-N plates that a
// later stage (state patterns, voting over frames) can pick from. Tesseract
// itself runs without a character whitelist: with one, its LSTM drops a
// character whose best choice is not allowed (a plate font's "7" read as "/")
// instead of taking the next best; Config.Whitelist is applied to the
// choices instead.
//
// Why not gosseract (which the first version used): v2.4.1 never frees the
// strings Tesseract returns (UTF8Text, HOCRText, the words of
// GetBoundingBoxes), so every read leaked its hOCR text, about 4.5 kB (some
// 800 MB a day on a unit); it takes images only as encoded files (a PGM
// round trip per read); and it offers no choice iterator, so the
// per-character alternatives had to be parsed back out of hOCR. The bridge
// hands Tesseract raw grey pixels, reads symbols, boxes and choices straight
// from the result iterator, and frees everything before it returns; a test
// checks that the C heap does not grow over thousands of reads. It also keeps
// Tesseract on the calling thread: Debian's build uses OpenMP, whose four
// threads per LSTM step made a read 3-5 times slower on a busy Pi-class CPU.
package tess
