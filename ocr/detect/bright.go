package detect

import (
	"image"
)

// brightPass adds candidates for bright, rectangular, plate-shaped regions
// with dark strokes inside, lo..hi level pixels wide.
func (d *Detector) brightPass(s *scratch, lv *level, f, lo, hi int) {
	w, h := lv.w, lv.h
	hist := &s.hist
	clear(hist[:])
	for _, v := range lv.pix[:w*h] {
		hist[v]++
	}
	n := int32(w * h)
	p50, p995 := percentile(hist, n, 50), percentileMille(hist, n, 995)
	if p995-p50 < 60 {
		return
	}
	T := uint8((p50 + p995) / 2)
	s.rowStart = grow(s.rowStart, h+1)
	runs := s.runs[:0]
	for y := 0; y < h; y++ {
		s.rowStart[y] = int32(len(runs))
		row := lv.pix[y*w : (y+1)*w]
		start := -1
		for x, v := range row {
			if v >= T {
				if start < 0 {
					start = x
				}
				continue
			}
			if start >= 0 {
				runs = append(runs, run{x0: int32(start), x1: int32(x - 1), y: int32(y)})
				start = -1
			}
		}
		if start >= 0 {
			runs = append(runs, run{x0: int32(start), x1: int32(w - 1), y: int32(y)})
		}
	}
	s.rowStart[h] = int32(len(runs))
	s.runs = runs
	comps := s.label(h)
	for _, c := range comps {
		r := c.rect()
		bw, bh := r.Dx(), r.Dy()
		if bw < lo || bw > hi || bh < 6 {
			continue
		}
		asp := d.aspectScore(bw, bh)
		if asp == 0 {
			continue
		}
		rect := float64(c.pix) / float64(bw*bh)
		if rect < 0.45 {
			continue
		}
		// Dark strokes inside: dips along the middle rows below the
		// midpoint of the rectangle's own field and print (the print of a
		// blurred plate may stay above the frame's threshold), not
		// counting the component's own outline.
		clear(hist[:])
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for _, v := range lv.pix[y*w+r.Min.X : y*w+r.Max.X] {
				hist[v]++
			}
		}
		rn := int32(bw * bh)
		lo, hi := percentile(hist, rn, 10), percentile(hist, rn, 90)
		if hi-lo < 20 {
			continue
		}
		T2 := uint8((lo + hi) / 2)
		gaps := 0.0
		for _, q := range [3]int{40, 55, 70} {
			y := r.Min.Y + bh*q/100
			row := lv.pix[y*w : (y+1)*w]
			seen, dark, k := false, false, 0
			for x := r.Min.X; x < r.Max.X; x++ {
				if row[x] >= T2 {
					if dark {
						k++
					}
					dark, seen = false, true
				} else if seen {
					dark = true
				}
			}
			gaps += float64(k)
		}
		gaps /= 3
		con := float64(p995 - p50)
		// Without the evidence of a row of characters a bright rectangle
		// scores at most 0.8.
		score := 0.8 * asp * ramp(gaps, 1, 4) * (0.5 + 0.3*ramp(rect, 0.45, 0.7) + 0.2*ramp(con, 60, 150))
		if score < d.opts.MinScore*0.5 {
			continue
		}
		s.cands = append(s.cands, cand{box: scaleRect(r, f), score: score, bright: true})
	}
}

// ramp maps v to 0 at lo, 1 at hi, linearly between, clamped.
func ramp(v, lo, hi float64) float64 {
	switch {
	case v <= lo:
		return 0
	case v >= hi:
		return 1
	}
	return (v - lo) / (hi - lo)
}

// aspectScore is 1 for usual plate shapes and falls to 0 at the limits.
func (d *Detector) aspectScore(w, h int) float64 {
	if h <= 0 {
		return 0
	}
	a := float64(w) / float64(h)
	lo, hi := d.opts.MinAspect, d.opts.MaxAspect
	if a < lo || a > hi {
		return 0
	}
	s := 1.0
	if in := lo + 0.3; a < in {
		s = 0.5 + 0.5*(a-lo)/0.3
	}
	if in := hi - 1; a > in {
		s = min(s, 0.5+0.5*(hi-a))
	}
	return s
}

func scaleRect(r image.Rectangle, f int) image.Rectangle {
	return image.Rect(r.Min.X*f, r.Min.Y*f, r.Max.X*f, r.Max.Y*f)
}

// percentile returns the grey level below which pct percent of n samples lie.
func percentile(hist *[256]int32, n int32, pct int) int {
	return percentileMille(hist, n, 10*pct)
}

// percentileMille returns the grey level below which pm thousandths of n
// samples lie.
func percentileMille(hist *[256]int32, n int32, pm int) int {
	target := int64(n) * int64(pm) / 1000
	var acc int64
	for v, c := range hist {
		acc += int64(c)
		if acc > target {
			return v
		}
	}
	return 255
}
