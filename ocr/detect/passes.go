package detect

import (
	"image"
)

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

// edgePass finds text blobs in lv and adds candidates for plates lo..hi
// pixels wide (level pixels); f is the level's factor to frame pixels.
func (d *Detector) edgePass(s *scratch, lv *level, f, lo, hi int) {
	w, h := lv.w, lv.h
	if w < 8 || h < 8 {
		return
	}
	lv.gradient()
	t := int(4 * lv.mean)
	t = max(t, d.opts.MinEdge)
	t = min(t, 96)
	T := uint8(t)
	minRun := int32(max(4, lo/3))
	s.rowStart = grow(s.rowStart, h+1)
	runs := s.runs[:0]
	for y := 0; y < h; y++ {
		s.rowStart[y] = int32(len(runs))
		row := lv.gx[y*w : (y+1)*w]
		start, last := int32(-1), int32(-1)
		var edges int32
		for x := 1; x < w-1; x++ {
			if row[x] < T {
				continue
			}
			xx := int32(x)
			if start >= 0 && xx-last <= closeGap+1 {
				last = xx
				edges++
				continue
			}
			if start >= 0 && last-start+1 >= minRun {
				runs = append(runs, run{x0: start, x1: last, y: int32(y), edges: edges})
			}
			start, last, edges = xx, xx, 1
		}
		if start >= 0 && last-start+1 >= minRun {
			runs = append(runs, run{x0: start, x1: last, y: int32(y), edges: edges})
		}
	}
	s.rowStart[h] = int32(len(runs))
	s.runs = runs
	comps := s.label(h)

	minH := 4
	for _, c := range comps {
		tb := c.rect()
		bw, bh := tb.Dx(), tb.Dy()
		if bh < minH || bw*10 < lo*6 || bw*10 > hi*11 {
			continue
		}
		if bw*10 < bh*13 || bw > bh*9 {
			continue
		}
		st := blobStats(s, lv, tb)
		pb := plateFromText(lv, tb, st)
		if pb.Dx() < lo || pb.Dx() > hi*12/10 {
			continue
		}
		// Text quality: enough strokes, contrast, a filled and edge-dense
		// blob with horizontal strokes too.
		con := float64(st.p90 - st.p10)
		band, segs := textBand(lv, tb, T)
		if band.Dy() < 3 {
			continue
		}
		q := ramp(segs, 3, 6) * ramp(con, 20, 60) * (0.5 +
			0.5*(0.25*ramp(float64(c.pix)/float64(bw*bh), 0.4, 0.8)+
				0.25*ramp(float64(c.edges)/float64(c.pix), 0.1, 0.3)+
				0.25*ramp(con, 40, 120)+
				0.25*ramp(st.hv, 0.04, 0.15)))
		c := cand{box: scaleRect(pb, f), text: scaleRect(band, f), textQ: q}
		c.score = d.edgeScore(c)
		if c.score < d.opts.MinScore*0.5 {
			continue
		}
		s.cands = append(s.cands, c)
	}
}

// edgeScore scores an edge candidate from its text quality and how its text
// sits in its plate box.
func (d *Detector) edgeScore(c cand) float64 {
	// Characters fill a good part of the plate's height: 0.44 on US plates,
	// 0.7 on EU ones; signs and labels have smaller print.
	hr := float64(c.text.Dy()) / float64(c.box.Dy())
	return d.aspectScore(c.box.Dx(), c.box.Dy()) * c.textQ * (0.4 + 0.6*ramp(hr, 0.28, 0.42))
}

func scaleRect(r image.Rectangle, f int) image.Rectangle {
	return image.Rect(r.Min.X*f, r.Min.Y*f, r.Max.X*f, r.Max.Y*f)
}

// textBand finds the rows of tb that cross characters: the longest stretch
// (1-row gaps allowed) of rows meeting at least 4 edge segments. A blob may
// hold more than the characters (a small plate's frame merges with them);
// the band is where the characters are. It returns the band and the mean
// number of segments per band row, about two per character on a plate.
func textBand(lv *level, tb image.Rectangle, T uint8) (image.Rectangle, float64) {
	bestY0, bestY1, bestSum := 0, 0, 0
	y0, sum, gap := -1, 0, 0
	for y := tb.Min.Y; y <= tb.Max.Y; y++ {
		n := 0
		if y < tb.Max.Y {
			row := lv.gx[y*lv.w+tb.Min.X : y*lv.w+tb.Max.X]
			in := false
			for _, v := range row {
				e := v >= T
				if e && !in {
					n++
				}
				in = e
			}
		}
		if n >= 4 {
			if y0 < 0 {
				y0, sum = y, 0
			}
			sum += n
			gap = 0
			if y+1-y0 > bestY1-bestY0 {
				bestY0, bestY1, bestSum = y0, y+1, sum
			}
			continue
		}
		if y0 >= 0 {
			gap++
			if gap > 1 {
				y0 = -1
			}
		}
	}
	if bestY1 == bestY0 {
		return image.Rectangle{}, 0
	}
	return image.Rect(tb.Min.X, bestY0, tb.Max.X, bestY1), float64(bestSum) / float64(bestY1-bestY0)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// percentile returns the grey level below which pct percent of n samples lie.
func percentile(hist *[256]int32, n int32, pct int) int {
	target := int64(n) * int64(pct) / 100
	var acc int64
	for v, c := range hist {
		acc += int64(c)
		if acc > target {
			return v
		}
	}
	return 255
}

// textStats are luma statistics of a text blob.
type textStats struct {
	p10, p50, p90 int
	hv            float64 // vertical/horizontal gradient energy, see blobStats
}

// blobStats computes textStats of tb: luma percentiles and the ratio of
// vertical to horizontal gradient energy in its middle rows. Characters have
// horizontal strokes too (ratio well above 0); fences, grilles and barcodes
// hardly any.
func blobStats(s *scratch, lv *level, tb image.Rectangle) textStats {
	hist := &s.hist
	clear(hist[:])
	w := lv.w
	var sdx, sdy int64
	y0 := tb.Min.Y + tb.Dy()/5
	y1 := tb.Max.Y - tb.Dy()/5
	for y := tb.Min.Y; y < tb.Max.Y; y++ {
		row := lv.pix[y*w : (y+1)*w]
		for x := tb.Min.X; x < tb.Max.X; x++ {
			hist[row[x]]++
		}
		if y < y0 || y >= y1 || y == 0 || y >= lv.h-1 {
			continue
		}
		up := lv.pix[(y-1)*w : y*w]
		dn := lv.pix[(y+1)*w : (y+2)*w]
		for x := max(tb.Min.X, 1); x < min(tb.Max.X, w-1); x++ {
			sdx += abs64(int64(row[x+1]) - int64(row[x-1]))
			sdy += abs64(int64(dn[x]) - int64(up[x]))
		}
	}
	n := int32(tb.Dx() * tb.Dy())
	st := textStats{
		p10: percentile(hist, n, 10),
		p50: percentile(hist, n, 50),
		p90: percentile(hist, n, 90),
	}
	if sdx > 0 {
		st.hv = float64(sdy) / float64(sdx)
	}
	return st
}

// plateFromText estimates the plate around a text blob tb by growing a box
// from it while the rows (columns) next to it look like the plate's
// background, the grey of the blob's non-stroke pixels. Where the growth does
// not stop within reach, it falls back to US proportions (characters about
// 44% of the plate height and 76% of its width).
func plateFromText(lv *level, tb image.Rectangle, st textStats) image.Rectangle {
	bw, bh := tb.Dx(), tb.Dy()
	def := image.Rect(tb.Min.X-bw*16/100, tb.Min.Y-bh*7/10, tb.Max.X+bw*16/100, tb.Max.Y+bh*55/100)
	c := st.p90 - st.p10
	if c < 20 {
		return def.Intersect(image.Rect(0, 0, lv.w, lv.h))
	}
	bg := st.p90 // dark characters on a light plate
	if st.p50 < (st.p10+st.p90)/2 {
		// Most of the blob is dark: light characters on a dark plate.
		bg = st.p10
	}
	tol := max(12, c*2/5)
	ok := func(m int) bool { return m >= bg-tol && m <= bg+tol }
	rowMean := func(y int) int {
		row := lv.pix[y*lv.w+tb.Min.X : y*lv.w+tb.Max.X]
		var s int
		for _, v := range row {
			s += int(v)
		}
		return s / len(row)
	}
	top := def.Min.Y
	for y := tb.Min.Y - 1; y >= tb.Min.Y-bh*13/10; y-- {
		if y < 0 {
			top = 0
			break
		}
		if !ok(rowMean(y)) {
			top = y + 1
			break
		}
	}
	bot := def.Max.Y
	for y := tb.Max.Y; y <= tb.Max.Y+bh; y++ {
		if y >= lv.h {
			bot = lv.h
			break
		}
		if !ok(rowMean(y)) {
			bot = y
			break
		}
	}
	top, bot = max(top, 0), min(bot, lv.h)
	colMean := func(x int) int {
		var s int
		for y := top; y < bot; y++ {
			s += int(lv.pix[y*lv.w+x])
		}
		return s / (bot - top)
	}
	left := def.Min.X
	for x := tb.Min.X - 1; x >= tb.Min.X-bw*2/5; x-- {
		if x < 0 {
			left = 0
			break
		}
		if !ok(colMean(x)) {
			left = x + 1
			break
		}
	}
	right := def.Max.X
	for x := tb.Max.X; x <= tb.Max.X+bw*2/5; x++ {
		if x >= lv.w {
			right = lv.w
			break
		}
		if !ok(colMean(x)) {
			right = x
			break
		}
	}
	return image.Rect(max(left, 0), top, min(right, lv.w), bot)
}

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
		// Dark strokes inside: gaps in the bright mask along the middle rows,
		// not counting the component's own outline.
		gaps := 0.0
		for _, q := range [3]int{40, 55, 70} {
			y := r.Min.Y + bh*q/100
			row := lv.pix[y*w : (y+1)*w]
			seen, dark, k := false, false, 0
			for x := r.Min.X; x < r.Max.X; x++ {
				if row[x] >= T {
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
		// Without the text evidence of the edge pass a bright rectangle
		// scores at most 0.8.
		score := 0.8 * asp * ramp(gaps, 1, 4) * (0.5 + 0.3*ramp(rect, 0.45, 0.7) + 0.2*ramp(con, 60, 150))
		if score < d.opts.MinScore*0.5 {
			continue
		}
		s.cands = append(s.cands, cand{box: scaleRect(r, f), score: score, bright: true})
	}
}

// percentileMille is percentile in thousandths.
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
