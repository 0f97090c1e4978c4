package synth

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

type fontID int

const (
	fontBold fontID = iota
	fontBoldItalic
	fontMonoBold
	numFonts
)

var fontTTF = [numFonts][]byte{gobold.TTF, gobolditalic.TTF, gomonobold.TTF}

// refSize is the em size, in pixels, at which text masks are rasterised and
// cached; drawing resamples them to the wanted size. Small text uses masks
// at smallSize so that downsampling stays cheap.
const (
	refSize   = 128
	smallSize = 48
)

// textMask is a rasterised string at refSize plus the metrics needed to
// place it: the source box [inkX0, inkX1) x [capTop, baseline) is what gets
// mapped onto a destination box (cap height to baseline, ink extent).
type textMask struct {
	a                *image.Alpha
	inkX0, inkX1     int
	capTop, baseline int
}

func (m *textMask) inkWidth() float64  { return float64(m.inkX1 - m.inkX0) }
func (m *textMask) capHeight() float64 { return float64(m.baseline - m.capTop) }

type maskKey struct {
	font fontID
	size int
	text string
}

var (
	fontMu    sync.Mutex
	fontCache [numFonts]*sfnt.Font
	fontBuf   sfnt.Buffer // guarded by fontMu
	maskCache = map[maskKey]*textMask{}
)

// getMask returns the cached refSize mask for text in font f. Safe for
// concurrent use.
func getMask(f fontID, text string) *textMask { return getMaskSized(f, text, refSize) }

// maskFor returns a mask suited to drawing text with the given cap height
// in pixels.
func maskFor(f fontID, text string, capPx float64) *textMask {
	if capPx <= 30 {
		return getMaskSized(f, text, smallSize)
	}
	return getMask(f, text)
}

func getMaskSized(f fontID, text string, size int) *textMask {
	fontMu.Lock()
	defer fontMu.Unlock()
	k := maskKey{f, size, text}
	if m, ok := maskCache[k]; ok {
		return m
	}
	m, err := rasterize(f, text, size)
	if err != nil {
		panic(fmt.Sprintf("synth: rendering %q: %v", text, err)) // embedded fonts; cannot happen
	}
	maskCache[k] = m
	return m
}

// rasterize draws text in font f at an em size of size pixels (no hinting)
// and measures its ink. The caller holds fontMu.
func rasterize(f fontID, text string, size int) (*textMask, error) {
	ft := fontCache[f]
	if ft == nil {
		var err error
		if ft, err = sfnt.Parse(fontTTF[f]); err != nil {
			return nil, err
		}
		fontCache[f] = ft
	}
	b := &fontBuf
	ppem := fixed.I(size)
	met, err := ft.Metrics(b, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	// Glyph indices and pen positions (pixels from the left pad).
	type placed struct {
		g sfnt.GlyphIndex
		x float64
	}
	var glyphs []placed
	var pen fixed.Int26_6
	prev := sfnt.GlyphIndex(0)
	for i, r := range []rune(text) {
		g, err := ft.GlyphIndex(b, r)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			if k, err := ft.Kern(b, prev, g, ppem, font.HintingNone); err == nil {
				pen += k
			} // no kerning data (the Go fonts have none): ErrNotFound
		}
		glyphs = append(glyphs, placed{g, fx(pen)})
		adv, err := ft.GlyphAdvance(b, g, ppem, font.HintingNone)
		if err != nil {
			return nil, err
		}
		pen += adv
		prev = g
	}
	const pad = 4.0
	w := int(math.Ceil(fx(pen)+2*pad)) + size/4 // italics overhang
	h := int(math.Ceil(fx(met.Ascent+met.Descent) + 2*pad))
	base := pad + fx(met.Ascent)
	ras := vector.NewRasterizer(w, h)
	for _, p := range glyphs {
		segs, err := ft.LoadGlyph(b, p.g, ppem, nil)
		if err != nil {
			return nil, err
		}
		addSegments(ras, segs, pad+p.x, base)
	}
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	ras.Draw(a, a.Bounds(), image.Opaque, image.Point{})
	bl := int(math.Round(base))
	m := &textMask{a: a, inkX0: w, inkX1: 0, baseline: bl, capTop: bl - int(math.Round(fx(met.CapHeight)))}
	for y := 0; y < h; y++ {
		row := a.Pix[y*a.Stride : y*a.Stride+w]
		for x, v := range row {
			if v > 64 {
				m.inkX0 = min(m.inkX0, x)
				m.inkX1 = max(m.inkX1, x+1)
			}
		}
	}
	if m.inkX1 <= m.inkX0 { // blank text
		m.inkX0, m.inkX1 = 0, 1
	}
	return m, nil
}

// fx converts a 26.6 fixed-point length to float64 pixels.
func fx(v fixed.Int26_6) float64 { return float64(v) / 64 }

// addSegments adds a glyph outline (pixels, y down, origin on the baseline)
// to the rasterizer with its origin at ox, oy.
func addSegments(ras *vector.Rasterizer, segs sfnt.Segments, ox, oy float64) {
	pt := func(p fixed.Point26_6) (float32, float32) { return float32(ox + fx(p.X)), float32(oy + fx(p.Y)) }
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			ras.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			ras.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			ras.QuadTo(bx, by, cx, cy)
		case sfnt.SegmentOpCubeTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			dx, dy := pt(s.Args[2])
			ras.CubeTo(bx, by, cx, cy, dx, dy)
		}
	}
	ras.ClosePath()
}

// drawMask paints m onto dst in colour c so that the mask's reference box
// (ink extent x cap height) lands on the destination box x0,y0 - x1,y1
// (floating-point pixel edges). Parts of the glyphs beyond the reference
// box (descenders, overshoot) are drawn too. The mask is supersampled so
// strong downscaling does not alias.
func drawMask(dst *image.RGBA, m *textMask, x0, y0, x1, y1 float64, c color.RGBA) {
	if x1 <= x0 || y1 <= y0 {
		return
	}
	sx := m.inkWidth() / (x1 - x0)  // source px per dest px
	sy := m.capHeight() / (y1 - y0) //
	// Destination extent of the whole mask.
	mb := m.a.Bounds()
	dx0 := x0 + (float64(mb.Min.X)-float64(m.inkX0))/sx
	dx1 := x0 + (float64(mb.Max.X)-float64(m.inkX0))/sx
	dy0 := y0 + (float64(mb.Min.Y)-float64(m.capTop))/sy
	dy1 := y0 + (float64(mb.Max.Y)-float64(m.capTop))/sy
	r := image.Rect(int(math.Floor(dx0)), int(math.Floor(dy0)), int(math.Ceil(dx1)), int(math.Ceil(dy1))).Intersect(dst.Bounds())
	kx := min(max(int(math.Ceil(sx)), 1), 6)
	ky := min(max(int(math.Ceil(sy)), 1), 6)
	inv := 1 / float64(kx*ky)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			var cov float64
			for j := 0; j < ky; j++ {
				v := float64(m.capTop) + (float64(y)+(float64(j)+0.5)/float64(ky)-y0)*sy
				for i := 0; i < kx; i++ {
					u := float64(m.inkX0) + (float64(x)+(float64(i)+0.5)/float64(kx)-x0)*sx
					cov += sampleAlpha(m.a, u, v)
				}
			}
			if cov > 0 {
				blendPixel(dst, x, y, c, cov*inv)
			}
		}
	}
}

// sampleAlpha bilinearly samples an Alpha image at continuous coordinates
// (pixel centres at +0.5), returning 0..1; outside is transparent.
func sampleAlpha(a *image.Alpha, u, v float64) float64 {
	u -= 0.5
	v -= 0.5
	x0 := int(math.Floor(u))
	y0 := int(math.Floor(v))
	fx := u - float64(x0)
	fy := v - float64(y0)
	b := a.Rect
	at := func(x, y int) float64 {
		if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
			return 0
		}
		return float64(a.Pix[(y-b.Min.Y)*a.Stride+(x-b.Min.X)])
	}
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return (top*(1-fy) + bot*fy) / 255
}

// blendPixel composites opaque colour c with coverage a (0..1) over the
// premultiplied pixel at x,y.
func blendPixel(dst *image.RGBA, x, y int, c color.RGBA, a float64) {
	if a > 1 {
		a = 1
	}
	i := dst.PixOffset(x, y)
	p := dst.Pix[i : i+4 : i+4]
	k := 1 - a
	p[0] = uint8(float64(c.R)*a + float64(p[0])*k + 0.5)
	p[1] = uint8(float64(c.G)*a + float64(p[1])*k + 0.5)
	p[2] = uint8(float64(c.B)*a + float64(p[2])*k + 0.5)
	p[3] = uint8(255*a + float64(p[3])*k + 0.5)
}

// drawText draws a line of text with its cap height filling y0..y1,
// centred on cx, compressed horizontally to at most maxW pixels and by the
// condense factor (1 = natural width).
func drawText(dst *image.RGBA, f fontID, text string, cx, y0, y1, maxW, condense float64, c color.RGBA) (width float64) {
	h := y1 - y0
	m := maskFor(f, text, h)
	w := m.inkWidth() * h / m.capHeight() * condense
	if w > maxW {
		w = maxW
	}
	drawMask(dst, m, cx-w/2, y0, cx+w/2, y1, c)
	return w
}
