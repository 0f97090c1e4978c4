package detect

import "image"

// scratch holds every per-call buffer, so a warm Detector allocates only its
// result. One scratch serves one Detect call at a time (see Detector.pool).
type scratch struct {
	levels   []level
	runs     []run
	rowStart []int32
	parent   []int32
	compOf   []int32
	comps    []comp
	cands    []cand
	keep     []cand
	hist     [256]int32
	colSum   []int32
}

// level is one pyramid level: a contiguous luma plane and its horizontal
// gradient.
type level struct {
	w, h int
	pix  []uint8
	gx   []uint8
	acc  []uint32
	mean float64 // of gx
}

// run is a horizontal segment [x0, x1] (inclusive) of row y; edges counts
// the edge pixels it holds (edge pass) or is unused (bright pass).
type run struct {
	x0, x1, y int32
	edges     int32
}

// comp aggregates the runs of one connected component.
type comp struct {
	x0, y0, x1, y1 int32 // inclusive bounds
	pix, edges     int32
}

func (c comp) rect() image.Rectangle {
	return image.Rect(int(c.x0), int(c.y0), int(c.x1)+1, int(c.y1)+1)
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

func (s *scratch) ensureLevels(n int) {
	if len(s.levels) < n {
		s.levels = append(s.levels, make([]level, n-len(s.levels))...)
	}
}

// downscale fills lv with img box-averaged by the integer factor f.
func (lv *level) downscale(img *image.Gray, f int) {
	b := img.Rect
	w, h := b.Dx()/f, b.Dy()/f
	lv.w, lv.h = w, h
	lv.pix = grow(lv.pix, w*h)
	if f == 1 {
		for y := 0; y < h; y++ {
			o := img.PixOffset(b.Min.X, b.Min.Y+y)
			copy(lv.pix[y*w:(y+1)*w], img.Pix[o:o+w])
		}
		return
	}
	if f == 2 {
		for y := 0; y < h; y++ {
			r0 := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+2*y):]
			r1 := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+2*y+1):]
			r0, r1 = r0[:2*w], r1[:2*w]
			dst := lv.pix[y*w : (y+1)*w]
			for x := range dst {
				s := uint32(r0[2*x]) + uint32(r0[2*x+1]) + uint32(r1[2*x]) + uint32(r1[2*x+1])
				dst[x] = uint8((s + 2) >> 2)
			}
		}
		return
	}
	lv.acc = grow(lv.acc, w)
	acc := lv.acc
	div := uint32(f * f)
	for y := 0; y < h; y++ {
		clear(acc)
		for r := 0; r < f; r++ {
			row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y*f+r):]
			row = row[:w*f]
			for x := range acc {
				var s uint32
				for _, v := range row[x*f : x*f+f] {
					s += uint32(v)
				}
				acc[x] += s
			}
		}
		dst := lv.pix[y*w : (y+1)*w]
		for x, s := range acc {
			dst[x] = uint8((s + div/2) / div)
		}
	}
}

// halve fills lv with src averaged 2x2.
func (lv *level) halve(src *level) {
	w, h := src.w/2, src.h/2
	lv.w, lv.h = w, h
	lv.pix = grow(lv.pix, w*h)
	for y := 0; y < h; y++ {
		r0 := src.pix[2*y*src.w : 2*y*src.w+2*w]
		r1 := src.pix[(2*y+1)*src.w : (2*y+1)*src.w+2*w]
		dst := lv.pix[y*w : (y+1)*w]
		for x := range dst {
			s := uint32(r0[2*x]) + uint32(r0[2*x+1]) + uint32(r1[2*x]) + uint32(r1[2*x+1])
			dst[x] = uint8((s + 2) >> 2)
		}
	}
}

// gradient fills lv.gx with |dx| smoothed vertically by [1 2 1], scaled to
// 0..255, and lv.mean with its mean. Border pixels are 0.
func (lv *level) gradient() {
	w, h := lv.w, lv.h
	lv.gx = grow(lv.gx, w*h)
	gx := lv.gx
	clear(gx[:w])
	clear(gx[(h-1)*w:])
	var sum uint64
	p := lv.pix
	for y := 1; y < h-1; y++ {
		up := p[(y-1)*w : y*w]
		md := p[y*w : (y+1)*w]
		dn := p[(y+1)*w : (y+2)*w]
		out := gx[y*w : (y+1)*w]
		out[0], out[w-1] = 0, 0
		var rs uint32
		for x := 1; x < w-1; x++ {
			d := int32(up[x+1]) - int32(up[x-1]) + 2*(int32(md[x+1])-int32(md[x-1])) + int32(dn[x+1]) - int32(dn[x-1])
			if d < 0 {
				d = -d
			}
			v := uint32(d) >> 2
			if v > 255 {
				v = 255
			}
			out[x] = uint8(v)
			rs += v
		}
		sum += uint64(rs)
	}
	lv.mean = float64(sum) / float64(w*h)
}

// label joins the runs (sorted by row, then x; s.rowStart[y]..s.rowStart[y+1]
// are row y's) into 4-connected components and fills s.comps.
func (s *scratch) label(h int) []comp {
	runs := s.runs
	n := len(runs)
	s.parent = grow(s.parent, n)
	parent := s.parent
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	rs := s.rowStart
	for y := 1; y < h; y++ {
		i, iEnd := rs[y-1], rs[y]
		j, jEnd := rs[y], rs[y+1]
		for i < iEnd && j < jEnd {
			p, r := runs[i], runs[j]
			if p.x1 < r.x0 {
				i++
				continue
			}
			if r.x1 < p.x0 {
				j++
				continue
			}
			a, b := find(i), find(j)
			if a != b {
				if a < b {
					parent[b] = a
				} else {
					parent[a] = b
				}
			}
			if p.x1 < r.x1 {
				i++
			} else {
				j++
			}
		}
	}
	s.compOf = grow(s.compOf, n)
	comps := s.comps[:0]
	for i := range runs {
		r := runs[i]
		root := find(int32(i))
		var c *comp
		if int(root) == i {
			s.compOf[i] = int32(len(comps))
			comps = append(comps, comp{x0: r.x0, x1: r.x1, y0: r.y, y1: r.y})
			c = &comps[len(comps)-1]
		} else {
			// Roots have the smallest index of their set, so they come first.
			c = &comps[s.compOf[root]]
		}
		c.x0 = min(c.x0, r.x0)
		c.x1 = max(c.x1, r.x1)
		c.y1 = max(c.y1, r.y)
		c.pix += r.x1 - r.x0 + 1
		c.edges += r.edges
	}
	s.comps = comps
	return comps
}
