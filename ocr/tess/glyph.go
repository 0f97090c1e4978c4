package tess

import (
	_ "embed"
	"image"
	"math"
	"slices"
	"sort"
	"strings"
)

// Both LSTM models read the narrow W and M of US plates as N and H (on
// endtoend-us, 8 of the 49 plates read wrong, from 5NWV468 read 5NNV468 to
// CWM2998 read CNH2998): US plate fonts give every character the same cell,
// so W and M are drawn as narrow as N and H, and neither the book fonts of
// the English model nor the synthesized plates of the plate model taught
// them that look. The glyphs themselves are not ambiguous:
// compared with the same four letters of monospaced fonts, whose W and M are
// squeezed into one cell just as a plate's are, a glyph is told right 98 %
// of the time on the close-up crops of crops-us and 82 % on the small plates
// of endtoend-us.
//
// So a character read as one of verifyLetters is looked at again: its glyph
// (the prepared crop's character box) is scaled to glyphW x glyphH and
// compared, by normalised correlation, with each letter's templates; when
// another letter matches clearly better, it takes the character's place
// (see verify).

// verifyLetters are the letters whose glyphs are checked, and told apart
// from each other only.
const verifyLetters = "HMNW"

// glyphW and glyphH are the size of a template, in cells.
const (
	glyphW = 16
	glyphH = 24
)

// glyphTemplates holds, for each template, a letter byte and glyphW*glyphH
// ink levels (0 paper .. 255 ink), rows top first: the letters of
// verifyLetters drawn in Go Mono Bold, DejaVu Sans Mono Bold and B612 Mono
// Bold, written by TestGlyphTemplates (make glyph-templates).
//
//go:embed model/glyphs.bin
var glyphTemplates []byte

// template is one letter's normalised template.
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

// classify compares the glyph in b of pix (stride; dark characters on
// light) with the templates and returns each letter's best correlation
// (-1..1), indexed like verifyLetters.
func classify(pix []uint8, stride int, b image.Rectangle) [len(verifyLetters)]float64 {
	v := cells(pix, stride, b, true)
	normalise(&v)
	var score [len(verifyLetters)]float64
	for i := range score {
		score[i] = -1
	}
	for _, t := range templates {
		k := strings.IndexByte(verifyLetters, t.letter)
		if k < 0 {
			continue
		}
		var d float32
		for i := range v {
			d += v[i] * t.v[i]
		}
		score[k] = max(score[k], float64(d))
	}
	return score
}

// A letter takes the place of the letter read when its templates match
// the glyph better by verifyMargin (in correlation), verifyMarginWM for a W
// or M (the letters the models miss), and by at least verifyMin. On the
// real photos the W and M read as N or H matched their own letter better
// by 0.05 to 0.5 (the small glyphs of endtoend-us least); the few wrong
// letters that matched better than the letter read, all H or N, did by 0.1
// at most, or matched no letter well (a glyph of another character read as
// one of these letters, or of two characters joined). With these bounds,
// top-1 went from 76.1 to 76.8 % on crops-us, 54.7 to 57.5 % on
// endtoend-us and 76.2 to 77.8 % on endtoend-br, and no plate read right
// before was read wrong; with 0.04 for W and M, endtoend-us gained one
// plate more and endtoend-eu lost one.
const (
	verifyMargin   = 0.15
	verifyMarginWM = 0.06
	verifyMin      = 0.45
)

// verify checks the characters of ps read as one of verifyLetters against
// their glyphs in the prepared crop: where another of those letters matches
// the glyph clearly better (see verifyMargin), it becomes the character's
// first choice, with the first choice's confidence, and the letter read its
// second. lay are the columns of the layout the positions' x are in (see
// prep.colX). It does nothing when the crop had no row of characters.
func (p *prep) verify(ps []pos, lay [][2]int) {
	if !p.found || len(templates) == 0 {
		return
	}
	var boxes []image.Rectangle
	for i, q := range ps {
		if len(q.opts) == 0 || len(q.opts[0].text) != 1 {
			continue
		}
		k := strings.IndexByte(verifyLetters, q.opts[0].text[0])
		if k < 0 {
			continue
		}
		if boxes == nil {
			boxes = p.charBoxes()
		}
		x := mapX(q.x, lay, p.cols)
		j := slices.IndexFunc(boxes, func(b image.Rectangle) bool { return x >= b.Min.X && x < b.Max.X })
		if j < 0 || boxes[j].Dx()*10 > boxes[j].Dy()*9 {
			// No box, or one wider than a character: characters joined.
			continue
		}
		score := classify(p.src, p.cw, boxes[j])
		best := k
		for l, s := range score {
			if s > score[best] {
				best = l
			}
		}
		m := verifyMargin
		if c := verifyLetters[best]; c == 'W' || c == 'M' {
			m = verifyMarginWM
		}
		if best == k || score[best] < max(score[k]+m, verifyMin) {
			continue
		}
		ps[i].opts = promote(q.opts, verifyLetters[best:best+1])
	}
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
// the characters' height, those that overlap by more than a third of the
// narrower one's width joined (the pieces of a broken character).
func (p *prep) charBoxes() []image.Rectangle {
	bs := slices.Clone(p.boxes)
	sort.Slice(bs, func(i, j int) bool { return bs[i].x0 < bs[j].x0 })
	var out []image.Rectangle
	for _, b := range bs {
		if b.h()*10 < p.hm*6 {
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
