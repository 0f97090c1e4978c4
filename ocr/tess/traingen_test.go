package tess

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// TestTrainingSet writes the synthesized training lines of the plate model
// (see train/): plate texts rendered in many typefaces, put on a plate-like
// background with the clutter of real plates (state names, frames, bolts,
// stickers, logos), distorted like a camera crop, and then prepared by
// prep.prepare exactly as Read prepares a crop, so that the model learns
// what it will be shown. Nothing here comes from real images.
//
//	ALPRD_TRAIN_OUT=DIR ALPRD_TRAIN_N=20000 [ALPRD_TRAIN_SEED=1] \
//	[ALPRD_TRAIN_FONTS=a.ttf:b.ttf] go test -run TestTrainingSet ./ocr/tess
//
// writes DIR/NNNNNN.png, DIR/NNNNNN.gt.txt and DIR/NNNNNN.box (one line
// box in Tesseract's WordStr format), and DIR/list.txt.
func TestTrainingSet(t *testing.T) {
	out := os.Getenv("ALPRD_TRAIN_OUT")
	if out == "" {
		t.Skip("ALPRD_TRAIN_OUT not set")
	}
	n, _ := strconv.Atoi(os.Getenv("ALPRD_TRAIN_N"))
	if n <= 0 {
		n = 1000
	}
	seed, _ := strconv.ParseUint(os.Getenv("ALPRD_TRAIN_SEED"), 10, 64)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	fonts := trainFonts(t, strings.Split(os.Getenv("ALPRD_TRAIN_FONTS"), ":"))
	t.Logf("%d typefaces", len(fonts))
	g := &lineGen{r: rand.New(rand.NewPCG(seed, 0x5eed)), fonts: fonts}
	list, err := os.Create(filepath.Join(out, "list.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer list.Close()
	lw := bufio.NewWriter(list)
	var p prep
	for i := range n {
		text, img := g.sample()
		// Read prepares a crop with characters CharHeight (48) tall, and
		// again 5/6 of that for a reading of low confidence (see
		// secondBelow): train at both.
		charH := 48
		if g.r.IntN(3) == 0 {
			charH = 40
		}
		if !p.prepare(img, charH, 100, false) {
			continue
		}
		if os.Getenv("X") != "" {
			t.Logf("%06d %s found=%v cols=%d", i, text, p.found, len(p.cols))
			dump(t, filepath.Join(out, fmt.Sprintf("%06d-crop.png", i)), img)
		}
		if !g.rowFound(&p, img) || p.nkeep < len(text) || p.nkeep > len(text)+2 {
			// No row of characters (the whole crop, mostly noise, would be
			// read), a row of other things (bolts, a frame's corners,
			// blotches), or a character lost or merged: the label would
			// lie.
			continue
		}
		base := filepath.Join(out, fmt.Sprintf("%06d", i))
		f, err := os.Create(base + ".png")
		if err != nil {
			t.Fatal(err)
		}
		line := p.line()
		if err := png.Encode(f, line); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.WriteFile(base+".gt.txt", []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var box strings.Builder
		for _, c := range text {
			fmt.Fprintf(&box, "%c 0 0 %d %d 0\n", c, line.Rect.Dx(), line.Rect.Dy())
		}
		fmt.Fprintf(&box, "\t 0 0 %d %d 0\n", line.Rect.Dx(), line.Rect.Dy())
		if err := os.WriteFile(base+".box", []byte(box.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(lw, base+".png")
	}
	if err := lw.Flush(); err != nil {
		t.Fatal(err)
	}
}

type trainFont struct {
	name string
	f    *opentype.Font
}

// plateLike names (parts of file names) the typefaces that look like real
// plate fonts: condensed, even-stroked gothics (DIN 1451 of German, Czech,
// Slovak and Brazilian plates, the embossed gothics of US plates). They are
// drawn three times as often as the others.
var plateLike = []string{"DIN", "Narrow", "Condensed", "Cond", "Bebas"}

// pickFont draws a typeface, favouring the plate-like ones.
func (g *lineGen) pickFont() int {
	if g.weights == nil {
		for _, f := range g.fonts {
			w := 1
			for _, s := range plateLike {
				if strings.Contains(f.name, s) {
					w = 3
					break
				}
			}
			g.weights = append(g.weights, w)
			g.total += w
		}
	}
	k := g.r.IntN(g.total)
	for i, w := range g.weights {
		if k < w {
			return i
		}
		k -= w
	}
	return len(g.fonts) - 1
}

// trainFonts returns Go's Bold, Medium, Regular and Mono Bold faces, then
// those of the font files named.
func trainFonts(t *testing.T, files []string) []trainFont {
	var fs []trainFont
	add := func(name string, data []byte) {
		f, err := opentype.Parse(data)
		if err != nil {
			t.Logf("font %s: %v", name, err)
			return
		}
		fs = append(fs, trainFont{name, f})
	}
	add("gobold", gobold.TTF)
	add("gomedium", gomedium.TTF)
	add("goregular", goregular.TTF)
	add("gomonobold", gomonobold.TTF)
	for _, p := range files {
		if p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		add(filepath.Base(p), b)
	}
	return fs
}

// lineGen draws synthetic plate crops.
type lineGen struct {
	r       *rand.Rand
	fonts   []trainFont
	faces   map[[2]int]font.Face
	weights []int // per font, see pickFont
	total   int
	// Where the last sample's characters are in its crop, and whether they
	// are light on dark (see camera).
	row  image.Rectangle
	rowH float64
	inv  bool
}

// rowFound reports whether prepare (p) found the row of characters of the
// last sample (crop): of about their height, about where they are, and all
// of it, as dark characters (a low-contrast plate can fool prepare's guess
// of the polarity into taking the gaps between them for characters).
func (g *lineGen) rowFound(p *prep, crop *image.Gray) bool {
	if !p.found || lightOnDark(crop) != g.inv {
		return false
	}
	h := float64(p.hm)
	if h < 0.75*g.rowH || h > 1.35*g.rowH {
		return false
	}
	a, b := p.area, g.row
	ox := min(a.Max.X, b.Max.X) - max(a.Min.X, b.Min.X)
	cy := float64(a.Min.Y+a.Max.Y-b.Min.Y-b.Max.Y) / 2
	return float64(ox) >= 0.9*float64(b.Dx()) && math.Abs(cy) <= 0.3*g.rowH
}

// plateLetters draws the letters of the plate patterns: I and Q, which
// most series avoid (they look like 1 and O), half as often as the others.
const plateLetters = "ABCDEFGHJKLMNOPRSTUVWXYZABCDEFGHJKLMNOPRSTUVWXYZIQ"

const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits  = "0123456789"
)

var platePatterns = []string{
	"DLLLDDD", "DLLL DDD", "LLL DDDD", "LLLDDDD", "LLL-DDDD", "DDD LLL", "DDDLLL", "DDD-LLL",
	"LLL DDD", "LLLDDD", "LL DDDDD", "DDDDDD", "DDD DDD", "LLDDDD", "DLL DDD", "DDLLDD",
	"DDDLLD", "LDDDDD", "DDDDD", "LLL DDL", "DDD DDDD", "LLDLDDD", "DLDDDD", "DDDD",
	// European and Brazilian layouts.
	"LL DDDLL", "LL-DDDLL", "LL DD LLL", "L LL DDDD", "LL L DDD", "LLL-DDDD", "LLL DLDD", "LLLDLDD",
}

func (g *lineGen) text() (plain string, drawn string) {
	r := g.r
	var b strings.Builder
	if r.IntN(10) < 6 {
		for _, c := range platePatterns[r.IntN(len(platePatterns))] {
			switch c {
			case 'L':
				b.WriteByte(plateLetters[r.IntN(len(plateLetters))])
			case 'D':
				b.WriteByte(digits[r.IntN(len(digits))])
			default:
				b.WriteRune(c)
			}
		}
	} else {
		n := 2 + r.IntN(7)
		for i := range n {
			if i > 0 && i < n-1 && r.IntN(8) == 0 {
				b.WriteByte(" -"[r.IntN(2)])
			}
			b.WriteByte(alnum[r.IntN(len(alnum))])
		}
	}
	drawn = b.String()
	return clean(drawn), drawn
}

func (g *lineGen) face(fi, size int) font.Face {
	if g.faces == nil {
		g.faces = map[[2]int]font.Face{}
	}
	k := [2]int{fi, size}
	if f, ok := g.faces[k]; ok {
		return f
	}
	f, err := opentype.NewFace(g.fonts[fi].f, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic(err)
	}
	g.faces[k] = f
	return f
}

// canvas is a float grey image, 0 black .. 1 white.
type canvas struct {
	w, h int
	v    []float32
}

func newCanvas(w, h int, bg float32) *canvas {
	c := &canvas{w, h, make([]float32, w*h)}
	for i := range c.v {
		c.v[i] = bg
	}
	return c
}

// blend paints colour col with coverage a (0..1) at x, y.
func (c *canvas) blend(x, y int, col, a float32) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h || a <= 0 {
		return
	}
	i := y*c.w + x
	c.v[i] = c.v[i]*(1-a) + col*a
}

// textMask renders s in face fi at size px into an alpha mask with the
// given extra letter spacing (fraction of size) and returns the mask, its
// cap-height box and the centres of the gaps (spaces and dashes). With
// wide, the spaces are as wide as a character or more, room for a logo.
func (g *lineGen) textMask(fi, size int, s string, spacing float64, wide bool) (*image.Alpha, image.Rectangle, []float64) {
	f := g.face(fi, size)
	m := f.Metrics()
	asc := m.Ascent.Ceil()
	w := 0
	for _, c := range s {
		adv, _ := f.GlyphAdvance(c)
		w += adv.Ceil() + int(spacing*float64(size))
	}
	w += size
	if wide {
		w += 2 * size * strings.Count(s, " ")
	}
	h := asc + m.Descent.Ceil() + 4
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	d := &font.Drawer{Dst: a, Src: image.Opaque, Face: f, Dot: fixed.P(size/4, asc+2)}
	var gaps []float64
	for _, c := range s {
		if c == ' ' || c == '-' {
			gw := float64(size) * (0.2 + 0.4*g.r.Float64())
			if wide && c == ' ' {
				gw = float64(size) * (0.9 + 0.5*g.r.Float64())
			}
			gaps = append(gaps, float64(d.Dot.X)/64+gw/2)
			if c == '-' {
				y := asc + 2 - size*35/100
				for yy := y; yy < y+size/10; yy++ {
					for xx := int(float64(d.Dot.X)/64 + gw*0.25); xx < int(float64(d.Dot.X)/64+gw*0.75); xx++ {
						a.SetAlpha(xx, yy, color.Alpha{255})
					}
				}
			}
			d.Dot.X += fixed.I(int(gw))
			continue
		}
		d.DrawString(string(c))
		d.Dot.X += fixed.I(int(spacing * float64(size)))
	}
	return a, inkBox(a), gaps
}

func inkBox(a *image.Alpha) image.Rectangle {
	b := a.Rect
	x0, y0, x1, y1 := b.Max.X, b.Max.Y, b.Min.X, b.Min.Y
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if a.Pix[(y-b.Min.Y)*a.Stride+x-b.Min.X] > 32 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			}
		}
	}
	if x1 <= x0 {
		return image.Rectangle{}
	}
	return image.Rect(x0, y0, x1, y1)
}

// paint draws mask box mb scaled into the rectangle (x, y, w, h) of c in
// colour col.
func (c *canvas) paint(m *image.Alpha, mb image.Rectangle, x, y, w, h float64, col float32) {
	if mb.Empty() || w < 1 || h < 1 {
		return
	}
	sx, sy := float64(mb.Dx())/w, float64(mb.Dy())/h
	for yy := int(y); yy < int(y+h)+1; yy++ {
		for xx := int(x); xx < int(x+w)+1; xx++ {
			u := (float64(xx)+0.5-x)*sx + float64(mb.Min.X) - 0.5
			v := (float64(yy)+0.5-y)*sy + float64(mb.Min.Y) - 0.5
			c.blend(xx, yy, col, float32(bilinearAlpha(m, u, v)))
		}
	}
}

func bilinearAlpha(m *image.Alpha, u, v float64) float64 {
	x0, y0 := int(math.Floor(u)), int(math.Floor(v))
	fx, fy := u-float64(x0), v-float64(y0)
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= m.Rect.Dx() || y >= m.Rect.Dy() {
			return 0
		}
		return float64(m.Pix[y*m.Stride+x]) / 255
	}
	return (at(x0, y0)*(1-fx)+at(x0+1, y0)*fx)*(1-fy) + (at(x0, y0+1)*(1-fx)+at(x0+1, y0+1)*fx)*fy
}

// sample draws one training crop and returns its text.
func (g *lineGen) sample() (string, *image.Gray) {
	r := g.r
	text, drawn := g.text()
	fi := g.pickFont()
	// Main text mask at a big size, then squeezed into the plate. Some
	// plates have a logo as tall as the characters between two groups of
	// them (a wide gap) or beside them (room at one end).
	wide := strings.Contains(drawn, " ") && r.IntN(10) < 3
	var m *image.Alpha
	var mb image.Rectangle
	var gaps []float64
	var squeeze float64
	if r.IntN(10) < 3 {
		// The plate gothic (see gothic), already narrow.
		m, mb, gaps = g.gothicMask(drawn, 0.1+0.1*r.Float64(), wide)
		squeeze = 0.85 + 0.25*r.Float64()
	} else {
		m, mb, gaps = g.textMask(fi, 96, drawn, -0.08+0.23*r.Float64(), wide)
		// Stroke weight: plate characters are heavier (embossed, painted
		// over) or thinner (worn, overexposed) than the typeface.
		switch k := r.IntN(20); {
		case k < 6:
			m = morph(m, 1+r.IntN(3), true)
		case k < 9:
			m = morph(m, 1, false)
		}
		if b := inkBox(m); !b.Empty() {
			mb = b
		}
		squeeze = 0.55 + 0.6*r.Float64() // plate fonts are narrow
		if r.IntN(3) == 0 {
			squeeze = 0.45 + 0.3*r.Float64() // US plates' condensed gothics
		}
	}
	capH := 60.0
	aspect := float64(mb.Dx()) / float64(mb.Dy())
	textW := capH * aspect * squeeze
	mx := capH * (0.15 + 0.6*r.Float64())
	myTop := capH * (0.3 + 0.7*r.Float64())
	myBot := capH * (0.2 + 0.6*r.Float64())
	end, ext := r.IntN(10), 0.0 // a logo at the left (0, 1) or right (2) end
	if end < 3 {
		ext = capH * (0.7 + 0.4*r.Float64())
	}
	W, H := int(textW+2*mx+ext), int(capH+myTop+myBot)
	fg, bg := float32(0.02+0.3*r.Float64()), float32(0.65+0.35*r.Float64())
	c := newCanvas(W, H, bg)
	// Background gradient and blotches.
	gx, gy := (r.Float64()-0.5)*0.3, (r.Float64()-0.5)*0.3
	for y := range H {
		for x := range W {
			c.v[y*W+x] += float32(gx*float64(x)/float64(W) + gy*float64(y)/float64(H))
		}
	}
	for range r.IntN(4) {
		cx, cy := r.Float64()*float64(W), r.Float64()*float64(H)
		rx, ry := capH*(0.3+r.Float64()), capH*(0.2+0.6*r.Float64())
		col := float32(0.3 + 0.7*r.Float64())
		alpha := float32(0.1 + 0.4*r.Float64())
		g.ellipse(c, cx, cy, rx, ry, col, alpha)
	}
	// Clutter: state name, slogan, frame, bolts, stickers, a logo.
	if r.IntN(10) < 7 {
		g.smallText(c, fi, 0, myTop, float64(W), capH, fg+float32(0.2*r.Float64()), true)
	}
	if r.IntN(10) < 5 {
		g.smallText(c, fi, myTop+capH, float64(H)-myTop-capH, float64(W), capH, fg+float32(0.2*r.Float64()), false)
	}
	if r.IntN(10) < 3 {
		th := 1 + r.IntN(int(capH/10)+1)
		inset := int(capH * 0.1 * r.Float64())
		for k := range th {
			for x := inset; x < W-inset; x++ {
				c.blend(x, inset+k, fg, 1)
				c.blend(x, H-1-inset-k, fg, 1)
			}
			for y := inset; y < H-inset; y++ {
				c.blend(inset+k, y, fg, 1)
				c.blend(W-1-inset-k, y, fg, 1)
			}
		}
	}
	tx := mx + capH*0.05*(r.Float64()-0.5)
	if end < 2 {
		tx += ext
	}
	ty := myTop + capH*0.05*(r.Float64()-0.5)
	if r.IntN(10) < 2 {
		// A frame's bar or a dealer's frame across the top or bottom of
		// the characters, touching or covering a little of them.
		th := capH * (0.05 + 0.25*r.Float64())
		col := fg + float32(0.3*r.Float64())
		y0 := ty - th + capH*(-0.1+0.18*r.Float64())
		if r.IntN(2) == 0 {
			y0 = ty + capH - capH*(0.08*r.Float64()) + capH*0.1*(r.Float64()-0.3)
		}
		for y := int(y0); y < int(y0+th); y++ {
			for x := range W {
				c.blend(x, y, col, 1)
			}
		}
	}
	if r.IntN(10) < 4 {
		rad := capH * (0.05 + 0.08*r.Float64())
		near := r.IntN(2) == 0 // bolts touching the characters
		for _, bx := range []float64{float64(W) * (0.15 + 0.15*r.Float64()), float64(W) * (0.7 + 0.15*r.Float64())} {
			by := myTop * (0.2 + 0.6*r.Float64())
			if near {
				by = ty - rad*(0.2+0.8*r.Float64())
			}
			if r.IntN(2) == 0 {
				by = float64(H) - myBot*(0.2+0.6*r.Float64())
				if near {
					by = ty + capH + rad*(0.2+0.8*r.Float64())
				}
			}
			g.ellipse(c, bx, by, rad, rad, float32(0.2+0.6*r.Float64()), 0.9)
		}
	}
	if r.IntN(10) < 2 {
		sw, sh := capH*(0.3+0.4*r.Float64()), capH*(0.2+0.3*r.Float64())
		sx := float64(W) - sw - capH*0.1
		if r.IntN(2) == 0 {
			sx = capH * 0.1
		}
		sy := capH * 0.05
		col := float32(0.2 + 0.7*r.Float64())
		for y := int(sy); y < int(sy+sh); y++ {
			for x := int(sx); x < int(sx+sw); x++ {
				c.blend(x, y, col, 1)
			}
		}
	}
	// Embossed characters: their raised edge throws a shadow or catches
	// the light a little beside them.
	if r.IntN(10) < 3 {
		dx, dy := capH*0.05*(r.Float64()-0.5), capH*0.06*(r.Float64()-0.5)
		col := bg - float32(0.15+0.3*r.Float64())
		if r.IntN(3) == 0 {
			col = min(1, bg+0.3)
		}
		c.paint(m, mb, tx+dx, ty+dy, textW, capH, col)
	}
	// The characters: jitter of baseline and size per glyph is not
	// possible on one mask; jitter the whole line instead.
	c.paint(m, mb, tx, ty, textW, capH, fg)
	// Logos as tall as the characters: a state's outline, an emblem, a
	// sticker, two small characters one above the other (4-H, DV).
	lh := capH * (0.7 + 0.35*r.Float64())
	ly := ty + (capH-lh)*r.Float64()
	lcol := fg + float32(0.4*r.Float64())
	switch {
	case end < 2:
		lw := ext * (0.5 + 0.3*r.Float64())
		g.logo(c, tx-ext*0.15-lw, ly, lw, lh, lcol)
	case end < 3:
		lw := ext * (0.5 + 0.3*r.Float64())
		g.logo(c, tx+textW+ext*0.15, ly, lw, lh, lcol)
	}
	if wide && len(gaps) > 0 && r.IntN(10) < 7 {
		gx := gaps[r.IntN(len(gaps))]
		lx := tx + (gx-float64(mb.Min.X))*textW/float64(mb.Dx())
		lw := capH * squeeze * (0.5 + 0.3*r.Float64())
		g.logo(c, lx-lw/2, ly, lw, lh, lcol)
	} else if len(gaps) > 0 && r.IntN(3) == 0 {
		// A logo or graphic between two groups of characters (Florida's
		// orange), in the gap.
		gx := gaps[r.IntN(len(gaps))]
		lx := tx + (gx-float64(mb.Min.X))*textW/float64(mb.Dx())
		rad := capH * (0.1 + 0.1*r.Float64())
		g.ellipse(c, lx, ty+capH/2, rad, rad, float32(0.3+0.4*r.Float64()), 0.8)
	}
	// Uneven light: the shadow of the boot lid or a bumper across part of
	// the plate, or a glare spot.
	switch k := r.IntN(10); {
	case k < 2:
		a := r.Float64() * 2 * math.Pi
		nx, ny := math.Cos(a), math.Sin(a)
		off := (nx*float64(W) + ny*float64(H)) * (0.2 + 0.6*r.Float64())
		f := float32(0.35 + 0.45*r.Float64())
		for y := range H {
			for x := range W {
				if nx*float64(x)+ny*float64(y) < off {
					c.v[y*W+x] *= f
				}
			}
		}
	case k < 3:
		g.ellipse(c, r.Float64()*float64(W), r.Float64()*float64(H), capH*(0.5+r.Float64()), capH*(0.3+0.5*r.Float64()), 1, float32(0.3+0.5*r.Float64()))
	}
	box := [4]float64{tx, ty, tx + textW, ty + capH}
	if r.IntN(10) < 4 {
		// A crop from a frame holds some of the car around the plate.
		c, box = g.surround(c, box)
	}
	img := g.camera(c, capH, box)
	return text, img
}

// surround puts the plate c into a larger canvas, a part of the car
// around it (a flat or graded colour, sometimes a bumper's edge), and
// returns it with box moved along.
func (g *lineGen) surround(c *canvas, box [4]float64) (*canvas, [4]float64) {
	r := g.r
	l, t := int(float64(c.h)*0.3*r.Float64()), int(float64(c.h)*0.3*r.Float64())
	rt, b := int(float64(c.h)*0.3*r.Float64()), int(float64(c.h)*0.3*r.Float64())
	d := newCanvas(c.w+l+rt, c.h+t+b, float32(r.Float64()))
	gy := float32(r.Float64()-0.5) * 0.5
	edge, col := -1, float32(r.Float64())
	if r.IntN(2) == 0 {
		edge = t + c.h + int(float64(b)*r.Float64())
	}
	for y := range d.h {
		for x := range d.w {
			v := d.v[y*d.w+x] + gy*float32(y)/float32(d.h)
			if edge >= 0 && y >= edge {
				v = col
			}
			d.v[y*d.w+x] = min(max(v, 0), 1)
		}
	}
	for y := range c.h {
		copy(d.v[(y+t)*d.w+l:(y+t)*d.w+l+c.w], c.v[y*c.w:(y+1)*c.w])
	}
	return d, [4]float64{box[0] + float64(l), box[1] + float64(t), box[2] + float64(l), box[3] + float64(t)}
}

// logo paints a graphic in the box x, y, w, h: a filled outline (a state,
// an emblem), two small characters one above the other, or a sticker.
func (g *lineGen) logo(c *canvas, x, y, w, h float64, col float32) {
	r := g.r
	switch k := r.IntN(10); {
	case k < 5:
		n := 5 + r.IntN(6)
		var px, py []float64
		for i := range n {
			a := 2 * math.Pi * (float64(i) + 0.8*r.Float64()) / float64(n)
			rr := 0.55 + 0.45*r.Float64()
			px = append(px, x+w/2+w/2*rr*math.Cos(a))
			py = append(py, y+h/2+h/2*rr*math.Sin(a))
		}
		for yy := int(y); yy <= int(y+h); yy++ {
			for xx := int(x); xx <= int(x+w); xx++ {
				if inPolygon(float64(xx)+0.5, float64(yy)+0.5, px, py) {
					c.blend(xx, yy, col, 1)
				}
			}
		}
	case k < 8:
		fi := g.pickFont()
		for i := range 2 {
			ch := alnum[r.IntN(len(alnum))]
			m, mb, _ := g.textMask(fi, 48, string(ch), 0, false)
			hh := h * 0.42
			ww := math.Min(w, hh*float64(mb.Dx())/float64(max(1, mb.Dy())))
			c.paint(m, mb, x+(w-ww)/2, y+float64(i)*h*0.55, ww, hh, col)
		}
	default:
		sc := min(1, col+0.3+0.4*float32(r.Float64()))
		for yy := int(y); yy < int(y+h); yy++ {
			for xx := int(x); xx < int(x+w); xx++ {
				c.blend(xx, yy, sc, 1)
			}
		}
		m, mb, _ := g.textMask(g.pickFont(), 48, string(digits[r.IntN(10)])+string(digits[r.IntN(10)]), 0, false)
		c.paint(m, mb, x+w*0.15, y+h*0.3, w*0.7, h*0.3, col)
	}
}

// inPolygon reports whether x, y lies inside the polygon px, py (even-odd
// rule).
func inPolygon(x, y float64, px, py []float64) bool {
	in := false
	for i, j := 0, len(px)-1; i < len(px); j, i = i, i+1 {
		if (py[i] > y) != (py[j] > y) && x < (px[j]-px[i])*(y-py[i])/(py[j]-py[i])+px[i] {
			in = !in
		}
	}
	return in
}

// ellipse paints a filled ellipse centred on cx, cy.
func (g *lineGen) ellipse(c *canvas, cx, cy, rx, ry float64, col, alpha float32) {
	for y := int(cy - ry); y <= int(cy+ry); y++ {
		for x := int(cx - rx); x <= int(cx+rx); x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			if dx*dx+dy*dy < 1 {
				c.blend(x, y, col, alpha)
			}
		}
	}
}

// morph dilates (grow) or erodes mask m by r pixels (a square), returning
// a new mask.
func morph(m *image.Alpha, r int, grow bool) *image.Alpha {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	pass := func(src []uint8, dx, dy int) []uint8 {
		out := make([]uint8, len(src))
		for y := range h {
			for x := range w {
				v := src[y*w+x]
				for k := 1; k <= r; k++ {
					for _, s := range [2]int{-k, k} {
						xx, yy := x+s*dx, y+s*dy
						var u uint8 // outside the mask is empty
						if xx >= 0 && yy >= 0 && xx < w && yy < h {
							u = src[yy*w+xx]
						}
						if grow {
							v = max(v, u)
						} else {
							v = min(v, u)
						}
					}
				}
				out[y*w+x] = v
			}
		}
		return out
	}
	pix := make([]uint8, w*h)
	for y := range h {
		copy(pix[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
	}
	pix = pass(pass(pix, 1, 0), 0, 1)
	return &image.Alpha{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// smallText writes a line of small text (a state name, a slogan) in the
// band y0..y0+bandH.
func (g *lineGen) smallText(c *canvas, fi int, y0, bandH, W, capH float64, col float32, top bool) {
	r := g.r
	if bandH < capH*0.2 {
		return
	}
	n := 4 + r.IntN(10)
	var b strings.Builder
	for range n {
		if r.IntN(6) == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(letters[r.IntN(len(letters))])
	}
	m, mb, _ := g.textMask(r.IntN(len(g.fonts)), 48, b.String(), 0.05, false)
	h := math.Min(bandH*0.7, capH*(0.2+0.3*r.Float64()))
	w := math.Min(W*0.9, h*float64(mb.Dx())/float64(mb.Dy())*(0.7+0.6*r.Float64()))
	x := (W - w) * r.Float64()
	y := y0 + (bandH-h)*(0.2+0.6*r.Float64())
	c.paint(m, mb, x, y, w, h, col)
}

// camera turns the drawn plate into a crop: perspective-ish shear and
// rotation, scale to the resolution of a real crop (as small as the plates
// of a traffic camera's frame, about 90 pixels wide), blur (focus, motion),
// low contrast, noise, sometimes light characters on a dark plate, and the
// JPEG compression of the camera's frames.
//
// It records in g.row where the characters' box (x0, y0, x1, y1 of c) and
// height went in the crop.
func (g *lineGen) camera(c *canvas, capH float64, box [4]float64) *image.Gray {
	r := g.r
	target := 10 + 36*r.Float64()*r.Float64() // character height in the crop
	if r.IntN(4) == 0 {
		target = 30 + 30*r.Float64()
	}
	s := target / capH
	ang := (r.Float64() - 0.5) * 2 * 3.5 * math.Pi / 180
	shx := (r.Float64() - 0.5) * 0.12
	W, H := int(float64(c.w)*s)+1, int(float64(c.h)*s)+1
	out := make([]float32, W*H)
	cx, cy := float64(c.w)/2, float64(c.h)/2
	ca, sa := math.Cos(ang), math.Sin(ang)
	// The inverse of the mapping below, for the characters' box.
	g.row = image.Rectangle{Min: image.Pt(W, H)}
	for _, q := range [4][2]float64{{box[0], box[1]}, {box[2], box[1]}, {box[0], box[3]}, {box[2], box[3]}} {
		dx, dy := q[0]-cx, q[1]-cy
		ux, uy := ca*dx+sa*dy, -sa*dx+ca*dy
		ux -= shx * uy
		x, y := int((ux+cx)*s), int((uy+cy)*s)
		g.row = image.Rect(min(g.row.Min.X, x), min(g.row.Min.Y, y), max(g.row.Max.X, x+1), max(g.row.Max.Y, y+1))
	}
	g.rowH = capH * s
	// Average over a few samples per output pixel (anti-aliased downscale).
	ss := max(1, int(1/s+0.5))
	for y := range H {
		for x := range W {
			var acc float32
			for j := range ss {
				for i := range ss {
					ux := (float64(x)+(float64(i)+0.5)/float64(ss))/s - cx
					uy := (float64(y)+(float64(j)+0.5)/float64(ss))/s - cy
					ux += shx * uy
					sx := ca*ux - sa*uy + cx
					sy := sa*ux + ca*uy + cy
					xi, yi := int(sx), int(sy)
					if xi < 0 || yi < 0 || xi >= c.w || yi >= c.h {
						acc += c.v[min(max(yi, 0), c.h-1)*c.w+min(max(xi, 0), c.w-1)]
						continue
					}
					acc += c.v[yi*c.w+xi]
				}
			}
			out[y*W+x] = acc / float32(ss*ss)
		}
	}
	// Blur: out of focus, or moving.
	if sigma := 1.5 * r.Float64() * r.Float64(); sigma > 0.3 {
		out = gaussBlur(out, W, H, sigma)
	}
	if r.IntN(5) == 0 {
		out = motionBlur(out, W, H, 2+r.IntN(3))
	}
	// Contrast (sometimes low: a dirty plate, dusk), polarity, noise.
	lo := float32(0.3 * r.Float64())
	hi := lo + float32(0.25+0.75*r.Float64())*(1-lo)
	inv := r.IntN(8) == 0
	g.inv = inv
	noise := float32(0.01 + 0.05*r.Float64())
	img := image.NewGray(image.Rect(0, 0, W, H))
	for i, v := range out {
		if inv {
			v = 1 - v
		}
		v = lo + (hi-lo)*(v+noise*float32(r.NormFloat64()))
		img.Pix[i] = uint8(min(max(v*255, 0), 255))
	}
	if r.IntN(10) < 6 {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 20 + r.IntN(70)}); err == nil {
			if m, err := jpeg.Decode(&b); err == nil {
				if gm, ok := m.(*image.Gray); ok {
					img = gm
				}
			}
		}
	}
	return img
}

// motionBlur averages n pixels along x.
func motionBlur(v []float32, w, h, n int) []float32 {
	out := make([]float32, len(v))
	for y := range h {
		for x := range w {
			var a float32
			for i := range n {
				a += v[y*w+min(max(x+i-n/2, 0), w-1)]
			}
			out[y*w+x] = a / float32(n)
		}
	}
	return out
}

func gaussBlur(v []float32, w, h int, sigma float64) []float32 {
	rad := int(math.Ceil(2.5 * sigma))
	k := make([]float32, 2*rad+1)
	var sum float32
	for i := range k {
		d := float64(i - rad)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float32, len(v))
	for y := range h {
		for x := range w {
			var a float32
			for i, kk := range k {
				xx := min(max(x+i-rad, 0), w-1)
				a += kk * v[y*w+xx]
			}
			tmp[y*w+x] = a
		}
	}
	out := make([]float32, len(v))
	for y := range h {
		for x := range w {
			var a float32
			for i, kk := range k {
				yy := min(max(y+i-rad, 0), h-1)
				a += kk * tmp[yy*w+x]
			}
			out[y*w+x] = a
		}
	}
	return out
}

// The plate gothic: a stroke font drawn here, narrow and even-stroked like
// the embossed characters of US plates (and, wider, like the DIN
// characters of European ones), whose shapes none of the installed
// typefaces has: a W whose middle stops short of the top, an M whose V
// stops short of the bottom, a 4 closed or open at the top, a 1 with a
// flag and no foot or with one. Each glyph is polylines in a unit box (x
// right, y down); strokes are drawn with round ends.
type glyph [][][2]float64

// arc returns the points of an elliptic arc centred on cx, cy from angle
// a0 to a1 (degrees, 0 right, 90 down).
func arc(cx, cy, rx, ry, a0, a1 float64) [][2]float64 {
	var p [][2]float64
	n := max(2, int(math.Abs(a1-a0)/15))
	for i := 0; i <= n; i++ {
		a := (a0 + (a1-a0)*float64(i)/float64(n)) * math.Pi / 180
		p = append(p, [2]float64{cx + rx*math.Cos(a), cy + ry*math.Sin(a)})
	}
	return p
}

func cat(ps ...[][2]float64) [][2]float64 {
	var out [][2]float64
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

type pt = [2]float64

// gothic returns the glyph of c; v (0..1) picks among its variants.
func gothic(c byte, v float64) glyph {
	const ry = 0.22 // the vertical radius of the rounded corners
	oval := cat(arc(0.5, ry, 0.5, ry, 180, 360), arc(0.5, 1-ry, 0.5, ry, 0, 180), [][2]float64{{0, ry}})
	switch c {
	case '0', 'O':
		return glyph{oval}
	case 'Q':
		return glyph{oval, {{0.6, 0.72}, {1, 1.05}}}
	case 'D':
		return glyph{cat([][2]float64{{0.45, 0}, {0, 0}, {0, 1}, {0.45, 1}}, arc(0.45, 1-ry, 0.55, ry, 90, 0), arc(0.45, ry, 0.55, ry, 0, -90))}
	case 'C':
		return glyph{cat(arc(0.5, ry, 0.5, ry, 340, 180), arc(0.5, 1-ry, 0.5, ry, 180, 20))}
	case 'G':
		return glyph{cat(arc(0.5, ry, 0.5, ry, 340, 180), arc(0.5, 1-ry, 0.5, ry, 180, 0), [][2]float64{{1, 0.55}, {0.55, 0.55}})}
	case 'U':
		return glyph{cat([][2]float64{{0, 0}}, arc(0.5, 1-ry, 0.5, ry, 180, 0), [][2]float64{{1, 0}})}
	case 'J':
		return glyph{cat([][2]float64{{1, 0}}, arc(0.5, 1-ry, 0.5, ry, 0, 180), [][2]float64{{0, 0.7}})}
	case 'S':
		return glyph{cat(arc(0.5, ry, 0.48, ry, 340, 180), [][2]float64{{0.1, 0.38}, {0.9, 0.58}}, arc(0.5, 1-ry, 0.5, ry, 0, 160))}
	case '5':
		return glyph{cat([][2]float64{{1, 0}, {0.05, 0}, {0.02, 0.46}, {0.5, 0.4}}, arc(0.5, 1-0.3, 0.5, 0.3, -80, 160))}
	case '6':
		return glyph{cat(arc(0.5, ry, 0.48, ry, 340, 180), [][2]float64{{0, 0.7}}, arc(0.5, 0.7, 0.5, 0.3, 180, 540))}
	case '9':
		return glyph{cat(arc(0.5, 1-ry, 0.48, ry, 160, 0), [][2]float64{{1, 0.3}}, arc(0.5, 0.3, 0.5, 0.3, 0, 360))}
	case '8':
		return glyph{arc(0.5, 0.24, 0.44, 0.24, 0, 360), arc(0.5, 0.73, 0.5, 0.27, 0, 360)}
	case '3':
		if v < 0.4 { // flat top
			return glyph{cat([][2]float64{{0, 0}, {1, 0}, {0.4, 0.42}}, arc(0.5, 0.7, 0.5, 0.3, -90, 160))}
		}
		return glyph{cat(arc(0.5, 0.23, 0.46, 0.23, 200, 450), arc(0.5, 0.73, 0.5, 0.27, -90, 160))}
	case '2':
		return glyph{cat(arc(0.5, 0.25, 0.5, 0.25, 190, 380), [][2]float64{{0, 1}, {1, 1}})}
	case '7':
		return glyph{{{0, 0}, {1, 0}, {0.3 + 0.2*v, 1}}}
	case '4':
		if v < 0.5 {
			return glyph{{{0.75, 1}, {0.75, 0}, {0, 0.68}, {1, 0.68}}}
		}
		return glyph{{{0.15, 0}, {0, 0.68}, {1, 0.68}}, {{0.75, 0.3}, {0.75, 1}}}
	case '1':
		if v < 0.3 {
			return glyph{{{0.1, 0.25}, {0.55, 0}, {0.55, 1}}, {{0.1, 1}, {1, 1}}}
		}
		return glyph{{{0.1, 0.25}, {0.55, 0}, {0.55, 1}}}
	case 'I':
		if v < 0.5 {
			return glyph{{{0.5, 0}, {0.5, 1}}, {{0.1, 0}, {0.9, 0}}, {{0.1, 1}, {0.9, 1}}}
		}
		return glyph{{{0.5, 0}, {0.5, 1}}}
	case 'A':
		return glyph{{{0, 1}, {0.4, 0}, {0.6, 0}, {1, 1}}, {{0.15, 0.66}, {0.85, 0.66}}}
	case 'B':
		return glyph{cat([][2]float64{{0, 0.48}, {0, 0}, {0.65, 0}}, arc(0.65, 0.24, 0.3, 0.24, -90, 90), [][2]float64{{0, 0.48}}),
			cat([][2]float64{{0, 0.48}, {0, 1}, {0.65, 1}}, arc(0.65, 0.74, 0.35, 0.26, 90, -90))}
	case 'E':
		return glyph{{{1, 0}, {0, 0}, {0, 1}, {1, 1}}, {{0, 0.5}, {0.8, 0.5}}}
	case 'F':
		return glyph{{{1, 0}, {0, 0}, {0, 1}}, {{0, 0.5}, {0.8, 0.5}}}
	case 'H':
		return glyph{{{0, 0}, {0, 1}}, {{1, 0}, {1, 1}}, {{0, 0.5}, {1, 0.5}}}
	case 'K':
		return glyph{{{0, 0}, {0, 1}}, {{1, 0}, {0, 0.62}}, {{0.3, 0.42}, {1, 1}}}
	case 'L':
		return glyph{{{0, 0}, {0, 1}, {1, 1}}}
	case 'M':
		return glyph{{{0, 1}, {0, 0}, {0.5, 0.5 + 0.4*v}, {1, 0}, {1, 1}}}
	case 'N':
		return glyph{{{0, 1}, {0, 0}, {1, 1}, {1, 0}}}
	case 'P':
		return glyph{cat([][2]float64{{0, 1}, {0, 0}, {0.65, 0}}, arc(0.65, 0.27, 0.35, 0.27, -90, 90), [][2]float64{{0, 0.54}})}
	case 'R':
		return glyph{cat([][2]float64{{0, 1}, {0, 0}, {0.65, 0}}, arc(0.65, 0.26, 0.35, 0.26, -90, 90), [][2]float64{{0, 0.52}}), {{0.55, 0.52}, {1, 1}}}
	case 'T':
		return glyph{{{0, 0}, {1, 0}}, {{0.5, 0}, {0.5, 1}}}
	case 'V':
		return glyph{{{0, 0}, {0.5, 1}, {1, 0}}}
	case 'W':
		return glyph{{{0, 0}, {0.22, 1}, {0.5, 0.45 * v}, {0.78, 1}, {1, 0}}}
	case 'X':
		return glyph{{{0, 0}, {1, 1}}, {{1, 0}, {0, 1}}}
	case 'Y':
		return glyph{{{0, 0}, {0.5, 0.5}, {1, 0}}, {{0.5, 0.5}, {0.5, 1}}}
	case 'Z':
		return glyph{{{0, 0}, {1, 0}, {0, 1}, {1, 1}}}
	}
	return nil
}

// gothicWidth is a glyph's width to its height, before the squeeze.
func gothicWidth(c byte) float64 {
	switch c {
	case '1', 'I':
		return 0.3
	case 'M', 'W':
		return 0.62
	}
	return 0.5
}

// gothicMask draws s in the plate gothic like textMask draws it in a
// typeface: characters 80 pixels tall, stroke width sw (fraction of the
// height).
func (g *lineGen) gothicMask(s string, sw float64, wide bool) (*image.Alpha, image.Rectangle, []float64) {
	r := g.r
	const h = 80.0
	const pad = 20.0
	widen := 0.85 + 0.55*r.Float64() // from the narrowest US face to a DIN
	space := h * (0.08 + 0.12*r.Float64())
	v := r.Float64() // one variant per line: a plate has one font
	type at struct {
		x float64
		c byte
	}
	var place []at
	var gaps []float64
	x := pad
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' {
			gw := h * (0.25 + 0.35*r.Float64())
			if wide && c == ' ' {
				gw = h * (0.9 + 0.5*r.Float64())
			}
			gaps = append(gaps, x+gw/2-space/2)
			if c == '-' {
				place = append(place, at{x + gw*0.2, '-'})
			}
			x += gw
			continue
		}
		place = append(place, at{x, c})
		x += gothicWidth(c)*h*widen + space
	}
	W, H := int(x+pad), int(h+2*pad)
	a := image.NewAlpha(image.Rect(0, 0, W, H))
	half := sw * h / 2
	for _, p := range place {
		var segs [][4]float64
		gw := gothicWidth(p.c) * h * widen
		if p.c == '-' {
			segs = append(segs, [4]float64{p.x, pad + h*0.5, p.x + h*0.3, pad + h*0.5})
		}
		// The strokes' centres lie inside the box by half a stroke.
		ix, iy := gw-2*half, h-2*half
		for _, line := range gothic(p.c, v) {
			for k := 1; k < len(line); k++ {
				segs = append(segs, [4]float64{
					p.x + half + line[k-1][0]*ix, pad + half + line[k-1][1]*iy,
					p.x + half + line[k][0]*ix, pad + half + line[k][1]*iy,
				})
			}
		}
		// A pixel's coverage falls with its distance to the nearest
		// stroke: paint each stroke over its own box, keeping the most.
		for _, sg := range segs {
			x0, x1 := int(math.Min(sg[0], sg[2])-half-1), int(math.Max(sg[0], sg[2])+half+2)
			y0, y1 := int(math.Min(sg[1], sg[3])-half-1), int(math.Max(sg[1], sg[3])+half+2)
			for yy := max(0, y0); yy < min(H, y1); yy++ {
				for xx := max(0, x0); xx < min(W, x1); xx++ {
					if cov := half - segDist(float64(xx)+0.5, float64(yy)+0.5, sg) + 0.5; cov > 0 {
						i := yy*a.Stride + xx
						a.Pix[i] = max(a.Pix[i], uint8(math.Min(cov, 1)*255))
					}
				}
			}
		}
	}
	return a, inkBox(a), gaps
}

// segDist is the distance from x, y to the segment s (x0, y0, x1, y1).
func segDist(x, y float64, s [4]float64) float64 {
	dx, dy := s[2]-s[0], s[3]-s[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Min(1, math.Max(0, ((x-s[0])*dx+(y-s[1])*dy)/l))
	}
	ex, ey := x-s[0]-t*dx, y-s[1]-t*dy
	return math.Sqrt(ex*ex + ey*ey)
}
