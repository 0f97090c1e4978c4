package tess

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"alprd/ocr"
)

// symbol is one recognised character with Tesseract's alternatives for it.
type symbol struct {
	text string
	conf float64 // 0..100
	alts []alt   // other choices, best first, without text itself
	x    int     // the centre of its box along x
	// misread: a mark over a character (see sym.misread).
	misread bool
}

type alt struct {
	text string
	conf float64
}

// page is what matters of Tesseract's result for a single-line read.
type page struct {
	words []string
	syms  []symbol
}

// sym is one recognised symbol.
type sym struct {
	text      string
	conf      float64 // 0..100
	box       [4]int  // x0, y0, x1, y1 (exclusive) in the image
	wordStart bool
	choices   []alt // Tesseract's choices for the symbol, as it lists them
	// misread: the symbol, read as a mark, is a character all the same
	// (see underMarks).
	misread bool
}

// pageOf groups the symbols of one recognition into words and keeps, of
// each symbol's choices, those other than its text, best first.
func pageOf(ss []sym) page {
	var pg page
	for i, s := range ss {
		if s.wordStart || i == 0 {
			pg.words = append(pg.words, "")
		}
		pg.words[len(pg.words)-1] += s.text
		sy := symbol{text: s.text, conf: s.conf, x: (s.box[0] + s.box[2]) / 2, misread: s.misread}
		for _, c := range s.choices {
			if c.text != "" && c.text != s.text {
				sy.alts = append(sy.alts, c)
			}
		}
		sort.SliceStable(sy.alts, func(i, j int) bool { return sy.alts[i].conf > sy.alts[j].conf })
		pg.syms = append(pg.syms, sy)
	}
	return pg
}

// minKeep is the smallest confidence of a character's best allowed choice
// that keeps the character.
const minKeep = 20

// substRatio: a character read as something outside the whitelist is kept
// as its best allowed alternative only when that is at least this fraction
// as confident.
const substRatio = 0.85

// sameShape are the lower-case letters that look like their capitals (y
// as well: its tail is the capital's stem; a plate's Y read as "y" was
// otherwise lost).
const sameShape = "cosuvwxyz"

// allowedSet is the set of bytes of whitelist that are upper-case letters or
// digits.
func allowedSet(whitelist string) *[256]bool {
	var a [256]bool
	for _, r := range strings.ToUpper(whitelist) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			a[r] = true
		}
	}
	return &a
}

// clean keeps the upper-cased letters and digits of s.
func clean(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pos is one character position of a reading: its allowed choices, best
// first (opts[0] is the chosen character), and the centre of its box along
// x.
type pos struct {
	opts []alt
	x    int
	// unread reports, of a position without choices, that its symbol
	// looks like a character all the same (see unread).
	unread bool
}

// unread reports whether a symbol outside the whitelist is more likely a
// character misread than a mark: a letter or digit of another case or
// script (a plate's 2 read as "e"), or a stroke (a 7 read as "/"). Other
// symbols ("@", "*", "=") are more often a logo between the character
// groups.
func unread(text string) bool {
	t := strings.TrimSpace(text)
	if utf8.RuneCountInString(t) != 1 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(strokes, r)
}

// reading turns a parsed page into a Reading with up to maxCand candidates
// (see positions and rank).
func (pg page) reading(allowed *[256]bool, maxCand int, minAlt float64) ocr.Reading {
	return rank(strings.Join(pg.words, " "), pg.positions(allowed, minAlt), maxCand)
}

// positions returns the character positions of a page (see slots), those
// dropped left out.
func (pg page) positions(allowed *[256]bool, minAlt float64) []pos {
	return kept(pg.slots(allowed, minAlt))
}

// kept returns the positions of ps that hold a character.
func kept(ps []pos) []pos {
	var out []pos
	for _, p := range ps {
		if len(p.opts) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// slots returns a position for each symbol of a page. Tesseract runs
// without a whitelist (with one, its LSTM drops a character whose best
// choice is not allowed instead of taking the next best: a plate "7" read as
// "/" vanishes); instead each character takes its most confident choice that
// is allowed, upper-cased, and characters with no allowed choice of at least
// minKeep confidence are dropped: their positions hold no choices (they
// still tell mergePositions that a model saw something there).
// Alternatives below minAlt are dropped.
func (pg page) slots(allowed *[256]bool, minAlt float64) []pos {
	var ps []pos
	for _, sy := range pg.syms {
		var opts []alt
		add := func(text string, conf float64) {
			t := strings.TrimSpace(text)
			if len(t) == 1 && strings.IndexByte(sameShape, t[0]) >= 0 {
				t = strings.ToUpper(t)
			}
			if len(t) != 1 || !allowed[t[0]] {
				return
			}
			for i := range opts {
				if opts[i].text == t {
					opts[i].conf = max(opts[i].conf, conf)
					return
				}
			}
			opts = append(opts, alt{t, conf})
		}
		add(sy.text, sy.conf)
		for _, a := range sy.alts {
			add(a.text, a.conf)
		}
		sort.SliceStable(opts, func(i, j int) bool { return opts[i].conf > opts[j].conf })
		if len(opts) == 0 || opts[0].conf < minKeep || opts[0].conf < sy.conf*substRatio {
			// Below substRatio, Tesseract was surer of a character outside
			// the set: a mark, not a character.
			ps = append(ps, pos{x: sy.x, unread: sy.misread || unread(sy.text)})
			continue
		}
		p := pos{opts: opts[:1], x: sy.x}
		for _, o := range opts[1:] {
			if o.conf >= minAlt {
				p.opts = append(p.opts, o)
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// mergePositions combines two readings of the same plate, given as slots
// (see slots). When they have as many characters, they are merged position
// by position (see mergeAt). Otherwise the reading of higher mean
// confidence is kept, and, when charH (the characters' height in the
// readings' coordinates) is known, it gains the other's characters where
// it read a character outside the whitelist (see unread), the slots
// aligned by the centres of their boxes (see align). A model often
// misreads one character next to the gap between the character groups (a
// plate's 2 as "e") or at a plate's end (a Slovak plate's last I as "l" or
// "|") while the other reads it. Filled only between two characters both
// readings have, as at first, 2 plates of crops-us and 2 of endtoend-eu
// (3 with O and 0 equal) fewer were read right, and one of endtoend-us
// more (AYE132, a plate that one look more or fewer flips). Keeping
// whatever only one reading saw did worse on real plates (the extra
// character is more often a mark, a logo, a bar or a frame's edge, than a
// character), and so did a symbol such as "@" taken for a misread
// character; merging the aligned characters as well gained 2 of 43 plates
// in Europe and 1 of 63 in Brazil but lost 2 of 106 in the US.
func mergePositions(a, b []pos, wa, charH float64) []pos {
	ka, kb := kept(a), kept(b)
	if len(ka) == len(kb) {
		out := make([]pos, len(ka))
		for i := range ka {
			out[i] = mergeAt(ka[i], kb[i], wa)
		}
		return out
	}
	if meanConf(kb) > meanConf(ka) {
		a, b, ka = b, a, kb
	}
	if charH <= 0 {
		return ka
	}
	// a is the reading kept; b's characters fill its misreadings.
	var out []pos
	for _, p := range align(a, b, charH) {
		switch {
		case p[0] >= 0 && len(a[p[0]].opts) > 0:
			out = append(out, a[p[0]])
		case p[0] >= 0 && a[p[0]].unread && p[1] >= 0 && len(b[p[1]].opts) > 0:
			out = append(out, b[p[1]])
		}
	}
	return out
}

// align aligns the slots a and b by the centres of their boxes (characters
// charH tall): it returns the pairs of indices of a and b matched, in
// order, with -1 for a slot that has no counterpart. It minimises the sum
// of the matched slots' distances, in charH, plus one for each unmatched
// slot (an edit distance); slots more than two charH apart never match.
func align(a, b []pos, charH float64) [][2]int {
	n, m := len(a), len(b)
	cost := make([]float64, (n+1)*(m+1))
	at := func(i, j int) *float64 { return &cost[i*(m+1)+j] }
	dist := func(i, j int) float64 {
		d := float64(a[i].x-b[j].x) / charH
		if d < 0 {
			d = -d
		}
		return d
	}
	for i := 0; i <= n; i++ {
		for j := 0; j <= m; j++ {
			switch {
			case i == 0:
				*at(i, j) = float64(j)
			case j == 0:
				*at(i, j) = float64(i)
			default:
				c := min(*at(i-1, j), *at(i, j-1)) + 1
				if d := dist(i-1, j-1); d <= 2 {
					c = min(c, *at(i-1, j-1)+d)
				}
				*at(i, j) = c
			}
		}
	}
	var pairs [][2]int
	for i, j := n, m; i > 0 || j > 0; {
		switch {
		case i > 0 && j > 0 && dist(i-1, j-1) <= 2 && *at(i, j) == *at(i-1, j-1)+dist(i-1, j-1):
			i, j = i-1, j-1
			pairs = append(pairs, [2]int{i, j})
		case i > 0 && (j == 0 || *at(i, j) == *at(i-1, j)+1):
			i--
			pairs = append(pairs, [2]int{i, -1})
		default:
			j--
			pairs = append(pairs, [2]int{-1, j})
		}
	}
	slices.Reverse(pairs)
	return pairs
}

// mergeAt merges two readings of one character: a choice's confidence is
// the weighted mean of its confidences in both (0 where one lacks it), a's
// confidences weighing wa and b's 1-wa.
func mergeAt(a, b pos, wa float64) pos {
	var opts []alt
	for k, src := range [2][]alt{a.opts, b.opts} {
		w := wa
		if k == 1 {
			w = 1 - wa
		}
		for _, o := range src {
			j := 0
			for j < len(opts) && opts[j].text != o.text {
				j++
			}
			if j == len(opts) {
				opts = append(opts, alt{o.text, 0})
			}
			opts[j].conf += o.conf * w
		}
	}
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].conf > opts[j].conf })
	return pos{opts: opts, x: a.x}
}

func meanConf(ps []pos) float64 {
	if len(ps) == 0 {
		return 0
	}
	var s float64
	for _, p := range ps {
		s += p.opts[0].conf
	}
	return s / float64(len(ps))
}

// rank builds a Reading from character positions: the best path comes
// first, then variants that swap characters for their alternatives, ranked
// by mean character confidence, up to maxCand in all. The best paths and
// variants of the readings in also (other readings of the plate, such as
// the one of a model whose reading was not kept) compete with those
// variants by mean character confidence; they never come first.
func rank(raw string, ps []pos, maxCand int, also ...[]pos) ocr.Reading {
	rd := ocr.Reading{Raw: raw}
	if len(ps) == 0 {
		return rd
	}
	best, cands := beam(ps, maxCand)
	rd.Text = best.Text
	rd.Confidence = best.Confidence
	for _, o := range also {
		if len(o) == 0 {
			continue
		}
		ob, oc := beam(o, maxCand)
		cands = append(cands, ob)
		cands = append(cands, oc...)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Confidence > cands[j].Confidence })
	rd.Candidates = append(rd.Candidates, best)
	for _, c := range cands {
		if len(rd.Candidates) == maxCand {
			break
		}
		dup := false
		for _, d := range rd.Candidates {
			if d.Text == c.Text {
				dup = true
				break
			}
		}
		if !dup {
			rd.Candidates = append(rd.Candidates, c)
		}
	}
	return rd
}

// beam returns the best path through the positions (each position's first
// choice) and the maxCand best paths by summed confidence (a beam search
// over the positions), with their mean character confidence.
func beam(ps []pos, maxCand int) (ocr.Candidate, []ocr.Candidate) {
	type path struct {
		text string
		sum  float64
	}
	paths := []path{{}}
	var best path
	for _, p := range ps {
		best = path{best.text + p.opts[0].text, best.sum + p.opts[0].conf}
		next := make([]path, 0, len(paths)*len(p.opts))
		for _, b := range paths {
			for _, o := range p.opts {
				next = append(next, path{b.text + o.text, b.sum + o.conf})
			}
		}
		sort.SliceStable(next, func(i, j int) bool { return next[i].sum > next[j].sum })
		if len(next) > maxCand {
			next = next[:maxCand]
		}
		paths = next
	}
	n := float64(len(ps))
	out := make([]ocr.Candidate, len(paths))
	for i, b := range paths {
		out[i] = ocr.Candidate{Text: b.text, Confidence: b.sum / n}
	}
	return ocr.Candidate{Text: best.text, Confidence: best.sum / n}, out
}

// Geometry of the row of characters (see offRow).
const (
	// minRowHeight is the smallest height of a character's box, as a
	// fraction of the characters' height.
	minRowHeight = 0.70
	// maxRowShift is the largest distance of a character's vertical centre
	// from the row's centre, as a fraction of the characters' height.
	maxRowShift = 0.35
)

// offRow drops the symbols that are not characters of the plate's row, of
// characters charH tall centred on the line y = midY: those whose box is much
// shorter (a logo, a sticker, a mark between character groups read as a
// character) or whose centre sits far above or below the row. Degenerate
// boxes (Tesseract's LSTM sometimes gives a real character a box of a pixel
// or two) say nothing and are kept. ss is filtered in place.
func offRow(ss []sym, charH, midY float64) []sym {
	out := ss[:0]
	for i, s := range ss {
		w, h := s.box[2]-s.box[0], s.box[3]-s.box[1]
		c := float64(s.box[1]+s.box[3]) / 2
		if w > 2 && h > 3 && (float64(h) < minRowHeight*charH || c-midY > maxRowShift*charH || midY-c > maxRowShift*charH) {
			// The next symbol starts a word if this one did.
			if s.wordStart && i+1 < len(ss) {
				ss[i+1].wordStart = true
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// underMarks drops the symbols of ss (the plate model's, which knows only
// letters and digits) whose box centre lies under a mark of other (a
// tessdata language's reading of the same image, which knows punctuation and
// symbols): a confident symbol other than a letter or digit, between a third
// of charH and 1.2 charH wide (a wider box is Tesseract's box of a run of
// symbols, not of one), and not a stroke (see strokes). A logo or graphic
// between the characters reads as "@", "+" or "©" there and as a letter in
// the plate model. A symbol that glyph (when not nil) says is the character
// read stays, and the mark over it is marked a character misread (see
// sym.misread): English reads the 0 of some plate fonts as "@". ss is
// filtered in place.
func underMarks(ss, other []sym, charH float64, glyph func(sym) bool) []sym {
	var marks []int
	for i, o := range other {
		t := strings.TrimSpace(o.text)
		if t == "" || clean(t) != "" || o.conf < minMark {
			continue
		}
		if strings.ContainsAny(t, strokes) {
			continue
		}
		if w := float64(o.box[2] - o.box[0]); w*3 < charH || w > 1.2*charH {
			continue
		}
		marks = append(marks, i)
	}
	if len(marks) == 0 {
		return ss
	}
	out := ss[:0]
	for i, s := range ss {
		cx := (s.box[0] + s.box[2]) / 2
		k := slices.IndexFunc(marks, func(m int) bool { return cx >= other[m].box[0] && cx < other[m].box[2] })
		if k >= 0 && glyph != nil && glyph(s) {
			other[marks[k]].misread = true
			k = -1
		}
		if k >= 0 {
			if s.wordStart && i+1 < len(ss) {
				ss[i+1].wordStart = true
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// strokes are the marks that are as often a character ("|" for a 1 or an I).
const strokes = "|\\/!()[]{}"

// minMark is the smallest confidence of a mark (see underMarks).
const minMark = 50

// glyphKeep is how well (in correlation, see classify) the glyph under a
// mark must match the templates of the plate model's character there for
// the character to stay (see underMarks). English reads the 0 of Go Bold
// and of plate fonts like it as "@" before a letter, and the 0 was lost: the
// demo's 0MKG920 was read MKG920 in every frame. On 300 synthesized plates
// (five US formats, Go Bold and Go Mono Bold, 110 to 330 px wide, softened)
// the reader read 265 exactly before, 289 after (275 when the mark is not
// taken for a misread character as well); from 0.55 to 0.75 alike. On the
// photos, from 0.6 to 0.7 it changed no plate's top-1 of the four sets but
// one endtoend-us plate that one look more or fewer flips; at 0.5 it lost
// two endtoend-us plates (a logo's glyph matched a letter).
const glyphKeep = 0.65

// better returns the more confident of two readings of one plate, with the
// candidates of both (its own first, then the rest by confidence, up to
// maxCand), both Raws, the lesser Discord, and Glyphless only when both
// are (as ocr.Vote keeps them).
func better(a, b ocr.Reading, maxCand int) ocr.Reading {
	if b.Confidence > a.Confidence {
		a, b = b, a
	}
	out := a
	out.Raw = a.Raw + " || " + b.Raw
	out.Discord, out.Glyphless = min(a.Discord, b.Discord), a.Glyphless && b.Glyphless
	out.Candidates = nil
	cands := append(append([]ocr.Candidate(nil), a.Candidates...), b.Candidates...)
	if len(cands) > 1 {
		rest := cands[1:]
		sort.SliceStable(rest, func(i, j int) bool { return rest[i].Confidence > rest[j].Confidence })
	}
	for _, c := range cands {
		if len(out.Candidates) == maxCand {
			break
		}
		if !slices.ContainsFunc(out.Candidates, func(d ocr.Candidate) bool { return d.Text == c.Text }) {
			out.Candidates = append(out.Candidates, c)
		}
	}
	return out
}
