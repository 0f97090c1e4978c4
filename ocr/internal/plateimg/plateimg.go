// Package plateimg renders synthetic licence-plate images for the tests of
// package ocr and its sub-packages: plate-like text on a 2:1 plate, pasted
// into a cluttered day scene or an IR-style night frame. It uses no photos and
// no files, only the Go fonts, so tests run anywhere. It is a test helper:
// production code must not import it.
package plateimg

import (
	"image"
	"image/color"
	"math/rand/v2"
)

// Plate describes a US-style 2:1 plate.
type Plate struct {
	Text   string // main characters, e.g. "7ABC123"
	Header string // small text above them, e.g. "CALIFORNIA"; "" for none
	Width  int    // pixels; the height is Width/2
	Paper  uint8  // background grey; 0 means 235
	Ink    uint8  // character grey; 0 means 25
	Border bool   // draw a dark frame just inside the edge
	Font   *Font  // nil means Go Bold
}

// Render draws the plate.
func (p Plate) Render() *image.Gray {
	w := p.Width
	h := w / 2
	paper, ink := p.Paper, p.Ink
	if paper == 0 {
		paper = 235
	}
	if ink == 0 {
		ink = 25
	}
	f := p.Font
	if f == nil {
		f = GoBold()
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	Fill(img, img.Rect, paper)
	if p.Border {
		t := max(1, w/70)
		in := max(1, w/60)
		r := image.Rect(in, in, w-in, h-in)
		Fill(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+t), ink)
		Fill(img, image.Rect(r.Min.X, r.Max.Y-t, r.Max.X, r.Max.Y), ink)
		Fill(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+t, r.Max.Y), ink)
		Fill(img, image.Rect(r.Max.X-t, r.Min.Y, r.Max.X, r.Max.Y), ink)
	}
	fh := float64(h)
	fw := float64(w)
	capH := capFrac * fh
	main := Style{Font: f, CapHeight: capH, Width: widthFrac * fw, Spacing: 0.02 * fw}
	if n := len([]rune(p.Text)); n > 0 && n < 6 {
		main.Width = widthFrac * fw * float64(n) / 7
	}
	base := 0.5*fh + capH/2 + 0.05*fh
	DrawText(img, p.Text, (fw-main.Width)/2, base, main, ink)
	if p.Header != "" {
		hs := Style{Font: f, CapHeight: 0.1 * fh}
		hw := min(hs.TextWidth(p.Header), 0.6*fw)
		hs.Width = hw
		DrawText(img, p.Header, (fw-hw)/2, 0.2*fh, hs, ink)
	}
	return img
}

// Proportions of the main characters: cap height as a fraction of the
// plate's height, text width (7 characters) as a fraction of its width.
const (
	capFrac   = 0.40
	widthFrac = 0.80
)

// TextBox is where Render puts the main characters (approximately).
func (p Plate) TextBox() image.Rectangle {
	w := float64(p.Width)
	h := w / 2
	capH := capFrac * h
	tw := widthFrac * w
	if n := len([]rune(p.Text)); n > 0 && n < 6 {
		tw = tw * float64(n) / 7
	}
	base := 0.5*h + capH/2 + 0.05*h
	return image.Rect(int((w-tw)/2), int(base-capH), int((w+tw)/2), int(base))
}

// Fill paints r with grey v.
func Fill(img *image.Gray, r image.Rectangle, v uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = v
		}
	}
}

// Paste copies src into dst with its top-left corner at at and returns the
// rectangle it covers in dst.
func Paste(dst, src *image.Gray, at image.Point) image.Rectangle {
	r := src.Rect.Sub(src.Rect.Min).Add(at)
	c := r.Intersect(dst.Rect)
	for y := c.Min.Y; y < c.Max.Y; y++ {
		s := src.PixOffset(src.Rect.Min.X+c.Min.X-at.X, src.Rect.Min.Y+y-at.Y)
		copy(dst.Pix[dst.PixOffset(c.Min.X, y):dst.PixOffset(c.Max.X, y)], src.Pix[s:])
	}
	return r
}

// Blur applies a 3x3 box blur n times (camera softness).
func Blur(img *image.Gray, n int) {
	b := img.Rect
	w, h := b.Dx(), b.Dy()
	tmp := make([]uint16, w*h)
	for ; n > 0; n-- {
		for y := 0; y < h; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+w]
			for x := 0; x < w; x++ {
				s := uint16(row[x]) * 2
				s += uint16(row[max(x-1, 0)]) + uint16(row[min(x+1, w-1)])
				tmp[y*w+x] = s
			}
		}
		for y := 0; y < h; y++ {
			up, dn := max(y-1, 0), min(y+1, h-1)
			for x := 0; x < w; x++ {
				s := tmp[y*w+x]*2 + tmp[up*w+x] + tmp[dn*w+x]
				img.Pix[y*img.Stride+x] = uint8((s + 8) / 16)
			}
		}
	}
}

// Noise adds uniform noise of amplitude ±amp.
func Noise(img *image.Gray, amp int, seed uint64) {
	if amp <= 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i, v := range img.Pix {
		img.Pix[i] = clamp(int(v) + rng.IntN(2*amp+1) - amp)
	}
}

func clamp(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// Frame is a scene with one plate in it.
type Frame struct {
	Img   *image.Gray
	Plate image.Rectangle // where the plate is
}

// Day renders a w x h grey daytime scene with clutter (boxes, lines, a
// radiator grille, a sign with small text) and the plate p on a car body,
// centred near (cx, cy). Deterministic for a seed.
func Day(w, h int, p Plate, cx, cy int, seed uint64) Frame {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		v := uint8(150 - 60*y/h)
		Fill(img, image.Rect(0, y, w, y+1), v)
	}
	// Clutter: boxes of random grey, a few thin lines.
	for i := 0; i < 40; i++ {
		x0, y0 := rng.IntN(w), rng.IntN(h)
		bw, bh := 10+rng.IntN(w/5), 10+rng.IntN(h/5)
		Fill(img, image.Rect(x0, y0, x0+bw, y0+bh), uint8(30+rng.IntN(190)))
	}
	for i := 0; i < 12; i++ {
		if rng.IntN(2) == 0 {
			y := rng.IntN(h)
			Fill(img, image.Rect(0, y, w, y+1+rng.IntN(3)), uint8(rng.IntN(256)))
		} else {
			x := rng.IntN(w)
			Fill(img, image.Rect(x, 0, x+1+rng.IntN(3), h), uint8(rng.IntN(256)))
		}
	}
	pw, ph := p.Width, p.Width/2
	// The car: a body around the plate, a bumper line, a grille above.
	body := image.Rect(cx-2*pw, cy-3*ph/2, cx+2*pw, cy+ph)
	Fill(img, body, uint8(70+rng.IntN(50)))
	Fill(img, image.Rect(body.Min.X, cy+ph/2+ph/4, body.Max.X, cy+ph/2+ph/4+max(2, ph/10)), 40)
	g := image.Rect(cx-pw, cy-ph*5/4, cx+pw, cy-ph*3/4)
	Fill(img, g, 50)
	step := max(4, pw/12)
	for x := g.Min.X + step/2; x < g.Max.X; x += step {
		Fill(img, image.Rect(x, g.Min.Y, x+max(1, step/3), g.Max.Y), 140)
	}
	// A sign with a line of small text away from the car.
	sx, sy := rng.IntN(w/4), rng.IntN(h/4)
	sign := image.NewGray(image.Rect(0, 0, 160, 50))
	Fill(sign, sign.Rect, 220)
	DrawText(sign, "NO PARKING", 8, 32, Style{Font: GoBold(), CapHeight: 14, Width: 140}, 20)
	Paste(img, sign, image.Pt(sx, sy))

	plate := p.Render()
	at := image.Pt(cx-pw/2, cy-ph/2)
	r := Paste(img, plate, at)
	Blur(img, 1)
	Noise(img, 6, seed)
	return Frame{Img: img, Plate: r}
}

// IR renders a w x h night frame as an IR-flash camera sees it: a dark,
// noisy background, a faint car, and the retro-reflective plate as the
// brightest thing in the frame, near (cx, cy).
func IR(w, h int, p Plate, cx, cy int, seed uint64) Frame {
	rng := rand.New(rand.NewPCG(seed, 2))
	img := image.NewGray(image.Rect(0, 0, w, h))
	Fill(img, img.Rect, 18)
	for i := 0; i < 15; i++ {
		x0, y0 := rng.IntN(w), rng.IntN(h)
		Fill(img, image.Rect(x0, y0, x0+10+rng.IntN(w/6), y0+10+rng.IntN(h/6)), uint8(10+rng.IntN(50)))
	}
	pw, ph := p.Width, p.Width/2
	Fill(img, image.Rect(cx-2*pw, cy-3*ph/2, cx+2*pw, cy+ph), 45)
	// Two head/tail lamps: bright but round-ish and small.
	for _, dx := range []int{-3 * pw / 2, 3 * pw / 2} {
		Fill(img, image.Rect(cx+dx-pw/8, cy-ph, cx+dx+pw/8, cy-ph+pw/8), 250)
	}
	if p.Paper == 0 {
		p.Paper = 245
	}
	if p.Ink == 0 {
		p.Ink = 40
	}
	plate := p.Render()
	r := Paste(img, plate, image.Pt(cx-pw/2, cy-ph/2))
	Blur(img, 1)
	Noise(img, 8, seed)
	return Frame{Img: img, Plate: r}
}

// Flat is a uniform frame.
func Flat(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	Fill(img, img.Rect, v)
	return img
}

// Random is a frame of independent uniform noise.
func Random(w, h int, seed uint64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.UintN(256))
	}
	return img
}

// GrayOf converts any image to grey (for debugging helpers).
func GrayOf(m image.Image) *image.Gray {
	b := m.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.Set(x, y, color.GrayModel.Convert(m.At(x, y)))
		}
	}
	return g
}
