package synth

import (
	"image"
	"math"
)

// pointF is a point with floating-point coordinates (pixel edges at
// integers, pixel centres at +0.5).
type pointF struct{ X, Y float64 }

// homography maps (x, y) to ((h0 x + h1 y + h2) / w, (h3 x + h4 y + h5) / w)
// with w = h6 x + h7 y + 1.
type homography [8]float64

func (h *homography) apply(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + 1
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// solveHomography returns the homography taking each src[i] to dst[i].
func solveHomography(src, dst [4]pointF) (homography, bool) {
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := src[i].X, src[i].Y, dst[i].X, dst[i].Y
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	// Gaussian elimination with partial pivoting.
	for c := 0; c < 8; c++ {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return homography{}, false
		}
		a[c], a[p] = a[p], a[c]
		for r := 0; r < 8; r++ {
			if r == c {
				continue
			}
			k := a[r][c] / a[c][c]
			for j := c; j < 9; j++ {
				a[r][j] -= k * a[c][j]
			}
		}
	}
	var h homography
	for i := range h {
		h[i] = a[i][8] / a[i][i]
	}
	return h, true
}

// plateQuad returns the corners (top-left, top-right, bottom-right,
// bottom-left) of a 2:1 plate seen with the given yaw, pitch and roll
// (radians) through a pinhole camera, scaled so the quad's bounding box is
// boxW pixels wide and placed with that box's top-left corner at the origin.
func plateQuad(yaw, pitch, roll, boxW float64) [4]pointF {
	corners := [4][3]float64{{-1, -0.5, 0}, {1, -0.5, 0}, {1, 0.5, 0}, {-1, 0.5, 0}}
	sy, cy := math.Sincos(yaw)
	sp, cp := math.Sincos(pitch)
	sr, cr := math.Sincos(roll)
	const dist = 7 // camera distance in half plate widths: a mild perspective
	var q [4]pointF
	for i, c := range corners {
		x, y, z := c[0], c[1], c[2]
		x, z = cy*x+sy*z, -sy*x+cy*z // yaw about the vertical axis
		y, z = cp*y-sp*z, sp*y+cp*z  // pitch about the horizontal axis
		x, y = cr*x-sr*y, sr*x+cr*y  // roll in the image plane
		z += dist
		q[i] = pointF{x / z, y / z}
	}
	minX, minY, maxX := q[0].X, q[0].Y, q[0].X
	for _, p := range q[1:] {
		minX, minY, maxX = min(minX, p.X), min(minY, p.Y), max(maxX, p.X)
	}
	s := boxW / (maxX - minX)
	for i := range q {
		q[i] = pointF{(q[i].X - minX) * s, (q[i].Y - minY) * s}
	}
	return q
}

// quadBounds is the integer rectangle of pixels touched by q.
func quadBounds(q [4]pointF) image.Rectangle { return pointsBounds(q[:]) }

// pointsBounds is the integer rectangle of pixels touched by the polygon q.
func pointsBounds(q []pointF) image.Rectangle {
	minX, minY, maxX, maxY := q[0].X, q[0].Y, q[0].X, q[0].Y
	for _, p := range q[1:] {
		minX, minY = min(minX, p.X), min(minY, p.Y)
		maxX, maxY = max(maxX, p.X), max(maxY, p.Y)
	}
	return image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
}

// warpOnto composites the plate image src (premultiplied, transparent
// outside the plate) onto dst so that src's corners land on quad. It uses
// inverse mapping with 2x2 supersampling and bilinear sampling, over the
// quad's bounding box only.
func warpOnto(dst *image.RGBA, src *image.RGBA, quad [4]pointF) {
	sb := src.Bounds()
	w, h := float64(sb.Dx()), float64(sb.Dy())
	inv, ok := solveHomography(quad, [4]pointF{{0, 0}, {w, 0}, {w, h}, {0, h}})
	if !ok {
		return
	}
	r := quadBounds(quad).Intersect(dst.Bounds())
	offs := [2]float64{0.25, 0.75}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			var acc [4]float64
			for _, oy := range offs {
				for _, ox := range offs {
					u, v := inv.apply(float64(x)+ox, float64(y)+oy)
					sampleRGBA(src, u, v, &acc)
				}
			}
			a := acc[3] / 4
			if a <= 0 {
				continue
			}
			i := dst.PixOffset(x, y)
			p := dst.Pix[i : i+4 : i+4]
			k := 1 - a/255
			for c := 0; c < 3; c++ {
				p[c] = clampU8(acc[c]/4 + float64(p[c])*k)
			}
			p[3] = clampU8(a + float64(p[3])*k)
		}
	}
}

// sampleRGBA adds the bilinear sample of src at continuous (u, v) to acc
// (premultiplied, 0..255 per channel); outside src is transparent.
func sampleRGBA(src *image.RGBA, u, v float64, acc *[4]float64) {
	u -= 0.5
	v -= 0.5
	x0 := int(math.Floor(u))
	y0 := int(math.Floor(v))
	fx, fy := u-float64(x0), v-float64(y0)
	b := src.Rect
	if x0 < b.Min.X-1 || y0 < b.Min.Y-1 || x0 >= b.Max.X || y0 >= b.Max.Y {
		return
	}
	ws := [4]float64{(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy}
	pts := [4][2]int{{x0, y0}, {x0 + 1, y0}, {x0, y0 + 1}, {x0 + 1, y0 + 1}}
	for k, pt := range pts {
		if pt[0] < b.Min.X || pt[1] < b.Min.Y || pt[0] >= b.Max.X || pt[1] >= b.Max.Y || ws[k] == 0 {
			continue
		}
		i := (pt[1]-b.Min.Y)*src.Stride + (pt[0]-b.Min.X)*4
		s := src.Pix[i : i+4 : i+4]
		acc[0] += ws[k] * float64(s[0])
		acc[1] += ws[k] * float64(s[1])
		acc[2] += ws[k] * float64(s[2])
		acc[3] += ws[k] * float64(s[3])
	}
}

func clampU8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}
