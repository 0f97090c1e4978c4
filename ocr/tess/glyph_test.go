package tess

import (
	"image"
	"image/draw"
	"math"
	"strings"
	"testing"

	"alprd/tools/platesynth/synth"
)

// TestClassifyGlyphs: on synthesized plates drawn in Go Bold (not one of
// the templates' faces) and squeezed like a US plate's font, every glyph of
// W, M, N and H matches its own letter's templates best of the four, and
// the digits and letters that are no look-alikes match their own
// character better than any other that is not its look-alike.
func TestClassifyGlyphs(t *testing.T) {
	for _, text := range []string{"7WMN123", "4HWM856", "9KXV374"} {
		p, boxes := preparedGlyphs(t, text)
		for i, b := range boxes {
			want := text[i : i+1]
			s := classify(p.src, p.cw, b)
			if strings.Contains(checkLetters, want) {
				for _, c := range checkLetters {
					if string(c) != want && s.of(string(c)) >= s.of(want) {
						t.Errorf("%s: glyph %d (%s): %c matches as well (%.3f) as %s (%.3f)", text, i, want, c, s.of(string(c)), want, s.of(want))
					}
				}
				continue
			}
			for _, c := range glyphLetters {
				if string(c) != want && !alike(want, string(c)) && s.of(string(c)) >= s.of(want) {
					t.Errorf("%s: glyph %d (%s): %c matches as well (%.3f) as %s (%.3f)", text, i, want, c, s.of(string(c)), want, s.of(want))
				}
			}
		}
	}
}

// TestVerify: a W and an M read as N and H get their letters back, the
// letter read kept second; an N read as H stays H (verify only makes W and
// M, the letters the models miss); the letters read right, and characters
// outside the four letters, are left alone.
func TestVerify(t *testing.T) {
	text := "7WMN123"
	p, boxes := preparedGlyphs(t, text)
	read := "7NHH123" // W read as N, M as H, N as H
	ps := make([]pos, len(read))
	for i, b := range boxes {
		ps[i] = pos{opts: []alt{{read[i : i+1], 95}, {"X", 20}}, x: mapX((b.Min.X+b.Max.X)/2, p.cols, p.colX)}
	}
	g := &glyphs{p: p, lay: p.colX}
	g.verify(ps)
	if got, want := firsts(ps), "7WMH123"; got != want {
		t.Fatalf("got %s, want %s", got, want)
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
	q := []pos{{opts: []alt{{"N", 90}}, x: 10}}
	(&glyphs{p: new(prep)}).check(q, nil)
	far := []pos{{opts: []alt{{"N", 90}}, x: -100}}
	g.verify(far)
	if q[0].opts[0].text != "N" || far[0].opts[0].text != "N" {
		t.Errorf("got %v and %v, want N unchanged", q, far)
	}
}

// TestArbitrate: a character whose second choice is what its glyph shows
// (9 read as 3, V as Y) takes it; a second choice the model gave too little
// confidence, a look-alike (Z for 2), or one the glyph does not show, does
// not.
func TestArbitrate(t *testing.T) {
	text := "9KXV374"
	p, boxes := preparedGlyphs(t, text)
	opts := [][]alt{
		{{"3", 90}, {"9", 60}},            // taken
		{{"K", 90}, {"X", 80}},            // the glyph is a K
		{{"X", 90}, {"K", 10}},            // too little confidence for K anyway
		{{"Y", 90}, {"V", 50}},            // taken
		{{"3", 90}, {"8", 70}},            // the glyph is a 3
		{{"T", 90}, {"7", 17}},            // 7 below arbitrateConf
		{{"A", 90}, {"4", 85}, {"Z", 80}}, // taken: 4
	}
	ps := make([]pos, len(text))
	for i, b := range boxes {
		ps[i] = pos{opts: opts[i], x: mapX((b.Min.X+b.Max.X)/2, p.cols, p.colX)}
	}
	g := &glyphs{p: p, lay: p.colX}
	g.arbitrate(ps)
	if got, want := firsts(ps), "9KXV3T4"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if o := ps[0].opts; o[0].conf != 90 || o[1].text != "3" || o[1].conf > 90 {
		t.Errorf("position 0: got %v, want 9 at 90, then 3", o)
	}
	// A look-alike is never taken, whatever the glyph.
	p2, boxes2 := preparedGlyphs(t, "2ZZ4567")
	look := []pos{{opts: []alt{{"Z", 90}, {"2", 85}}, x: mapX((boxes2[0].Min.X+boxes2[0].Max.X)/2, p2.cols, p2.colX)}}
	(&glyphs{p: p2, lay: p2.colX}).arbitrate(look)
	if look[0].opts[0].text != "Z" {
		t.Errorf("look-alike: got %v, want Z kept", look[0].opts)
	}
}

func firsts(ps []pos) string {
	var b strings.Builder
	for _, q := range ps {
		b.WriteString(q.opts[0].text)
	}
	return b.String()
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
	boxes := p.charBoxes(p.hm)
	if len(boxes) != len(text) {
		t.Fatalf("%s: got %d character boxes %v, want %d", text, len(boxes), boxes, len(text))
	}
	return p, boxes
}

// TestDropLogos: an emblem as tall as the characters beside the row (a
// ring with rays, like New Mexico's Zia) is painted out; the characters,
// the wide ones included, are all kept.
func TestDropLogos(t *testing.T) {
	const text = "7ABC123"
	// The plate with room on its left, where the emblem goes.
	padded := func() *image.Gray {
		p := plate(t, "us-ca", text, 240, false, synth.GoBold)
		img := image.NewGray(image.Rect(0, 0, p.Rect.Dx()+60, p.Rect.Dy()))
		fillRect(img, img.Rect, 255)
		draw.Draw(img, p.Rect.Add(image.Pt(60, 0)), p, p.Rect.Min, draw.Src)
		return img
	}
	img := padded()
	var pr prep
	if !pr.prepare(img, 48, 100, false) || !pr.found {
		t.Fatal("no row of characters on the plain plate")
	}
	boxes := pr.charBoxes(pr.hm)
	if len(boxes) != len(text) {
		t.Fatalf("plain plate: %d characters, want %d", len(boxes), len(text))
	}
	first, last := boxes[0], boxes[len(boxes)-1]
	h := first.Dy()
	img = padded()
	// The emblem, left of the first character where the plate has room.
	cx, cy, r := float64(first.Min.X)-float64(h)*0.6, float64(first.Min.Y+h/2), float64(h)/2
	if cx-r < 0 {
		t.Fatalf("no room for the emblem left of %v", first)
	}
	for y := int(cy - r); y <= int(cy+r); y++ {
		for x := int(cx - r); x <= int(cx+r); x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d := math.Hypot(dx, dy)
			on := math.Abs(d-r*0.45) < 2
			if a := math.Atan2(dy, dx) * 16 / (2 * math.Pi); !on && d > r*0.45 && d <= r {
				on = math.Abs(a-math.Round(a))*2*math.Pi*d/16 < 1.5
			}
			if on {
				img.Pix[y*img.Stride+x] = 0
			}
		}
	}
	if !pr.prepare(img, 48, 100, false) || !pr.found {
		t.Fatal("no row of characters on the plate with the emblem")
	}
	got := pr.charBoxes(pr.hm)
	for _, b := range got {
		if b.Max.X <= first.Min.X {
			t.Errorf("got a kept box %v left of the first character (at %v): the emblem", b, first)
		}
	}
	if len(got) != len(text) {
		t.Errorf("got %d character boxes %v, want %d", len(got), got, len(text))
	}
	if pr.area.Min.X > first.Min.X || pr.area.Max.X < last.Max.X {
		t.Errorf("got the characters' area %v, want it to hold %v to %v", pr.area, first, last)
	}
}

// TestBars: a 1 read as I becomes 1 (Go Bold's 1 has a flag); an I read as
// I stays (its top serif reaches both sides of the stem), and so does any
// other character read as I.
func TestBars(t *testing.T) {
	text := "71I1LT4"
	p, boxes := preparedGlyphs(t, text)
	read := "7IIIIT4" // the 1s, the I and the L read as I
	ps := make([]pos, len(text))
	for i, b := range boxes {
		ps[i] = pos{opts: []alt{{read[i : i+1], 90}, {"J", 30}}, x: mapX((b.Min.X+b.Max.X)/2, p.cols, p.colX)}
	}
	(&glyphs{p: p, lay: p.colX}).bars(ps)
	if got, want := firsts(ps), "71I1IT4"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if o := ps[1].opts; len(o) != 3 || o[0].conf != 90 || o[1].text != "I" || o[2].text != "J" {
		t.Errorf("position 1: got choices %v, want 1 at 90, then I, then J", o)
	}
	for i, b := range boxes {
		if got, want := flagged(p.src, p.cw, b), text[i] == '1'; got != want {
			t.Errorf("%c: got flagged %v, want %v", text[i], got, want)
		}
	}
}
