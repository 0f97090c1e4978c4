package synth

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"time"
)

// uniform returns a value uniformly distributed in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// fillRect fills r with the opaque colour c.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(dst.Bounds())
	if r.Empty() {
		return
	}
	row := dst.Pix[dst.PixOffset(r.Min.X, r.Min.Y) : dst.PixOffset(r.Max.X-1, r.Min.Y)+4]
	for i := 0; i < len(row); i += 4 {
		row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		i := dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[i:i+len(row)], row)
	}
}

// fillEllipse draws an antialiased ellipse with opacity alpha.
func fillEllipse(dst *image.RGBA, cx, cy, rx, ry float64, c color.RGBA, alpha float64) {
	rr := image.Rect(int(cx-rx-1), int(cy-ry-1), int(cx+rx+2), int(cy+ry+2)).Intersect(dst.Bounds())
	for y := rr.Min.Y; y < rr.Max.Y; y++ {
		for x := rr.Min.X; x < rr.Max.X; x++ {
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			d := (math.Sqrt(dx*dx+dy*dy) - 1) * min(rx, ry) // ~ distance in px
			if a := clamp01(0.5-d) * alpha; a > 0 {
				blendPixel(dst, x, y, c, a)
			}
		}
	}
}

// fillConvex fills a convex polygon (no antialiasing; blur smooths it).
func fillConvex(dst *image.RGBA, pts []pointF, c color.RGBA) {
	b := pointsBounds(pts).Intersect(dst.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			pos, neg := false, false
			for i := range pts {
				a, bb := pts[i], pts[(i+1)%len(pts)]
				cr := (bb.X-a.X)*(py-a.Y) - (bb.Y-a.Y)*(px-a.X)
				pos = pos || cr > 0
				neg = neg || cr < 0
			}
			if !(pos && neg) {
				i := dst.PixOffset(x, y)
				dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = c.R, c.G, c.B, 255
			}
		}
	}
}

func scale(c color.RGBA, k float64) color.RGBA {
	return color.RGBA{clampU8(float64(c.R) * k), clampU8(float64(c.G) * k), clampU8(float64(c.B) * k), 255}
}

func jitter(r *rand.Rand, c color.RGBA, d float64) color.RGBA {
	j := func(v uint8) uint8 { return clampU8(float64(v) + uniform(r, -d, d)) }
	return color.RGBA{j(c.R), j(c.G), j(c.B), 255}
}

var carColors = []color.RGBA{
	rgb(228, 228, 226), rgb(24, 24, 26), rgb(168, 170, 174), rgb(104, 106, 110),
	rgb(150, 22, 24), rgb(28, 48, 120), rgb(30, 70, 50), rgb(196, 184, 156), rgb(70, 40, 30),
}

var stickerTexts = []string{
	"HONK IF YOU LOVE CATS", "STUDENT DRIVER", "BABY ON BOARD", "MY OTHER CAR IS A BIKE",
	"COEXIST", "26.2", "I BRAKE FOR BIRDS", "GO TEAM", "KEEP CALM",
}

// drawScene paints a street background with a car whose plate mount is
// centred on the plate box pb (the plate itself is drawn later).
func drawScene(img *image.RGBA, r *rand.Rand, pb image.Rectangle) {
	b := img.Bounds()
	W, H := float64(b.Dx()), float64(b.Dy())

	// Sky or building facade above the horizon, road below.
	hy := int(H * uniform(r, 0.22, 0.45))
	top := jitter(r, []color.RGBA{rgb(170, 190, 210), rgb(150, 130, 110), rgb(120, 120, 125)}[r.IntN(3)], 20)
	hor := jitter(r, rgb(200, 200, 195), 20)
	road0 := jitter(r, rgb(120, 120, 122), 15)
	road1 := jitter(r, rgb(78, 78, 82), 15)
	for y := 0; y < b.Dy(); y++ {
		var c color.RGBA
		if y < hy {
			c = lerpRGBA(top, hor, float64(y)/float64(hy))
		} else {
			c = lerpRGBA(road0, road1, float64(y-hy)/(H-float64(hy)))
		}
		fillRect(img, image.Rect(0, y, b.Dx(), y+1), c)
	}
	// Lane markings converging on a vanishing point on the horizon.
	vx := W * uniform(r, 0.3, 0.7)
	lane := []color.RGBA{rgb(220, 220, 215), rgb(210, 180, 60)}[r.IntN(2)]
	for k := 0; k < 3; k++ {
		bx := W * (uniform(r, -0.6, 1.6))
		for t := 0.1 + r.Float64()*0.1; t < 1; t += 0.2 {
			t2 := t + 0.08
			x0, y0 := vx+(bx-vx)*t, float64(hy)+(H-float64(hy))*t
			x1, y1 := vx+(bx-vx)*t2, float64(hy)+(H-float64(hy))*t2
			w0, w1 := 1+t*W/90, 1+t2*W/90
			fillConvex(img, []pointF{{x0 - w0, y0}, {x0 + w0, y0}, {x1 + w1, y1}, {x1 - w1, y1}}, lane)
		}
	}
	// Clutter above the horizon: facades, poles, signs, foliage.
	fh := float64(hy)
	for k := 6 + r.IntN(10); k > 0; k-- {
		x, y := uniform(r, -W/20, W), r.Float64()*fh*0.9
		c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		switch r.IntN(4) {
		case 0: // facade or parked van standing on the horizon
			fillRect(img, image.Rect(int(x), int(y), int(x+uniform(r, 20, W/4)), hy+int(uniform(r, 0, H/30))), scale(c, 0.7))
		case 1: // pole
			fillRect(img, image.Rect(int(x), int(y), int(x+uniform(r, 3, 12)), hy+int(uniform(r, 0, H/20))), rgb(60, 62, 64))
		case 2: // foliage
			fillEllipse(img, x, y, uniform(r, 10, W/10), uniform(r, 10, H/8), jitter(r, rgb(50, 90, 45), 25), 1)
		default: // a sign with a stripe
			w, h := uniform(r, 20, 90), uniform(r, 15, 60)
			fillRoundRect(img, x, y, x+w, y+h, 4, c)
			fillRect(img, image.Rect(int(x+w*0.15), int(y+h*0.4), int(x+w*0.85), int(y+h*0.6)), scale(c, 0.3))
		}
	}

	drawCar(img, r, pb)
}

// drawCar draws the rear of a car around the plate box pb.
func drawCar(img *image.RGBA, r *rand.Rand, pb image.Rectangle) {
	pw := float64(pb.Dx())
	pcx, pcy := float64(pb.Min.X+pb.Max.X)/2, float64(pb.Min.Y+pb.Max.Y)/2
	cw := pw * uniform(r, 4.6, 5.6)
	x0 := pcx - cw/2 + cw*uniform(r, -0.06, 0.06)
	x1 := x0 + cw
	top := pcy - cw*uniform(r, 0.17, 0.22)
	bot := float64(pb.Max.Y) + cw*uniform(r, 0.07, 0.1)
	body := jitter(r, carColors[r.IntN(len(carColors))], 8)

	fillEllipse(img, (x0+x1)/2, bot, cw*0.56, cw*0.05, rgb(15, 15, 15), 0.7) // shadow
	for _, wx := range []float64{x0 + 0.04*cw, x1 - 0.17*cw} {               // tyres
		fillRoundRect(img, wx, bot-0.05*cw, wx+0.13*cw, bot+0.03*cw, 0.02*cw, rgb(18, 18, 20))
	}
	// Cabin and rear window.
	fillRoundRect(img, x0+0.12*cw, top-0.22*cw, x1-0.12*cw, top+0.03*cw, 0.05*cw, scale(body, 0.95))
	glass := jitter(r, rgb(45, 55, 65), 10)
	fillRoundRect(img, x0+0.16*cw, top-0.19*cw, x1-0.16*cw, top-0.01*cw, 0.03*cw, glass)
	fillRoundRect(img, x0+0.3*cw, top-0.17*cw, x0+0.45*cw, top-0.05*cw, 0.02*cw, scale(glass, 1.4)) // reflection
	// Body, trunk line, bumper.
	fillRoundRect(img, x0, top, x1, bot-0.02*cw, 0.04*cw, body)
	fillRect(img, image.Rect(int(x0+0.05*cw), int(top+0.025*cw), int(x1-0.05*cw), int(top+0.025*cw)+2), scale(body, 0.6))
	bumperTop := float64(pb.Max.Y) + pw*0.12
	bumper := []color.RGBA{scale(body, 0.8), rgb(40, 40, 42)}[r.IntN(2)]
	fillRoundRect(img, x0-0.01*cw, bumperTop, x1+0.01*cw, bot-0.01*cw, 0.02*cw, bumper)
	// Tail lights with a brighter core and an amber indicator.
	red := jitter(r, rgb(190, 25, 30), 25)
	ly, lh := top+0.045*cw, 0.085*cw
	for _, lx := range []float64{x0 + 0.025*cw, x1 - 0.185*cw} {
		fillRoundRect(img, lx, ly, lx+0.16*cw, ly+lh, 0.015*cw, red)
		fillRoundRect(img, lx+0.03*cw, ly+0.02*cw, lx+0.13*cw, ly+lh-0.02*cw, 0.01*cw, scale(red, 1.3))
		fillRoundRect(img, lx+0.02*cw, ly+lh+0.005*cw, lx+0.14*cw, ly+lh+0.025*cw, 0.005*cw, rgb(230, 140, 30))
	}
	// Plate recess and a badge above it.
	m := pw * 0.1
	fillRoundRect(img, float64(pb.Min.X)-m, float64(pb.Min.Y)-m, float64(pb.Max.X)+m, float64(pb.Max.Y)+m*0.8, m, scale(body, 0.75))
	fillEllipse(img, pcx, float64(pb.Min.Y)-m-pw*0.12, pw*0.12, pw*0.05, rgb(200, 202, 205), 1)

	// A bumper sticker: readable text that is not a plate.
	if r.Float64() < 0.4 {
		text := stickerTexts[r.IntN(len(stickerTexts))]
		sw := pw * uniform(r, 0.8, 1.1)
		sh := sw * 0.22
		sx := float64(pb.Max.X) + m*2
		if r.IntN(2) == 0 {
			sx = float64(pb.Min.X) - m*2 - sw
		}
		sy := bumperTop + (bot-bumperTop)*0.2
		bg := []color.RGBA{rgb(240, 240, 235), rgb(250, 210, 40), rgb(30, 60, 150)}[r.IntN(3)]
		fg := rgb(20, 20, 20)
		if luma(bg) < 128 {
			fg = rgb(245, 245, 245)
		}
		fillRoundRect(img, sx, sy, sx+sw, sy+sh, sh*0.15, bg)
		drawText(img, fontBold, text, sx+sw/2, sy+sh*0.3, sy+sh*0.7, sw*0.92, 1, fg)
	}
}

// toIRScene turns the frame into a dark grey IR-illuminated scene: only
// retro-reflective things (the plate, drawn afterwards) come back bright.
func toIRScene(img *image.RGBA, r *rand.Rand) {
	k := uniform(r, 0.18, 0.32)
	p := img.Pix
	for i := 0; i < len(p); i += 4 {
		v := clampU8((0.299*float64(p[i]) + 0.587*float64(p[i+1]) + 0.114*float64(p[i+2])) * k)
		p[i], p[i+1], p[i+2] = v, v, v
	}
}

// timestampHeight is the cap height of the burnt-in timestamp for a frame
// of height h; plates are kept below the timestamp band.
func timestampHeight(h int) float64 { return max(8, float64(h)/42) }

// drawTimestamp burns a camera timestamp ("2026-11-27 08:00:00 CAM2") into
// the top-left corner.
func drawTimestamp(img *image.RGBA, r *rand.Rand) {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(365*86400)) * time.Second)
	text := t.Format("2006-01-02 15:04:05") + " CAM" + string(rune('1'+r.IntN(4)))
	h := timestampHeight(img.Bounds().Dy())
	m := maskFor(fontMonoBold, text, h)
	w := m.inkWidth() * h / m.capHeight()
	x, y := h*0.8, h*0.8
	drawMask(img, m, x+1, y+1, x+w+1, y+h+1, rgb(0, 0, 0))
	drawMask(img, m, x, y, x+w, y+h, rgb(250, 250, 250))
}
