package tess

import (
	_ "embed"
	"image"
	"math"
	"slices"
	"sort"
	"strings"
)

// The LSTM models read a character from the line around it, and on real
// plates they are wrong in ways a look at the character alone is not. Both
// read the narrow W and M of US plates as N and H (on endtoend-us, 8 of the
// 49 plates read wrong, from 5NWV468 read 5NNV468 to CWM2998 read CNH2998):
// US plate fonts give every character the same cell, so W and M are drawn
// as narrow as N and H, and neither the book fonts of the English model nor
// the synthesized plates of the plate model taught them that look. They
// also rank a 3 above a 9, a T above a 7, a Y above a V, where the glyph
// says otherwise.
//
// So the characters read are checked against their glyphs: a glyph (its
// box among the prepared crop's characters) is scaled to glyphW x glyphH
// cells and compared, by normalised correlation, with templates of every
// letter and digit drawn in monospaced fonts, whose W and M are squeezed
// into one cell just as a plate's are. On the close-up crops of crops-us a
// glyph of W, M, N or H matches its own letter best 98 % of the time, on the
// small plates of endtoend-us 85 %; over all characters 86 % and 74 %, the
// look-alikes of lookAlike making most of the rest.
//
//   - verify: a character read as W, M, N or H becomes a W or an M when
//     that one's templates match its glyph best of the four, and clearly
//     better (checkLetters).
//   - arbitrate: a character whose glyph matches one of its other choices
//     clearly better than the choice read takes that one (not a look-alike:
//     those the plate syntax settles).
//   - bars: an I whose glyph is a bar with a flag becomes a 1 (see bars).
//
// Measured with alpreval, one worker, top-1 exact before and after both:
// crops-us 76.1 and 78.9 %, endtoend-us 54.7 and 60.4 %, endtoend-eu 62.8
// and 65.1 %, endtoend-br 76.2 and 81.0 % (with the widened look, see
// ocr.Engine). No plate read right before was read wrong.

// glyphLetters are the characters templates are drawn for, in that order
// in each face.
const glyphLetters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// checkLetters are the letters verify checks, and tells apart from each
// other only.
const checkLetters = "HMNW"

// lookAlike are the groups of characters whose templates do not tell them
// apart on plates (an O and a 0 are one glyph on most plates; fonts differ
// most in 2 and Z, 1 and I): arbitrate never trades one for another of its
// group.
var lookAlike = []string{"0ODQ", "2Z", "1I"}

// glyphW and glyphH are the size of a template, in cells.
const (
	glyphW = 16
	glyphH = 24
)

// glyphTemplates holds, for each template, a character byte and
// glyphW*glyphH ink levels (0 paper .. 255 ink), rows top first: the
// glyphLetters drawn in Go Mono Bold, DejaVu Sans Mono Bold and B612 Mono
// Bold, written by TestGlyphTemplates (make glyph-templates).
//
//go:embed model/glyphs.bin
var glyphTemplates []byte

// template is one character's normalised template.
type template struct {
	letter byte
	v      [glyphW * glyphH]float32
}

// templates are glyphTemplates decoded and normalised (see normalise).
var templates = func() []template {
	const rec = 1 + glyphW*glyphH
	var ts []template
	for b := glyphTemplates; len(b) >= rec; b = b[rec:] {
		t := template{letter: b[0]}
		for i, v := range b[1:rec] {
			t.v[i] = float32(v) / 255
		}
		normalise(&t.v)
		ts = append(ts, t)
	}
	return ts
}()

// normalise makes v zero-mean with unit norm (a flat v stays zero).
func normalise(v *[glyphW * glyphH]float32) {
	var m float64
	for _, x := range v {
		m += float64(x)
	}
	m /= float64(len(v))
	var s float64
	for i := range v {
		v[i] -= float32(m)
		s += float64(v[i]) * float64(v[i])
	}
	if s = math.Sqrt(s); s > 0 {
		for i := range v {
			v[i] /= float32(s)
		}
	}
}

// cells scales the area b of an 8-bit image (stride, 0 ink .. 255 paper
// when dark, else 0 paper .. 255 ink) to glyphW x glyphH cells of ink level
// 0..1, each the mean of the pixels it covers.
func cells(pix []uint8, stride int, b image.Rectangle, dark bool) (out [glyphW * glyphH]float32) {
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return out
	}
	for y := range glyphH {
		y0, y1 := y*h/glyphH, max(y*h/glyphH+1, (y+1)*h/glyphH)
		for x := range glyphW {
			x0, x1 := x*w/glyphW, max(x*w/glyphW+1, (x+1)*w/glyphW)
			var s, n int
			for yy := y0; yy < min(y1, h); yy++ {
				row := pix[(b.Min.Y+yy)*stride+b.Min.X:]
				for xx := x0; xx < min(x1, w); xx++ {
					s += int(row[xx])
					n++
				}
			}
			if n > 0 {
				v := float32(s) / float32(n) / 255
				if dark {
					v = 1 - v
				}
				out[y*glyphW+x] = v
			}
		}
	}
	return out
}

// glyphScores are, per character byte, how well a glyph matches the
// character's templates: the best correlation (-1..1) over its faces, -1
// for characters without templates.
type glyphScores [128]float64

// classify compares the glyph in b of pix (stride; dark characters on
// light) with every template.
func classify(pix []uint8, stride int, b image.Rectangle) *glyphScores {
	v := cells(pix, stride, b, true)
	normalise(&v)
	var s glyphScores
	for i := range s {
		s[i] = -1
	}
	for _, t := range templates {
		var d float32
		for i := range v {
			d += v[i] * t.v[i]
		}
		s[t.letter] = max(s[t.letter], float64(d))
	}
	return &s
}

// of returns the score of text, a single character; -1 for others.
func (s *glyphScores) of(text string) float64 {
	if len(text) != 1 || text[0] >= 128 {
		return -1
	}
	return s[text[0]]
}

// A choice takes the place of the choice read when its templates match the
// glyph better by verifyMargin (in correlation) for verify, arbitrateMargin
// for arbitrate, and by at least glyphMin; and, for arbitrate, when the
// model gave it at least arbitrateConf of the first choice's confidence.
// On the real photos the W and M read as N or H matched their own letter
// better by 0.05 to 0.5 (the small glyphs of endtoend-us least); the few
// wrong letters that matched better than the letter read, all H or N, did
// so by 0.1 at most, or matched no character well (a glyph of another
// character, or of two joined). So verify only ever makes a W or an M,
// the letters the models miss: an M whose middle reaches low, as in DIN
// and Go Bold, matches N's templates better than M's. Over the four data
// sets, verify's margin at 0.08 and arbitrate's from 0.08 to 0.12 read
// the same plates, and so did arbitrate's confidence share from 0.2 to
// 0.3; verify's margin at 0.04 gained an endtoend-us plate and lost an
// endtoend-eu one, arbitrate's share at 0.5 lost two plates.
const (
	verifyMargin    = 0.06
	arbitrateMargin = 0.1
	arbitrateConf   = 0.2
	glyphMin        = 0.45
)

// glyphs finds the glyphs of the positions of one reading in the prepared
// crop, and classifies each character box once (the positions of the
// merged reading and of each model's own mostly share them).
type glyphs struct {
	p      *prep
	lay    [][2]int // the columns of the layout the positions' x are in
	boxes  []image.Rectangle
	scores []*glyphScores // per box, once classified
	done   bool
}

// at returns the scores of the glyph at q's place; nil when there is no
// character box there, or one wider than a character (characters joined).
func (g *glyphs) at(q pos) *glyphScores {
	j := g.single(q)
	if j < 0 {
		return nil
	}
	if g.scores[j] == nil {
		g.scores[j] = classify(g.p.src, g.p.cw, g.boxes[j])
	}
	return g.scores[j]
}

// probs returns the network's probabilities (see glyphNet) for the glyph
// at q's place; nil where at has no scores. They are kept in the prep's
// netMemo, for the read of the same crop at another scale.
func (g *glyphs) probs(q pos) *[netOut]float32 {
	if net == nil {
		return nil
	}
	j := g.single(q)
	if j < 0 {
		return nil
	}
	b := g.boxes[j]
	p, ok := g.p.netMemo[b]
	if !ok {
		v := cells(g.p.src, g.p.cw, b, true)
		normalise(&v)
		pr := net.probs(&v)
		p = &pr
		if g.p.netMemo == nil {
			g.p.netMemo = map[image.Rectangle]*[netOut]float32{}
		}
		g.p.netMemo[b] = p
	}
	return p
}

// single returns the index of the character box at q's place, -1 when
// there is none or it is wider than a character (characters joined).
func (g *glyphs) single(q pos) int {
	j := g.boxAt(q)
	if j < 0 || g.boxes[j].Dx()*10 > g.boxes[j].Dy()*9 {
		return -1
	}
	return j
}

// boxAt returns the index of the character box at q's place, -1 when
// there is none.
func (g *glyphs) boxAt(q pos) int {
	if !g.done {
		g.boxes, g.done = g.p.charBoxes(g.p.hm), true
		g.scores = make([]*glyphScores, len(g.boxes))
	}
	x := mapX(q.x, g.lay, g.p.cols)
	return slices.IndexFunc(g.boxes, func(b image.Rectangle) bool { return x >= b.Min.X && x < b.Max.X })
}

// check checks the characters of a reading's positions, and of each
// model's own (offered as candidates too), against their glyphs in the
// prepared crop: verify and the network's fuse on all, arbitrate and bars
// on ps (on the models' own readings arbitrate lost plates; fuse there, with
// the first networks, trained on drawn letters alone, won 2 crops-us
// plates, lost one of endtoend-us, and put 9 more labels among the top 10
// over the four sets). It does nothing when the crop had no row of
// characters.
func (g *glyphs) check(ps []pos, each [][]pos) {
	if !g.p.found || len(templates) == 0 {
		return
	}
	all := append([][]pos{ps}, each...)
	for _, e := range all {
		g.verify(e)
	}
	g.arbitrate(ps)
	for _, e := range all {
		fuse(e, g.probs)
	}
	g.bars(ps)
}

// bars: a character read as I whose glyph is a bar with a flag (ink
// beside the top of the stem on its left, none on its right) becomes a 1.
// The LSTM models read a 1 as I where the plate font's 1 is a plain bar
// with a short flag (VTP781 read VTP78I); an I with serifs (on most US
// plates it has them, and its top reaches both sides) is not taken for a
// flag. The other way, a bar without a flag is no I: many fonts' 1 is a
// plain bar (Massachusetts', the DIN of Europe). On crops-us this read 3
// more plates, on endtoend-eu 1, and lost none; a flag from 0.4 to 0.6 of
// the stem's width, with the right side under 0.2 to 0.5 of it, read the
// same plates.
func (g *glyphs) bars(ps []pos) {
	for i, q := range ps {
		if len(q.opts) == 0 || q.opts[0].text != "I" {
			continue
		}
		if j := g.boxAt(q); j >= 0 && flagged(g.p.src, g.p.cw, g.boxes[j]) {
			ps[i].opts = promote(q.opts, "1")
		}
	}
}

// flagged reports whether the glyph in b of pix (stride; dark on light) is
// a bar with a flag: its stem (the longest run of ink of the rows from 35
// to 75 % of its height) at most 0.3 of its height wide, and, in its top
// fifth, ink at least half the stem's width left of the stem and less
// than 0.3 of it right of it.
func flagged(pix []uint8, stride int, b image.Rectangle) bool {
	h := b.Dy()
	if h < 10 {
		return false
	}
	var l0, l1 []int
	for y := b.Min.Y + h*35/100; y < b.Min.Y+h*75/100; y++ {
		row := pix[y*stride : y*stride+b.Max.X]
		best, start := [2]int{-1, -1}, -1
		for x := b.Min.X; x <= b.Max.X; x++ {
			ink := x < b.Max.X && row[x] < 128
			if ink && start < 0 {
				start = x
			}
			if !ink && start >= 0 {
				if x-start > best[1]-best[0] {
					best = [2]int{start, x}
				}
				start = -1
			}
		}
		if best[0] >= 0 {
			l0, l1 = append(l0, best[0]), append(l1, best[1])
		}
	}
	if len(l0) < 3 {
		return false
	}
	sx0, sx1 := median(l0), median(l1)
	sw := sx1 - sx0
	if sw < 1 || sw*10 > h*3 {
		return false
	}
	left, right := 0, 0
	for y := b.Min.Y; y < b.Min.Y+h*22/100; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if pix[y*stride+x] < 128 {
				left, right = max(left, sx0-x), max(right, x+1-sx1)
			}
		}
	}
	return left*10 >= sw*5 && right*10 < sw*3
}

// verify: where a character read as one of checkLetters has a glyph that
// W's or M's templates match best of the four, and clearly better than
// the letter read's (see verifyMargin), or that the network takes for a W
// or an M (see netLetter), that letter becomes its first choice, with the
// first choice's confidence, and the letter read its second.
func (g *glyphs) verify(ps []pos) {
	for i, q := range ps {
		if len(q.opts) == 0 || len(q.opts[0].text) != 1 || !strings.Contains(checkLetters, q.opts[0].text) {
			continue
		}
		s := g.at(q)
		if s == nil {
			continue
		}
		read, best := q.opts[0].text, q.opts[0].text
		for _, c := range checkLetters {
			if s.of(string(c)) > s.of(best) {
				best = string(c)
			}
		}
		if (best == "W" || best == "M") && best != read && s.of(best) >= max(s.of(read)+verifyMargin, glyphMin) {
			ps[i].opts = promote(q.opts, best)
			continue
		}
		if p := g.probs(q); p != nil {
			if c := netLetter(p, read); c != read {
				ps[i].opts = promote(q.opts, c)
			}
		}
	}
}

// netLetter returns the W or M that the network's probabilities p say a
// glyph read as the letter read (one of checkLetters) is: one it gives at
// least netCheck while it gives read at most netCheckRead; else read. The
// templates miss some W and M of the smallest plates that the network
// sees: with the first networks (trained on drawn letters alone), on
// endtoend-us it read 2 more plates (CWM2998 read CNH2998,
// 6MWF778 read 6MHF778) and changed no other plate of the four sets, with
// netCheck from 0.5 to 0.7 and netCheckRead from 0.1 to 0.3 alike (0.9 and
// 0.05: one plate).
func netLetter(p *[netOut]float32, read string) string {
	ri := strings.Index(glyphLetters, read)
	if ri < 0 || float64(p[ri]) > netCheckRead {
		return read
	}
	for _, c := range []string{"W", "M"} {
		if c != read && float64(p[strings.Index(glyphLetters, c)]) >= netCheck {
			return c
		}
	}
	return read
}

const (
	netCheck     = 0.6
	netCheckRead = 0.2
)

// arbitrate: where one of a character's other choices, not a look-alike
// of the first and given at least arbitrateConf of its confidence, has
// templates that match the glyph clearly better (see arbitrateMargin), it
// becomes the first choice.
func (g *glyphs) arbitrate(ps []pos) {
	for i, q := range ps {
		if len(q.opts) < 2 {
			continue
		}
		read := q.opts[0]
		var s *glyphScores
		best := read.text
		for _, o := range q.opts[1:] {
			if o.conf < arbitrateConf*read.conf || alike(read.text, o.text) {
				continue
			}
			if s == nil {
				if s = g.at(q); s == nil {
					break
				}
			}
			if s.of(o.text) >= max(s.of(best)+arbitrateMargin, glyphMin) {
				best = o.text
			}
		}
		if best != read.text {
			ps[i].opts = promote(q.opts, best)
		}
	}
}

// alike reports whether a and b are one group of lookAlike.
func alike(a, b string) bool {
	for _, g := range lookAlike {
		if strings.Contains(g, a) && strings.Contains(g, b) {
			return true
		}
	}
	return false
}

// promote returns opts with text first, at the first choice's confidence,
// and the others after it in their order, each no more confident than the
// one before.
func promote(opts []alt, text string) []alt {
	out := []alt{{text, opts[0].conf}}
	for _, o := range opts {
		if o.text != text {
			o.conf = min(o.conf, out[len(out)-1].conf)
			out = append(out, o)
		}
	}
	return out
}

// charBoxes returns the boxes of the characters kept by the last prepare,
// in src coordinates, left to right: the kept components at least 0.6 of
// the characters' height (hm), those that overlap by more than a third of
// the narrower one's width joined (the pieces of a broken character).
func (p *prep) charBoxes(hm int) []image.Rectangle {
	bs := slices.Clone(p.boxes)
	sort.Slice(bs, func(i, j int) bool { return bs[i].x0 < bs[j].x0 })
	var out []image.Rectangle
	for _, b := range bs {
		if b.h()*10 < hm*6 {
			continue
		}
		r := image.Rect(b.x0, b.y0, b.x1+1, b.y1+1)
		if n := len(out); n > 0 && r.Min.X < out[n-1].Max.X-min(r.Dx(), out[n-1].Dx())/3 {
			out[n-1] = out[n-1].Union(r)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Logos. US plates carry emblems as tall as the characters between their
// groups (Georgia's peach, Louisiana's compass, New Mexico's Zia, Florida's
// orange) or at an end (Alaska's flag, a special plate's badge), and clean
// keeps them as characters of the row; the models then read them as one
// (BJL833 as BJL3833, FGJ235 as 8FGJ235). A kept box is taken for a logo
// and painted white when, on a crop whose characters are at least
// logoMinH pixels tall (on smaller ones the templates say too little):
//
//   - it is at least logoWide of the characters' height wide (a single
//     narrow character is never taken);
//   - its glyph matches no character's templates by logoMax or more (on
//     crops-us 2 % of the character boxes, mostly logos, frame sides and
//     characters joined to them);
//   - cut in two or three, its parts do not match characters by joinedMin
//     on average (characters joined to each other);
//   - no window of it a character wide, on the row's band, matches a
//     character by charInLogo (a character joined to a logo).
//
// On crops-us this read 6 more plates and lost one (QO900, where the Q
// was joined to its frame); the other sets did not change. logoMax from
// 0.33 to 0.36 and charInLogo from 0.5 to 0.55 read the same plates.
const (
	logoMinH   = 24
	logoWide   = 0.7
	logoMax    = 0.36
	joinedMin  = 0.45
	charInLogo = 0.5
)

// dropLogos paints white the kept boxes of p.src (cw x ch) that are logos,
// not characters (see logoMax), with a margin of dr, and removes them from
// p.boxes; charH is the characters' height. It reports whether it did.
func (p *prep) dropLogos(cw, ch, charH, dr int) bool {
	if charH < logoMinH || len(templates) == 0 {
		return false
	}
	boxes := p.charBoxes(charH)
	// The width of a character and the row's band, from the boxes of
	// single characters.
	var ws, cys []int
	for _, b := range boxes {
		if b.Dx()*10 < charH*9 && b.Dy()*10 > charH*8 {
			ws = append(ws, b.Dx())
			cys = append(cys, (b.Min.Y+b.Max.Y)/2)
		}
	}
	if len(ws) < 2 {
		return false
	}
	charW := median(ws)
	band := image.Rect(0, max(0, median(cys)-charH/2), cw, min(ch, median(cys)-charH/2+charH))
	dropped := false
	for _, b := range boxes {
		if float64(b.Dx()) < logoWide*float64(charH) || bestScore(p.src, cw, b) >= logoMax ||
			p.joined(b, charH) || p.holdsChar(b, charW, band) {
			continue
		}
		dropped = true
		for y := max(0, b.Min.Y-dr); y < min(ch, b.Max.Y+dr); y++ {
			for x := max(0, b.Min.X-dr); x < min(cw, b.Max.X+dr); x++ {
				p.src[y*cw+x] = 255
			}
		}
		p.boxes = slices.DeleteFunc(p.boxes, func(c blob) bool { return c.x0 >= b.Min.X && c.x1 < b.Max.X })
	}
	return dropped
}

// bestScore is how well the glyph in b of pix (stride) matches the
// templates of its best character.
func bestScore(pix []uint8, stride int, b image.Rectangle) float64 {
	return slices.Max(classify(pix, stride, b)[:])
}

// joined reports whether box b of p.src looks like two or three characters
// side by side: cut in as many equal parts, they match characters by
// joinedMin on average.
func (p *prep) joined(b image.Rectangle, charH int) bool {
	for k := 2; k <= 3; k++ {
		w := b.Dx() / k
		if w*4 < charH {
			break
		}
		sum := 0.0
		for i := range k {
			sum += bestScore(p.src, p.cw, image.Rect(b.Min.X+i*w, b.Min.Y, b.Min.X+(i+1)*w, b.Max.Y))
		}
		if sum/float64(k) >= joinedMin {
			return true
		}
	}
	return false
}

// holdsChar reports whether a window of box b of p.src charW wide, on the
// row's band (its rows), matches a character by charInLogo.
func (p *prep) holdsChar(b image.Rectangle, charW int, band image.Rectangle) bool {
	for x := b.Min.X; x+charW <= b.Max.X; x += max(1, charW/4) {
		if bestScore(p.src, p.cw, image.Rect(x, band.Min.Y, x+charW, band.Max.Y)) >= charInLogo {
			return true
		}
	}
	return false
}
