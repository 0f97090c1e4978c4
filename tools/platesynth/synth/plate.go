package synth

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
)

// Plate layout, as fractions of the plate height H or width W. The values
// were tuned so that Tesseract (eng LSTM, --psm 7) reads the flat plates:
// Go Bold, condensed only as much as needed, proportional spacing with
// clear gaps, and header/footer inks half faded into the plate so the
// characters dominate the line.
const (
	mainFont     = fontBold
	charTop      = 0.32  // H: cap top of the characters
	charBottom   = 0.71  // H: baseline
	charSpan     = 0.9   // W: widest run of characters
	charGap      = 0.1   // cap heights between characters
	groupGap     = 0.35  // cap heights for a gap in the pattern
	headerTop    = 0.09  // H
	headerHeight = 0.10  // H: cap height
	footerTop    = 0.83  // H
	footerHeight = 0.065 // H
	sideInkMix   = 0.5   // header/footer ink strength over the plate colour
	borderMix    = 0.3   // border ink strength: a light rim, not a dark frame
)

// plateAlphabet is every character a plate text may contain.
const plateAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// RenderPlate draws the flat (unwarped) plate of the given format showing
// text, width pixels wide and width/2 high (a 12x6 inch plate). Corners
// outside the rounded plate outline are transparent. ir selects the
// infrared look: grey, bright retro-reflective field, dark characters,
// coloured inks faded.
//
// text must be upper-case letters and digits; if it fits the format's
// pattern the characters are grouped as on the real plate (e.g. the gap in
// "ABC 1234"), otherwise they are set in one run. Glyphs are condensed
// horizontally as needed to fit.
func RenderPlate(format, text string, width int, ir bool) (*image.RGBA, error) {
	return RenderPlateFace(format, text, width, ir, GoBold)
}

// Typeface is the font of a plate's main characters.
type Typeface int

const (
	GoBold     Typeface = iota // Go Bold, a sans serif like most plate fonts; what the generator uses
	GoMonoBold                 // Go Mono Bold: fixed width, slab serifs
)

// RenderPlateFace is RenderPlate with the main characters set in typeface tf
// instead of Go Bold, to test OCR on a second letter shape. The header and
// footer lines are unchanged.
func RenderPlateFace(format, text string, width int, ir bool, tf Typeface) (*image.RGBA, error) {
	var font fontID
	switch tf {
	case GoBold:
		font = fontBold
	case GoMonoBold:
		font = fontMonoBold
	default:
		return nil, fmt.Errorf("unknown typeface %d", tf)
	}
	f, err := lookupFormat(format)
	if err != nil {
		return nil, err
	}
	if text == "" || len(text) > 10 {
		return nil, fmt.Errorf("plate text %q: want 1 to 10 characters", text)
	}
	for _, c := range text {
		if !strings.ContainsRune(plateAlphabet, c) {
			return nil, fmt.Errorf("plate text %q: want only A-Z and 0-9", text)
		}
	}
	if width < 16 || width > 4096 {
		return nil, fmt.Errorf("plate width %d: want 16 to 4096 pixels", width)
	}
	return renderPlate(f, text, width, ir, font), nil
}

// plateColors are the inks of one rendering (day or IR).
type plateColors struct {
	bg, bg2, text, border, header, footer color.RGBA
}

func (f *plateFormat) colors(ir bool) plateColors {
	pc := plateColors{f.Background, f.Background2, f.Text, f.Border, f.HeaderColor, f.FooterColor}
	if pc.bg2 == (color.RGBA{}) {
		pc.bg2 = pc.bg
	}
	if !ir {
		return pc
	}
	// Retro-reflective sheeting glows under IR; most coloured inks are
	// nearly transparent to IR, the black character ink is not.
	faded := func(c color.RGBA) color.RGBA {
		return gray(uint8(255 - (255-luma(c))*0.4))
	}
	return plateColors{
		bg: gray(244), bg2: gray(232), text: gray(26), border: gray(100),
		header: faded(pc.header), footer: faded(pc.footer),
	}
}

func gray(v uint8) color.RGBA { return color.RGBA{v, v, v, 255} }

func luma(c color.RGBA) float64 {
	return 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
}

// renderPlate draws the plate with its main characters in font mf.
func renderPlate(f *plateFormat, text string, width int, ir bool, mf fontID) *image.RGBA {
	W := float64(width)
	H := W / 2
	img := image.NewRGBA(image.Rect(0, 0, width, int(math.Round(H))))
	pc := f.colors(ir)

	// Plate field with rounded corners and a vertical gradient.
	rc := 0.045 * W
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		t := (float64(y) + 0.5) / H
		c := lerpRGBA(pc.bg, pc.bg2, t*t)
		for x := b.Min.X; x < b.Max.X; x++ {
			cov := roundRectCoverage(float64(x)+0.5, float64(y)+0.5, 0, 0, W, H, rc)
			if cov > 0 {
				blendPixel(img, x, y, c, cov)
			}
		}
	}
	// Border (the embossed rim). It is kept light: a dark closed frame
	// around the text makes Tesseract treat the plate as one big blob.
	in, th := 0.02*W, 0.012*W
	strokeRoundRect(img, in, in, W-in, H-in, rc-in, th, lerpRGBA(pc.bg, pc.border, borderMix))

	// Header and footer lines.
	if f.Header != "" {
		drawText(img, f.HeaderFont, f.Header, W/2, headerTop*H, (headerTop+headerHeight)*H, 0.62*W, 1, lerpRGBA(pc.bg, pc.header, sideInkMix))
	}
	if f.Footer != "" {
		drawText(img, f.FooterFont, f.Footer, W/2, footerTop*H, (footerTop+footerHeight)*H, 0.6*W, 1, lerpRGBA(pc.bg, pc.footer, sideInkMix))
	}

	// Main characters: natural ink widths scaled to the cap height,
	// condensed only if the run is too wide, fixed gaps, grouped per the
	// format's pattern.
	layout := strings.Repeat("X", len(text))
	if f.matches(text) {
		layout = f.Pattern
	}
	top, bot := charTop*H, charBottom*H
	capH := bot - top
	sy := capH / getMask(mf, "0").capHeight()
	gap, group := charGap*capH, groupGap*capH
	gaps := gap*float64(len(text)-1) + (group-gap)*float64(strings.Count(layout, " "))
	var inkW float64
	for k := 0; k < len(text); k++ {
		inkW += getMask(mf, text[k:k+1]).inkWidth() * sy
	}
	condense := min(1, (charSpan*W-gaps)/inkW)
	x := W/2 - (inkW*condense+gaps)/2
	i := 0
	for _, p := range []byte(layout) {
		if p == ' ' {
			x += group - gap
			continue
		}
		m := getMask(mf, text[i:i+1])
		w := m.inkWidth() * sy * condense
		drawMask(img, m, x, top, x+w, bot, pc.text)
		x += w + gap
		i++
	}
	return img
}

func lerpRGBA(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), l(a.A, b.A)}
}

// roundRectSDF is the signed distance from (px,py) to the rounded rectangle
// x0,y0-x1,y1 with corner radius r (negative inside).
func roundRectSDF(px, py, x0, y0, x1, y1, r float64) float64 {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	dx := math.Abs(px-cx) - hx
	dy := math.Abs(py-cy) - hy
	out := math.Hypot(max(dx, 0), max(dy, 0))
	return out + min(max(dx, dy), 0) - r
}

// roundRectCoverage is the approximate fraction of the pixel centred at
// px,py inside the rounded rectangle.
func roundRectCoverage(px, py, x0, y0, x1, y1, r float64) float64 {
	return clamp01(0.5 - roundRectSDF(px, py, x0, y0, x1, y1, r))
}

// fillRoundRect fills an antialiased rounded rectangle with the opaque
// colour c. The interior is filled directly; only the rim is antialiased.
func fillRoundRect(dst *image.RGBA, x0, y0, x1, y1, r float64, c color.RGBA) {
	r = max(0, min(r, (x1-x0)/2, (y1-y0)/2))
	// Pixels whose centres lie at least 1 px inside are fully covered.
	fillRect(dst, image.Rect(int(math.Ceil(x0+r+0.5)), int(math.Ceil(y0+0.5)), int(math.Floor(x1-r-0.5)), int(math.Floor(y1-0.5))), c)
	fillRect(dst, image.Rect(int(math.Ceil(x0+0.5)), int(math.Ceil(y0+r+0.5)), int(math.Floor(x1-0.5)), int(math.Floor(y1-r-0.5))), c)
	rr := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(dst.Bounds())
	for y := rr.Min.Y; y < rr.Max.Y; y++ {
		py := float64(y) + 0.5
		// Middle rows: only the left and right rims need work.
		mid := py >= y0+r+1 && py <= y1-r-1
		for x := rr.Min.X; x < rr.Max.X; x++ {
			px := float64(x) + 0.5
			if mid && px >= x0+1 && px <= x1-1 {
				x = max(x, int(x1-1)-1)
				continue
			}
			if a := roundRectCoverage(px, py, x0, y0, x1, y1, r); a > 0 {
				blendPixel(dst, x, y, c, a)
			}
		}
	}
}

// strokeRoundRect draws the outline (thickness th, inside the given edge)
// of a rounded rectangle.
func strokeRoundRect(dst *image.RGBA, x0, y0, x1, y1, r, th float64, c color.RGBA) {
	r = max(0, r)
	rr := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(dst.Bounds())
	for y := rr.Min.Y; y < rr.Max.Y; y++ {
		for x := rr.Min.X; x < rr.Max.X; x++ {
			d := roundRectSDF(float64(x)+0.5, float64(y)+0.5, x0, y0, x1, y1, r)
			// Inside the band -th <= d <= 0.
			a := clamp01(0.5-d) * clamp01(0.5+d+th)
			if a > 0 {
				blendPixel(dst, x, y, c, a)
			}
		}
	}
}

func clamp01(v float64) float64 { return max(0, min(1, v)) }
