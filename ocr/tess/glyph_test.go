package tess

import (
	"image"
	"testing"

	"alprd/tools/platesynth/synth"
)

// TestClassifyGlyphs: on a synthesized plate drawn in Go Bold (not one of
// the templates' faces, and condensed to the plate's cells), every glyph of
// W, M, N and H matches its own letter's templates best.
func TestClassifyGlyphs(t *testing.T) {
	for _, text := range []string{"7WMN123", "4HWM856"} {
		p, boxes := preparedGlyphs(t, text)
		for i, b := range boxes {
			want := text[i]
			k := indexByte(verifyLetters, want)
			if k < 0 {
				continue
			}
			score := classify(p.src, p.cw, b)
			for l, s := range score {
				if l != k && s >= score[k] {
					t.Errorf("%s: glyph %d (%c): %c matches as well (%.3f) as %c (%.3f)", text, i, want, verifyLetters[l], s, want, score[k])
				}
			}
		}
	}
}

// TestVerify: a W and an M read as N and H get their letters back, the
// letter read kept second; the letters read right, and characters outside
// the four letters, are left alone.
func TestVerify(t *testing.T) {
	text := "7WMN123"
	p, boxes := preparedGlyphs(t, text)
	read := "7NHN123" // W read as N, M as H
	ps := make([]pos, len(read))
	for i, b := range boxes {
		ps[i] = pos{opts: []alt{{read[i : i+1], 95}, {"X", 20}}, x: mapX((b.Min.X+b.Max.X)/2, p.cols, p.colX)}
	}
	p.verify(ps, p.colX)
	var got string
	for _, q := range ps {
		got += q.opts[0].text
	}
	if got != text {
		t.Fatalf("got %s, want %s", got, text)
	}
	for _, i := range []int{1, 2} {
		o := ps[i].opts
		if len(o) != 3 || o[1].text != read[i:i+1] || o[0].conf != 95 || o[1].conf > o[0].conf || o[2].text != "X" {
			t.Errorf("position %d: got choices %v, want %c at 95, then %c, then X", i, o, text[i], read[i])
		}
	}
	if len(ps[3].opts) != 2 || ps[0].opts[0].text != "7" {
		t.Errorf("letters read right or outside HMNW changed: %v", ps)
	}

	// No row found, or positions off every character box: nothing
	// changes.
	var none prep
	q := []pos{{opts: []alt{{"N", 90}}, x: 10}}
	none.verify(q, nil)
	p.verify(q[:0], p.colX)
	far := []pos{{opts: []alt{{"N", 90}}, x: -100}}
	p.verify(far, p.colX)
	if q[0].opts[0].text != "N" || far[0].opts[0].text != "N" {
		t.Errorf("got %v and %v, want N unchanged", q, far)
	}
}

// preparedGlyphs prepares a synthesized Californian plate of text (Go
// Bold, squeezed to 0.6 of its width, as narrow as a US plate's font) as
// Read does and returns its character boxes, one per character.
func preparedGlyphs(t *testing.T, text string) (*prep, []image.Rectangle) {
	t.Helper()
	wide := plate(t, "us-ca", text, 240, false, synth.GoBold)
	img := image.NewGray(image.Rect(0, 0, wide.Rect.Dx()*6/10, wide.Rect.Dy()))
	resample(wide.Pix, wide.Stride, wide.Rect, img.Pix, img.Stride, img.Rect)
	img = soften(img, 6, 1)
	p := &prep{}
	if !p.prepare(img, 48, 100, false) || !p.found {
		t.Fatalf("%s: no row of characters", text)
	}
	boxes := p.charBoxes()
	if len(boxes) != len(text) {
		t.Fatalf("%s: got %d character boxes %v, want %d", text, len(boxes), boxes, len(text))
	}
	return p, boxes
}

func indexByte(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}
