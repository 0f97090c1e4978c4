package tess

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
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
	fonts := trainFonts(t)
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
		if !p.prepare(img, 48, 100, false) {
			continue
		}
		if os.Getenv("X") != "" {
			t.Logf("%s found=%v cols=%d", text, p.found, len(p.cols))
		}
		if p.found && p.nkeep < len(text) {
			continue // a character lost or merged: the label would lie
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

func trainFonts(t *testing.T) []trainFont {
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
	for _, p := range strings.Split(os.Getenv("ALPRD_TRAIN_FONTS"), ":") {
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
	r     *rand.Rand
	fonts []trainFont
	faces map[[2]int]font.Face
}

const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits  = "0123456789"
)

var platePatterns = []string{
	"DLLLDDD", "DLLL DDD", "LLL DDDD", "LLLDDDD", "LLL-DDDD", "DDD LLL", "DDDLLL", "DDD-LLL",
	"LLL DDD", "LLLDDD", "LL DDDDD", "DDDDDD", "DDD DDD", "LLDDDD", "DLL DDD", "DDLLDD",
	"DDDLLD", "LDDDDD", "DDDDD", "LLL DDL", "DDD DDDD", "LLDLDDD", "DLDDDD", "DDDD",
}

func (g *lineGen) text() (plain string, drawn string) {
	r := g.r
	var b strings.Builder
	if r.IntN(10) < 6 {
		for _, c := range platePatterns[r.IntN(len(platePatterns))] {
			switch c {
			case 'L':
				b.WriteByte(letters[r.IntN(len(letters))])
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
// given extra letter spacing (fraction of size) and returns the mask and its
// cap-height box.
func (g *lineGen) textMask(fi, size int, s string, spacing float64) (*image.Alpha, image.Rectangle, []float64) {
	f := g.face(fi, size)
	m := f.Metrics()
	asc := m.Ascent.Ceil()
	w := 0
	for _, c := range s {
		adv, _ := f.GlyphAdvance(c)
		w += adv.Ceil() + int(spacing*float64(size))
	}
	w += size
	h := asc + m.Descent.Ceil() + 4
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	d := &font.Drawer{Dst: a, Src: image.Opaque, Face: f, Dot: fixed.P(size/4, asc+2)}
	var gaps []float64
	for _, c := range s {
		if c == ' ' || c == '-' {
			gw := float64(size) * (0.2 + 0.4*g.r.Float64())
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
	fi := r.IntN(len(g.fonts))
	// Main text mask at a big size, then squeezed into the plate.
	m, mb, gaps := g.textMask(fi, 96, drawn, -0.08+0.23*r.Float64())
	capH := 60.0
	aspect := float64(mb.Dx()) / float64(mb.Dy())
	squeeze := 0.55 + 0.6*r.Float64() // plate fonts are narrow
	textW := capH * aspect * squeeze
	mx := capH * (0.15 + 0.6*r.Float64())
	myTop := capH * (0.3 + 0.7*r.Float64())
	myBot := capH * (0.2 + 0.6*r.Float64())
	W, H := int(textW+2*mx), int(capH+myTop+myBot)
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
		for y := int(cy - ry); y < int(cy+ry); y++ {
			for x := int(cx - rx); x < int(cx+rx); x++ {
				dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
				if dx*dx+dy*dy < 1 {
					c.blend(x, y, col, alpha)
				}
			}
		}
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
	if r.IntN(10) < 3 {
		rad := capH * (0.05 + 0.08*r.Float64())
		for _, bx := range []float64{float64(W) * 0.2, float64(W) * 0.8} {
			by := myTop * (0.2 + 0.6*r.Float64())
			if r.IntN(2) == 0 {
				by = float64(H) - myBot*(0.2+0.6*r.Float64())
			}
			for y := int(by - rad); y <= int(by+rad); y++ {
				for x := int(bx - rad); x <= int(bx+rad); x++ {
					if (float64(x)-bx)*(float64(x)-bx)+(float64(y)-by)*(float64(y)-by) < rad*rad {
						c.blend(x, y, float32(0.2+0.6*r.Float64()), 0.9)
					}
				}
			}
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
	// The characters, with a little jitter of baseline and size per glyph
	// is not possible on one mask; jitter the whole line instead.
	tx := mx + capH*0.05*(r.Float64()-0.5)
	ty := myTop + capH*0.05*(r.Float64()-0.5)
	c.paint(m, mb, tx, ty, textW, capH, fg)
	if len(gaps) > 0 && r.IntN(3) == 0 {
		// A logo or graphic between two groups of characters (Florida's
		// orange), in the gap.
		gx := gaps[r.IntN(len(gaps))]
		lx := tx + (gx-float64(mb.Min.X))*textW/float64(mb.Dx())
		rad := capH * (0.1 + 0.1*r.Float64())
		col := float32(0.3 + 0.4*r.Float64())
		for y := int(ty + capH/2 - rad); y < int(ty+capH/2+rad); y++ {
			for x := int(lx - rad); x < int(lx+rad); x++ {
				if (float64(x)-lx)*(float64(x)-lx)+(float64(y)-ty-capH/2)*(float64(y)-ty-capH/2) < rad*rad {
					c.blend(x, y, col, 0.8)
				}
			}
		}
	}
	img := g.camera(c, capH)
	return text, img
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
	m, mb, _ := g.textMask(r.IntN(len(g.fonts)), 48, b.String(), 0.05)
	h := math.Min(bandH*0.7, capH*(0.2+0.3*r.Float64()))
	w := math.Min(W*0.9, h*float64(mb.Dx())/float64(mb.Dy())*(0.7+0.6*r.Float64()))
	x := (W - w) * r.Float64()
	y := y0 + (bandH-h)*(0.2+0.6*r.Float64())
	c.paint(m, mb, x, y, w, h, col)
}

// camera turns the drawn plate into a crop: perspective-ish shear and
// rotation, scale to the resolution of a real crop, blur, noise, and
// sometimes light characters on a dark plate.
func (g *lineGen) camera(c *canvas, capH float64) *image.Gray {
	r := g.r
	target := 12 + 36*r.Float64()*r.Float64() // character height in the crop
	if r.IntN(4) == 0 {
		target = 30 + 30*r.Float64()
	}
	s := target / capH
	ang := (r.Float64() - 0.5) * 2 * 3.5 * math.Pi / 180
	shx := (r.Float64() - 0.5) * 0.3
	W, H := int(float64(c.w)*s)+1, int(float64(c.h)*s)+1
	out := make([]float32, W*H)
	cx, cy := float64(c.w)/2, float64(c.h)/2
	ca, sa := math.Cos(ang), math.Sin(ang)
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
	// Blur.
	if sigma := 1.2 * r.Float64() * r.Float64(); sigma > 0.3 {
		out = gaussBlur(out, W, H, sigma)
	}
	// Contrast, polarity, noise.
	lo, hi := float32(0.25*r.Float64()), float32(0.75+0.25*r.Float64())
	inv := r.IntN(8) == 0
	noise := float32(0.01 + 0.05*r.Float64())
	img := image.NewGray(image.Rect(0, 0, W, H))
	for i, v := range out {
		if inv {
			v = 1 - v
		}
		v = lo + (hi-lo)*v + noise*float32(r.NormFloat64())
		img.Pix[i] = uint8(min(max(v*255, 0), 255))
	}
	return img
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
