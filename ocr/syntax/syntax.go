package syntax

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"alprd/ocr"
)

// Scoring, in confidence points (0..100). A candidate fitting a template with
// only letters and digits gains fitBonus; templates with A positions say less
// and gain proportionally less. Each substitution costs the penalty of the
// character replaced (subPenalty), so that a corrected form beats the form as
// read (at most 2 substitutions), an exact fit beats a corrected one, and a
// reading that fits nothing competes with its confidence alone. A
// substitution the reader did not offer (see backing) costs fitBonus more.
const (
	fitBonus      = 12.0
	maxCandidates = 10 // length of the re-ranked Candidates
)

// toLetter and toDigit map a character to its look-alike of the other kind;
// 0 means it has none.
var (
	toLetter = [256]byte{'0': 'O', '1': 'I', '2': 'Z', '4': 'A', '5': 'S', '6': 'G', '7': 'T', '8': 'B'}
	toDigit  = [256]byte{'A': '4', 'B': '8', 'D': '0', 'G': '6', 'I': '1', 'L': '1', 'O': '0', 'Q': '0', 'S': '5', 'T': '7', 'Z': '2'}
)

// subPenalty is the cost of replacing the character read by its look-alike:
// the shapes OCR confuses most cost least.
var subPenalty = [256]float64{
	'0': 3, 'O': 3, 'D': 3, // round
	'1': 3, 'I': 3, // stroke
	'8': 3, 'B': 3,
	'5': 3, 'S': 3,
	'2': 3, 'Z': 3,
	'6': 5, 'G': 5,
	'4': 5, 'A': 5,
	'7': 5, 'T': 5,
	'Q': 5, 'L': 5,
}

// pattern is one distinct template pattern among the configured regions,
// with every jurisdiction that uses it.
type pattern struct {
	classes       string   // "DLLLDDD"
	maxSubs       int      // substitutions allowed to fit it
	bonus         float64  // added to a candidate's score when it fits
	jurisdictions []string // in template order
}

// Corrector corrects readings by the plate templates of its regions. It is
// immutable once made and safe for concurrent use.
type Corrector struct {
	regions []string
	byLen   [maxLen + 1][]pattern
	// zeroO: the letter O is read as the digit 0 wherever no template
	// wants a letter (see zeroRegions).
	zeroO bool
}

// zeroRegions are the regions whose plates print the letter O and the
// digit 0 alike, and whose serial formats seldom issue the letter O: many
// US states leave O (with I and Q) out of their serials, and on most US
// plates O and 0 are one glyph, so that no reader can tell them apart. In
// the labelled US photos O is the rarest letter and 0 the commonest digit,
// personalised plates' O included. There a reading's O becomes 0 wherever
// no template fitted wants a letter (in a plate that fits no template,
// everywhere): one spelling for one glyph, the likelier one. On crops-us
// this took top-1 from 74.2 to 76.1 %, endtoend-us from 53.8 to 54.7 %.
var zeroRegions = []string{"us"}

var _ ocr.Corrector = (*Corrector)(nil)

// New returns a Corrector for the templates of the given regions: whole
// regions ("us", "eu", "br") or jurisdictions ("us-ca", "eu-sk"), in any case.
// It fails when no region is given or a region is unknown; the error lists the
// known ones. New does no I/O: the templates are embedded.
func New(regions ...string) (*Corrector, error) {
	ts, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	known := knownRegions(ts)
	if len(regions) == 0 {
		return nil, fmt.Errorf("syntax: no region given (known: %s)", strings.Join(known, ", "))
	}
	want := map[string]bool{}
	c := &Corrector{}
	for _, r := range regions {
		r = strings.ToLower(strings.TrimSpace(r))
		if _, ok := slices.BinarySearch(known, r); !ok {
			return nil, fmt.Errorf("syntax: unknown region %q (known: %s)", r, strings.Join(known, ", "))
		}
		if !want[r] {
			want[r] = true
			c.regions = append(c.regions, r)
		}
	}
	for _, t := range ts {
		if want[t.region] || want[t.jurisdiction] {
			c.add(t)
			c.zeroO = c.zeroO || slices.Contains(zeroRegions, t.region)
		}
	}
	return c, nil
}

func (c *Corrector) add(t template) {
	n := len(t.classes)
	for i := range c.byLen[n] {
		p := &c.byLen[n][i]
		if p.classes == t.classes {
			if !slices.Contains(p.jurisdictions, t.jurisdiction) {
				p.jurisdictions = append(p.jurisdictions, t.jurisdiction)
			}
			return
		}
	}
	fixed := n - strings.Count(t.classes, string(rune(either)))
	c.byLen[n] = append(c.byLen[n], pattern{
		classes: t.classes,
		// Never more than 2 substitutions, and fewer when the template is
		// short or says little: a third of the positions it fixes.
		maxSubs:       min(2, (n-1)/3, fixed/3),
		bonus:         fitBonus * float64(fixed) / float64(n),
		jurisdictions: []string{t.jurisdiction},
	})
}

// HasLength reports whether some template has n characters.
func (c *Corrector) HasLength(n int) bool { return n >= 0 && n <= maxLen && len(c.byLen[n]) > 0 }

// Regions returns the regions the Corrector was made for, normalised, in the
// order given to New.
func (c *Corrector) Regions() []string { return slices.Clone(c.regions) }

// entry is a plate text with its ranking score.
type entry struct {
	text  string
	score float64
}

// Correct returns r with its text corrected by the templates and its
// candidates re-ranked.
//
// Every candidate (and r.Text, when it is not among them) is tried against
// every template of its length: where the template wants a letter a digit is
// replaced by its look-alike letter (0→O, 1→I, 2→Z, 4→A, 5→S, 6→G, 7→T, 8→B)
// and where it wants a digit a letter by its look-alike digit (O, D, Q→0;
// I, L→1; Z→2; A→4; S→5; G→6; T→7; B→8). A template fits when every position
// matches or has a look-alike and few enough substitutions are needed: at
// most 2, and no more than a third of the positions after the first (1 for
// templates of 4 to 6 characters, none for 3 or fewer) nor than a third of
// the positions the template fixes to L or D. Each form scores its
// candidate's confidence, minus a penalty per substitution (the template's
// bonus more for a look-alike no candidate offers, see backing), plus a
// bonus when it fits a template; forms as read are kept with their own
// confidence.
//
// The result's Candidates are the distinct forms by score, best first, at most
// 10, with the score clamped to 0..100 as Confidence; Text and Confidence are
// the best one's. Ties keep candidate order, then template order. Raw is kept.
// When no candidate fits any template r is returned unchanged: a reading that
// fits no plate format, a personalised plate for one, is kept as read. In
// the regions of zeroRegions (the US) every O becomes 0 wherever the
// template fitted does not want a letter, and everywhere in a reading that
// fits none; the form as read stays among the candidates, below.
func (c *Corrector) Correct(r ocr.Reading) ocr.Reading {
	var buf [64]entry
	ents := buf[:0]
	fitted := false
	var bk backing
	bk.of(r)
	if r.Text != "" && !slices.ContainsFunc(r.Candidates, func(cd ocr.Candidate) bool { return cd.Text == r.Text }) {
		ents, fitted = c.consider(ents, r.Text, r.Confidence, &bk)
	}
	for _, cd := range r.Candidates {
		var ok bool
		ents, ok = c.consider(ents, cd.Text, cd.Confidence, &bk)
		fitted = fitted || ok
	}
	if !fitted {
		return c.zeroAll(r)
	}
	slices.SortStableFunc(ents, func(a, b entry) int { return cmp.Compare(b.score, a.score) })
	ents = ents[:min(len(ents), maxCandidates)]
	out := make([]ocr.Candidate, len(ents))
	for i, e := range ents {
		out[i] = ocr.Candidate{Text: e.text, Confidence: clamp(e.score)}
	}
	r.Text, r.Confidence, r.Candidates = out[0].Text, out[0].Confidence, out
	return r
}

// consider adds the candidate text as read and every corrected form of it
// that fits a template; fitted reports whether any template fits. bk holds
// the characters the reading's candidates offer.
func (c *Corrector) consider(ents []entry, text string, conf float64, bk *backing) (_ []entry, fitted bool) {
	text = clean(text)
	if text == "" {
		return ents, false
	}
	conf = clamp(conf)
	// The form as read first: ties go to the earlier form. When its O
	// become 0 (see zero), last: a template's letter O then wins the tie.
	read := c.zero(text, "")
	if read == text {
		ents = addEntry(ents, read, conf)
	}
	if len(text) > maxLen {
		return ents, false
	}
	var b [maxLen]byte
	for _, p := range c.byLen[len(text)] {
		_, penalty, ok := fit(text, p.classes, p.maxSubs)
		if !ok {
			continue
		}
		penalty += fitBonus * float64(bk.unbacked(text, p.classes))
		fitted = true
		score := conf - penalty + p.bonus
		fixed := b[:len(text)]
		copy(fixed, text)
		substitute(fixed, p.classes)
		ents = addEntry(ents, c.zero(string(fixed), p.classes), score)
	}
	if read != text {
		// And the form as read, below the templates' and the look-alike
		// substitutions' forms.
		ents = addEntry(ents, read, conf)
		ents = addEntry(ents, text, conf-subPenalty['O'])
	}
	return ents, fitted
}

// backing holds, for each reading length and position, the characters that
// some candidate of that length has there: what the reader offered.
//
// A template may replace a character by its look-alike only at the cost of
// its bonus when no candidate offers the look-alike there. Where the
// reading has a single candidate of a length, the reader offered no
// alternatives, and every substitution of that length is backed. Most
// look-alikes differ in shape (2 and Z, 5 and S, 8 and B, 7 and T, 1 and
// L, 0 and D, 6 and G, 4 and A), and the reader's character networks tell
// them apart; when the reader never offered a 5 where it read S, a
// template's 5 is a guess against the pixels, and personalised plates
// (QUILLS, LTLGT0, L0LWUT) are the plates that fit no template but one
// substitution away. O and 0, and I and 1, are one glyph on many plates
// (US, Brazil), so that the reader cannot be expected to offer both: those
// substitutions need no backing. Measured with alpreval: crops-us top-1
// 83.2 → 84.5 % (5 personalised plates kept as read, none lost); the other
// sets read the same plates. Without the O/0, I/1 exemption endtoend-br
// lost 4 plates (OUPI442 for OUP1442); with it only outside the US,
// crops-us read one plate more and one fewer.
type backing struct {
	chars [maxLen + 1][maxLen]uint64 // by length and position, a bit per character (charBit)
	first [maxLen + 1]string         // the first candidate of each length
	many  [maxLen + 1]bool           // more than one candidate of that length
}

// of records what r's text and candidates offer.
func (bk *backing) of(r ocr.Reading) {
	add := func(text string) {
		text = clean(text)
		n := len(text)
		if n == 0 || n > maxLen {
			return
		}
		switch {
		case bk.first[n] == "":
			bk.first[n] = text
		case text != bk.first[n]:
			bk.many[n] = true
		}
		for i := 0; i < n; i++ {
			bk.chars[n][i] |= 1 << charBit(text[i])
		}
	}
	add(r.Text)
	for _, cd := range r.Candidates {
		add(cd.Text)
	}
}

// unbacked counts the substitutions text needs to fit classes that no
// candidate backs, O/0 and I/1 aside. text must fit classes (see fit).
func (bk *backing) unbacked(text, classes string) int {
	if !bk.many[len(text)] {
		return 0
	}
	n := 0
	for i := 0; i < len(text); i++ {
		ch := text[i]
		to := swap(ch, classes[i])
		switch ch {
		case 'O', '0', 'I', '1':
			continue
		}
		if to != 0 && bk.chars[len(text)][i]&(1<<charBit(to)) == 0 {
			n++
		}
	}
	return n
}

// charBit numbers the letters and digits 0..35.
func charBit(ch byte) uint {
	if isDigit(ch) {
		return uint(ch - '0')
	}
	return 10 + uint(ch-'A')
}

// zeroAll returns r with its text and candidates' O made 0 (see zero),
// in their order; candidates that become the same are kept once, and the
// text as read, when it changed, last.
func (c *Corrector) zeroAll(r ocr.Reading) ocr.Reading {
	text := c.zero(r.Text, "")
	if text == r.Text && !slices.ContainsFunc(r.Candidates, func(cd ocr.Candidate) bool { return c.zero(cd.Text, "") != cd.Text }) {
		return r
	}
	var cs []ocr.Candidate
	add := func(cd ocr.Candidate) {
		if !slices.ContainsFunc(cs, func(o ocr.Candidate) bool { return o.Text == cd.Text }) {
			cs = append(cs, cd)
		}
	}
	for _, cd := range r.Candidates {
		cd.Text = c.zero(cd.Text, "")
		add(cd)
	}
	if text != r.Text {
		conf := r.Confidence
		if len(cs) > 0 {
			conf = min(conf, cs[len(cs)-1].Confidence)
		}
		add(ocr.Candidate{Text: r.Text, Confidence: conf})
	}
	r.Text, r.Candidates = text, cs
	return r
}

// zero returns text with each O where classes (a template's, "" for none)
// does not want a letter replaced by 0, when the Corrector's regions read O
// as 0 (see zeroRegions); otherwise text.
func (c *Corrector) zero(text, classes string) string {
	if !c.zeroO || !strings.ContainsRune(text, 'O') {
		return text
	}
	b := []byte(text)
	for i, ch := range b {
		if ch == 'O' && (classes == "" || classes[i] != letter) {
			b[i] = '0'
		}
	}
	return string(b)
}

// addEntry adds text with score, or raises the score of the entry that has
// that text already.
func addEntry(ents []entry, text string, score float64) []entry {
	if i := slices.IndexFunc(ents, func(e entry) bool { return e.text == text }); i >= 0 {
		ents[i].score = max(ents[i].score, score)
		return ents
	}
	return append(ents, entry{text: text, score: score})
}

// fit reports whether text fits classes with at most maxSubs substitutions,
// how many it needs and their penalty. text and classes have the same length.
func fit(text, classes string, maxSubs int) (subs int, penalty float64, ok bool) {
	if len(text) != len(classes) {
		return 0, 0, false
	}
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch classes[i] {
		case letter:
			if isUpper(ch) {
				continue
			}
			if toLetter[ch] == 0 {
				return 0, 0, false
			}
		case digit:
			if isDigit(ch) {
				continue
			}
			if toDigit[ch] == 0 {
				return 0, 0, false
			}
		default: // either
			if isUpper(ch) || isDigit(ch) {
				continue
			}
			return 0, 0, false
		}
		subs++
		penalty += subPenalty[ch]
		if subs > maxSubs {
			return 0, 0, false
		}
	}
	return subs, penalty, true
}

// substitute replaces, in place, every character of b that does not fit its
// class by its look-alike. b must fit classes (see fit).
func substitute(b []byte, classes string) {
	for i, ch := range b {
		if to := swap(ch, classes[i]); to != 0 {
			b[i] = to
		}
	}
}

// swap returns the look-alike ch becomes where a template wants class (see
// toLetter, toDigit); 0 where ch fits class as it is, or has none.
func swap(ch, class byte) byte {
	switch {
	case class == letter && isDigit(ch):
		return toLetter[ch]
	case class == digit && isUpper(ch):
		return toDigit[ch]
	}
	return 0
}

// Match tells which jurisdiction's templates text fits exactly, without any
// substitution. text is taken as a plate: case and characters other than
// letters and digits are ignored. When templates of one jurisdiction fit, it
// is that jurisdiction ("us-ca"); when templates of several jurisdictions of
// one region fit, it is the region ("us"); when they span regions, it is the
// regions, sorted and comma-separated ("eu,us"). ok is false when no template
// fits. See Jurisdictions for the full list.
func (c *Corrector) Match(text string) (jurisdiction string, ok bool) {
	js := c.Jurisdictions(text)
	switch {
	case len(js) == 0:
		return "", false
	case len(js) == 1:
		return js[0], true
	}
	var regions []string
	for _, j := range js {
		r, _, _ := strings.Cut(j, "-")
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	slices.Sort(regions)
	return strings.Join(regions, ","), true
}

// Fits reports whether text fits some template as it is, without any
// substitution; text is taken as by Match.
func (c *Corrector) Fits(text string) bool {
	text = clean(text)
	return len(text) <= maxLen && slices.ContainsFunc(c.byLen[len(text)], func(p pattern) bool {
		_, _, ok := fit(text, p.classes, 0)
		return ok
	})
}

// Jurisdictions returns every jurisdiction with a template that text fits
// exactly, sorted; none when no template fits. text is taken as by Match.
func (c *Corrector) Jurisdictions(text string) []string {
	text = clean(text)
	if len(text) > maxLen {
		return nil
	}
	var js []string
	for _, p := range c.byLen[len(text)] {
		if _, _, ok := fit(text, p.classes, 0); !ok {
			continue
		}
		for _, j := range p.jurisdictions {
			if !slices.Contains(js, j) {
				js = append(js, j)
			}
		}
	}
	slices.Sort(js)
	return js
}

// clean returns s upper-cased with everything but ASCII letters and digits
// removed; s itself when it is clean already.
func clean(s string) string {
	if isPlate(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		if isUpper(ch) || isDigit(ch) {
			b = append(b, ch)
		}
	}
	return string(b)
}

// clamp limits a confidence to 0..100; NaN counts as 0.
func clamp(v float64) float64 {
	if v != v {
		return 0
	}
	return min(max(v, 0), 100)
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
