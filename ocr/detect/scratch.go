package detect

import "image"

// scratch holds every per-call buffer, so a warm Detector allocates only its
// result. One scratch serves one Detect call at a time (see Detector.pool).
type scratch struct {
	levels []level
	cands  []cand
	keep   []cand
	flags  []bool
	hist   [256]int32

	// Runs of a level's ink (dark, or the bright pass's) and of its bright
	// ink, rowStart[y] indexing the first run of row y; their labelling.
	runs      []run
	rowStart  []int32
	runsB     []run
	rowStartB []int32
	lab       labeler

	// Ink (see inkRuns).
	ink    [3][]uint64 // dark, bright and shadow-dark ink bitsets, ww words a row (see inkRuns)
	ww     int
	colSum []int32
	mrow   []uint8  // one row of ink: 0, 1 dark, 2 bright
	ero    []uint64 // see eraseVertical

	// Glyphs (see glyphs) and their rows (see charPass).
	glyphD   []glyph // dark glyphs of the level
	glyphB   []glyph // bright ones
	sub      labeler // for components taken apart (see decompose)
	subRuns  []run
	subStart []int32
	colInk   []int32
	cut      []bool
	rowCut   []bool
	bestL    []int32
	costL    []float32
	bestR    []int32
	tmp      []float64
	idx      []int32
	prof     []float64
}

// level is one pyramid level: a contiguous luma plane.
type level struct {
	w, h int
	pix  []uint8
	acc  []uint32 // scratch of downscale
}

// run is a horizontal segment [x0, x1] (inclusive) of row y; sum is the
// sum of its luma (unused by the bright pass).
type run struct {
	x0, x1, y, sum int32
}

// comp aggregates the runs of one connected component.
type comp struct {
	x0, y0, x1, y1 int32 // inclusive bounds
	pix, sum       int32 // pixels, luma sum
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

// label joins s.runs into components; see labeler.label.
func (s *scratch) label(h int) []comp { return s.lab.label(s.runs, s.rowStart, h) }

// labelRuns labels with s.lab; see labeler.label.
func (s *scratch) labelRuns(runs []run, rs []int32, h int) []comp { return s.lab.label(runs, rs, h) }

// labeler holds the buffers of connected-component labelling.
type labeler struct {
	parent []int32
	compOf []int32
	comps  []comp
}

// label joins the runs (sorted by row, then x; rs[y]..rs[y+1] are the runs
// of the y-th row) into 4-connected components. The result is valid until
// the next call.
func (l *labeler) label(runs []run, rs []int32, h int) []comp {
	n := len(runs)
	l.parent = grow(l.parent, n)
	parent := l.parent
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
	l.compOf = grow(l.compOf, n)
	comps := l.comps[:0]
	for i := range runs {
		r := runs[i]
		root := find(int32(i))
		var c *comp
		if int(root) == i {
			l.compOf[i] = int32(len(comps))
			comps = append(comps, comp{x0: r.x0, x1: r.x1, y0: r.y, y1: r.y})
			c = &comps[len(comps)-1]
		} else {
			// Roots have the smallest index of their set, so they come first.
			c = &comps[l.compOf[root]]
		}
		c.x0 = min(c.x0, r.x0)
		c.x1 = max(c.x1, r.x1)
		c.y1 = max(c.y1, r.y)
		c.pix += r.x1 - r.x0 + 1
		c.sum += r.sum
	}
	l.comps = comps
	return comps
}
