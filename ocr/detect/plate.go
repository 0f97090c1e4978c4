package detect

import (
	"image"
	"math"
)

// plateFromRow estimates the plate around a text row: it looks for the
// plate's edges (a change of the mean grey along a line parallel to the
// row) above, below, left and right of the row within plate-like distances,
// taking the one nearest the row among the strong ones, and falls back to
// typical proportions where it finds none. It returns the plate box and the
// share of its four sides backed by an edge, 0..1.
func plateFromRow(s *scratch, lv *level, r *textRow) (image.Rectangle, float64) {
	hc := r.hc
	R := r.box
	w, h := lv.w, lv.h
	xc := float64(R.Min.X+R.Max.X) / 2
	// Centre line of the row at xc and the row's top and bottom there.
	yc := float64(R.Min.Y+R.Max.Y) / 2
	t0, b0 := yc-hc/2, yc+hc/2
	off := func(x int) int { return int(math.Round(r.slope * (float64(x) - xc))) }
	// Edges are weighed like the glyphs' contrast (see glyph.visible): a
	// plate in shadow has edges as faint as its characters.
	gain := max(1, r.vis/max(r.con, 1))
	con := r.con * gain
	minEdge := max(4, 0.15*con)

	// Vertical profile: deskewed row means over the row's columns.
	ya := max(0, int(t0-1.3*hc))
	yb := min(h, int(b0+1.3*hc)+1)
	if yb-ya < 4 {
		return image.Rectangle{}, 0
	}
	s.prof = grow(s.prof, yb-ya)
	prof := s.prof
	for y := ya; y < yb; y++ {
		var sum, n int
		for x := R.Min.X; x < R.Max.X; x++ {
			yy := y + off(x)
			if yy < 0 || yy >= h {
				continue
			}
			sum += int(lv.pix[yy*w+x])
			n++
		}
		if n > 0 {
			prof[y-ya] = float64(sum) / float64(n)
		} else {
			prof[y-ya] = -1
		}
	}
	// edgeAt is the strength of a boundary between index i-1 and i.
	edgeAt := func(p []float64, i int) float64 {
		if i < 2 || i+1 >= len(p) || p[i-2] < 0 || p[i+1] < 0 {
			return 0
		}
		return gain * math.Abs((p[i]+p[i+1])-(p[i-1]+p[i-2])) / 2
	}
	// pick returns the boundary index nearest to from, stepping by dir
	// until to, among those at least half as strong as the strongest.
	pick := func(p []float64, from, to, dir int) (int, float64) {
		if (to-from)*dir < 0 {
			return -1, 0
		}
		n := (to-from)*dir + 1
		best := 0.0
		for k, i := 0, from; k < n; k, i = k+1, i+dir {
			best = max(best, edgeAt(p, i))
		}
		if best < minEdge {
			return -1, 0
		}
		for k, i := 0, from; k < n; k, i = k+1, i+dir {
			if e := edgeAt(p, i); e >= best*0.5 {
				// Climb to the local maximum.
				for edgeAt(p, i+dir) > e {
					i += dir
					e = edgeAt(p, i)
				}
				return i, best
			}
		}
		return -1, 0
	}
	clampIdx := func(v, n int) int { return max(0, min(n-1, v)) }
	var ev float64
	top := t0 - 0.5*hc
	near := max(2, 0.06*hc) // the characters' own edges are nearer
	if i, e := pick(prof, clampIdx(int(math.Floor(t0-near))-ya, len(prof)), clampIdx(int(t0-1.1*hc)-ya, len(prof)), -1); i >= 0 {
		top = float64(i + ya)
		ev += 0.25 * ramp(e, minEdge, 2*minEdge+0.1*con+4)
	}
	bot := b0 + 0.45*hc
	if i, e := pick(prof, clampIdx(int(math.Ceil(b0+near))-ya, len(prof)), clampIdx(int(b0+1.0*hc)-ya, len(prof)), 1); i >= 0 {
		bot = float64(i + ya)
		ev += 0.25 * ramp(e, minEdge, 2*minEdge+0.1*con+4)
	}
	if ph := bot - top; ph < 1.25*hc || ph > 2.7*hc {
		top, bot = t0-0.5*hc, b0+0.45*hc
	}

	// Horizontal profile: deskewed column means over the plate's rows.
	xa := max(0, int(float64(R.Min.X)-1.4*hc))
	xb := min(w, int(float64(R.Max.X)+1.4*hc)+1)
	s.prof = grow(s.prof, xb-xa)
	prof = s.prof
	it, ib := int(math.Ceil(top)), int(bot)
	for x := xa; x < xb; x++ {
		o := off(x)
		var sum, n int
		for y := it; y < ib; y++ {
			yy := y + o
			if yy < 0 || yy >= h {
				continue
			}
			sum += int(lv.pix[yy*w+x])
			n++
		}
		if n > 0 {
			prof[x-xa] = float64(sum) / float64(n)
		} else {
			prof[x-xa] = -1
		}
	}
	left, right := -1.0, -1.0
	if i, e := pick(prof, clampIdx(R.Min.X-int(0.05*hc)-xa, len(prof)), clampIdx(int(float64(R.Min.X)-1.3*hc)-xa, len(prof)), -1); i >= 0 {
		left = float64(i + xa)
		ev += 0.25 * ramp(e, minEdge, 2*minEdge+0.1*con+4)
	}
	if i, e := pick(prof, clampIdx(R.Max.X+int(0.05*hc)-xa, len(prof)), clampIdx(int(float64(R.Max.X)+1.3*hc)-xa, len(prof)), 1); i >= 0 {
		right = float64(i + xa)
		ev += 0.25 * ramp(e, minEdge, 2*minEdge+0.1*con+4)
	}
	ml, mr := float64(R.Min.X)-left, right-float64(R.Max.X)
	switch {
	case left < 0 && right < 0:
		ml, mr = 0.3*hc, 0.3*hc
	case left < 0:
		ml = min(mr, 0.6*hc)
	case right < 0:
		mr = min(ml, 0.6*hc)
	}
	x0, x1 := float64(R.Min.X)-ml, float64(R.Max.X)+mr
	// The box holds the plate tilted by the row's slope.
	dy := math.Abs(r.slope) * (x1 - x0) / 2
	box := image.Rect(int(x0), int(top-dy), int(math.Ceil(x1)), int(math.Ceil(bot+dy)))
	return box.Intersect(image.Rect(0, 0, w, h)), ev
}
