package synth

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/gomonobold"
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
	fontCache [numFonts]*ttFont
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
	if fontCache[f] == nil {
		ft, err := parseTTF(fontTTF[f])
		if err != nil {
			panic(fmt.Sprintf("synth: parsing embedded font: %v", err)) // embedded data; cannot happen
		}
		fontCache[f] = ft
	}
	ft := fontCache[f]
	s := float64(size) / ft.unitsPerEm
	pad := 4.0
	var adv float64
	for _, r := range text {
		adv += ft.advance(ft.glyphIndex(r))
	}
	w := int(math.Ceil(adv*s+2*pad)) + size/4 // italics overhang
	h := int(math.Ceil((ft.ascent+ft.descent)*s + 2*pad))
	base := pad + ft.ascent*s
	ras := vector.NewRasterizer(w, h)
	x := pad
	for _, r := range text {
		g := ft.glyphIndex(r)
		for _, c := range ft.contours(g, 0) {
			addContour(ras, c, x, base, s)
		}
		x += ft.advance(g) * s
	}
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	ras.Draw(a, a.Bounds(), image.Opaque, image.Point{})
	bl := int(math.Round(base))
	m := &textMask{a: a, inkX0: w, inkX1: 0, baseline: bl, capTop: bl - int(math.Round(ft.capHeight*s))}
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
	maskCache[k] = m
	return m
}

// addContour adds one closed TrueType contour (quadratic B-spline, font
// units, y up) to the rasterizer, placed at origin ox, baseline oy, scaled
// by s pixels per unit.
func addContour(ras *vector.Rasterizer, pts []ttPoint, ox, oy, s float64) {
	n := len(pts)
	if n == 0 {
		return
	}
	pt := func(p ttPoint) (float32, float32) { return float32(ox + p.x*s), float32(oy - p.y*s) }
	mid := func(a, b ttPoint) ttPoint { return ttPoint{(a.x + b.x) / 2, (a.y + b.y) / 2, true} }
	var start ttPoint
	seq := pts
	switch {
	case pts[0].onCurve:
		start, seq = pts[0], pts[1:]
	case pts[n-1].onCurve:
		start, seq = pts[n-1], pts[:n-1]
	default:
		start = mid(pts[n-1], pts[0])
	}
	ras.MoveTo(pt(start))
	var ctrl *ttPoint
	for i := range seq {
		p := seq[i]
		if p.onCurve {
			if ctrl != nil {
				cx, cy := pt(*ctrl)
				x, y := pt(p)
				ras.QuadTo(cx, cy, x, y)
				ctrl = nil
			} else {
				ras.LineTo(pt(p))
			}
			continue
		}
		if ctrl != nil {
			cx, cy := pt(*ctrl)
			x, y := pt(mid(*ctrl, p))
			ras.QuadTo(cx, cy, x, y)
		}
		ctrl = &seq[i]
	}
	if ctrl != nil {
		cx, cy := pt(*ctrl)
		x, y := pt(start)
		ras.QuadTo(cx, cy, x, y)
	} else {
		ras.LineTo(pt(start))
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
