package detect

import (
	"slices"
)

// glyph is a character-like connected component of one polarity at one
// pyramid level, in level pixels.
type glyph struct {
	x0, y0, x1, y1 int32 // bounds, max exclusive
	pix            int32
	ink, bg        float32 // mean luma of the component and of the rest of its box
	next           int32   // right neighbour in its row, -1 none
	prev           int32   // left neighbour in its row, -1 none
	chain          int32   // first glyph of its row
	drop           bool    // to be dropped: see markCounters, dropWrappers
}

func (g *glyph) w() int32 { return g.x1 - g.x0 }

func (g *glyph) h() int32 { return g.y1 - g.y0 }

// contrast is the luma difference between the glyph's ink and its background.
func (g *glyph) contrast() float32 {
	if g.bg > g.ink {
		return g.bg - g.ink
	}
	return g.ink - g.bg
}

// visible is the glyph's contrast as the eye sees it: the luma difference
// relative to the lighter of ink and background, scaled to a light plate's.
// A plate in shadow or at dusk (its field at luma 50-60) has characters a
// dozen grey levels darker than the field, as plain to read as a sunlit
// plate's forty; the absolute difference would take them for a smudge.
// The gain is capped (at visibleRef/3) so that near-black noise stays out.
func (g *glyph) visible() float32 {
	light := max(g.ink, g.bg)
	return g.contrast() * min(3, max(1, visibleRef/max(light, 1)))
}

// visibleRef is the field luma up to which contrast counts as it is.
const visibleRef = 128

// glyphs appends to gs the components of polarity pol (see label; 1 dark,
// 2 bright) that may be characters hlo..hhi level pixels tall, with at
// least minCon contrast. Components as wide as a few characters
// (characters touching each other, a blurred row) are cut where little ink
// crosses them (see split); components too tall that may hold characters
// touching something else are taken apart (see decompose). The pieces that
// qualify are kept.
func (s *scratch) glyphs(lv *level, comps []comp, pol uint8, hlo, hhi int, gs []glyph) []glyph {
	lo, hi := int32(hlo), int32(hhi)
	for _, c := range comps {
		gw, gh := c.x1-c.x0+1, c.y1-c.y0+1
		switch {
		case gh < lo || gw*12 < gh:
		case gh <= hi && gw*10 < gh*9:
			gs = addGlyph(lv, gs, c.x0, c.y0, c.x1+1, c.y1+1, c.pix, int64(c.sum), lo, hi)
		case gh <= hi && gw*10 <= gh*13:
			// As wide as two narrow characters that blur joined.
			gs = s.split(lv, c, pol, gs, lo, hi)
		case gh <= hi:
			if gw <= gh*10 && c.pix*10 <= gw*gh*7 {
				gs = s.split(lv, c, pol, gs, lo, hi)
			}
		case gh <= 4*hi && gw <= 12*hi && gw >= 3*lo && c.pix*10 <= gw*gh*8:
			gs = s.decompose(lv, c, pol, gs, lo, hi)
		}
	}
	return gs
}

// decompose takes apart a component too tall for a character that may
// hold characters touching something else: a plate frame, a bumper edge, a
// line of small print. It drops the rows of its box that its ink mostly
// covers (more than half the box's width) and the columns it almost fully
// covers (four fifths), labels what remains and keeps the parts that
// qualify as glyphs (cutting the wide ones as glyphs does).
func (s *scratch) decompose(lv *level, c comp, pol uint8, gs []glyph, lo, hi int32) []glyph {
	w := lv.w
	x0, x1 := int(c.x0), int(c.x1)+1
	y0, y1 := int(c.y0), int(c.y1)+1
	bw, bh := x1-x0, y1-y0
	s.colInk = grow(s.colInk, bw)
	col := s.colInk
	clear(col)
	s.rowCut = grow(s.rowCut, bh)
	for y := y0; y < y1; y++ {
		ir := s.inkRow(pol, y)
		n := 0
		for i := range bw {
			if set(ir, x0+i) {
				col[i]++
				n++
			}
		}
		s.rowCut[y-y0] = n*2 > bw
	}
	colMax := int32(bh * 4 / 5)
	runs := s.subRuns[:0]
	s.subStart = grow(s.subStart, bh+1)
	for y := y0; y < y1; y++ {
		ir := s.inkRow(pol, y)
		s.subStart[y-y0] = int32(len(runs))
		if s.rowCut[y-y0] {
			continue
		}
		p := lv.pix[y*w+x0 : y*w+x1]
		for i := 0; i < bw; {
			if !set(ir, x0+i) || col[i] > colMax {
				i++
				continue
			}
			j := i
			var sum int32
			for j < bw && set(ir, x0+j) && col[j] <= colMax {
				sum += int32(p[j])
				j++
			}
			runs = append(runs, run{x0: int32(x0 + i), x1: int32(x0 + j - 1), y: int32(y), sum: sum})
			i = j
		}
	}
	s.subStart[bh] = int32(len(runs))
	s.subRuns = runs
	for _, p := range s.sub.label(runs, s.subStart, bh) {
		pw, ph := p.x1-p.x0+1, p.y1-p.y0+1
		switch {
		case ph < lo || ph > hi || pw*12 < ph:
		case pw*10 <= ph*13:
			gs = addGlyph(lv, gs, p.x0, p.y0, p.x1+1, p.y1+1, p.pix, int64(p.sum), lo, hi)
		case pw <= ph*10 && p.pix*10 <= pw*ph*7:
			gs = s.split(lv, p, pol, gs, lo, hi)
		}
	}
	return gs
}

// cuts finds where to cut component c, a row of characters that touch or a
// character: the columns of its box that little ink of polarity pol
// crosses (a fifth of its height at most), and the valleys of that count
// (local minima under 35% of the peaks within half a height on both sides:
// the blurred joint of two characters). It fills s.cut and reports whether
// there is any cut between two pieces.
func (s *scratch) cuts(lv *level, c comp, pol uint8) bool {
	x0, x1 := int(c.x0), int(c.x1)+1
	y0, y1 := int(c.y0), int(c.y1)+1
	bw, bh := x1-x0, int32(y1-y0)
	s.colInk = grow(s.colInk, bw)
	col := s.colInk
	clear(col)
	for y := y0; y < y1; y++ {
		ir := s.inkRow(pol, y)
		for i := range bw {
			if set(ir, x0+i) {
				col[i]++
			}
		}
	}
	s.cut = grow(s.cut, bw)
	cut := s.cut
	low := max(1, bh/5)
	reach := max(2, int(bh)/2)
	edge := max(2, int(bh)/4)
	any := false
	for i := range col {
		cut[i] = col[i] <= low
		if cut[i] || i < edge || i >= bw-edge || col[i] > col[i-1] || col[i] > col[i+1] {
			continue
		}
		var l, r int32
		for k := max(0, i-reach); k < i; k++ {
			l = max(l, col[k])
		}
		for k := i + 1; k <= min(bw-1, i+reach); k++ {
			r = max(r, col[k])
		}
		if col[i]*100 <= min(l, r)*35 {
			cut[i] = true
		}
	}
	// A cut counts when it has ink on both sides.
	first, last := -1, -1
	for i, c := range cut {
		if !c {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i := first + 1; i < last; i++ {
		if cut[i] {
			any = true
			break
		}
	}
	return any
}

// split cuts the wide component c at the columns of its box that little ink
// of polarity pol crosses (see cuts) and adds the pieces that qualify as
// glyphs.
func (s *scratch) split(lv *level, c comp, pol uint8, gs []glyph, lo, hi int32) []glyph {
	if !s.cuts(lv, c, pol) {
		return addGlyph(lv, gs, c.x0, c.y0, c.x1+1, c.y1+1, c.pix, int64(c.sum), lo, hi)
	}
	w := int(lv.w)
	x0 := int(c.x0)
	y0, y1 := int(c.y0), int(c.y1)+1
	cut := s.cut
	for i := 0; i < len(cut); {
		if cut[i] {
			i++
			continue
		}
		j := i
		for j < len(cut) && !cut[j] {
			j++
		}
		// Piece: columns x0+i .. x0+j-1.
		px0, px1 := x0+i, x0+j
		top, bot := -1, -1
		var pix int32
		var inkSum int64
		for y := y0; y < y1; y++ {
			ir := s.inkRow(pol, y)
			p := lv.pix[y*w+px0 : y*w+px1]
			n := 0
			for k := range p {
				if set(ir, px0+k) {
					n++
					inkSum += int64(p[k])
				}
			}
			if n > 0 {
				if top < 0 {
					top = y
				}
				bot = y + 1
				pix += int32(n)
			}
		}
		if top >= 0 {
			gs = addGlyph(lv, gs, int32(px0), int32(top), int32(px1), int32(bot), pix, inkSum, lo, hi)
		}
		i = j
	}
	return gs
}

// addGlyph appends the glyph with box (x0, y0)-(x1, y1) holding pix ink
// pixels of luma sum inkSum when it has the shape and contrast of a
// character.
func addGlyph(lv *level, gs []glyph, x0, y0, x1, y1, pix int32, inkSum int64, lo, hi int32) []glyph {
	gw, gh := x1-x0, y1-y0
	if gh < lo || gh > hi || gw*10 > gh*13 || gw*12 < gh {
		return gs
	}
	area := gw * gh
	fill := float32(pix) / float32(area)
	if fill < 0.15 || (fill > 0.92 && gw*10 > gh*4) {
		return gs
	}
	w := int(lv.w)
	var sum int64
	for y := y0; y < y1; y++ {
		for _, v := range lv.pix[int(y)*w+int(x0) : int(y)*w+int(x1)] {
			sum += int64(v)
		}
	}
	g := glyph{x0: x0, y0: y0, x1: x1, y1: y1, pix: pix, next: -1, prev: -1}
	g.ink = float32(inkSum) / float32(pix)
	if area > pix {
		g.bg = float32(sum-inkSum) / float32(area-pix)
	} else {
		g.bg = g.ink
	}
	if g.visible() < minCon {
		return gs
	}
	return append(gs, g)
}

// markCounters marks (drop) the glyphs of gs that may be the counters (holes) of
// glyphs of other, the other polarity (0, 4, 6, 8, A, ...): inside the box
// of the other glyph, at most 3/4 as tall and 4/5 as wide, with its ink the
// grey around the other and its surround the other's ink. Both are sorted
// by x0.
func markCounters(gs, other []glyph, hhi int) {
	for i := range gs {
		g := &gs[i]
		g.drop = false
		lo := g.x1 - int32(hhi)*13/10
		k, _ := slices.BinarySearchFunc(other, lo, func(o glyph, x int32) int { return int(o.x0 - x) })
		for ; k < len(other) && other[k].x0 < g.x0; k++ {
			o := &other[k]
			if o.x1 > g.x1 && o.y0 < g.y0 && o.y1 > g.y1 && g.h()*4 <= o.h()*3 && g.w()*5 <= o.w()*4 &&
				abs32f(g.ink-o.bg) < 0.35*o.contrast() && abs32f(g.bg-o.ink) < 0.5*o.contrast() {
				g.drop = true
				break
			}
		}
	}
}

func abs32f(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// dropWrappers drops the glyphs (sorted by x0) whose box holds two glyphs
// side by side, each at least a third as tall: a character has no
// characters inside, while a plate's frame or a bumper's edge joined to a
// stroke or two wraps around the characters next to them.
func dropWrappers(gs []glyph) []glyph {
	for i := range gs {
		g := &gs[i]
		var first *glyph
		for j := i + 1; j < len(gs) && gs[j].x0 < g.x1; j++ {
			o := &gs[j]
			if o.x1 > g.x1 || o.y0 < g.y0 || o.y1 > g.y1 || o.h()*3 < g.h() || o.h() >= g.h() {
				continue
			}
			if first == nil {
				first = o
			} else if o.x0 >= first.x1 {
				g.drop = true
				break
			}
		}
	}
	return slices.DeleteFunc(gs, func(g glyph) bool { return g.drop })
}

// dedupGlyphs drops the glyphs (sorted by x0) that nearly repeat an earlier
// one: the pieces of a component taken apart or cut (decompose, split) are
// made of the ink in its box, which may hold glyphs found on their own.
func dedupGlyphs(gs []glyph) []glyph {
	out := gs[:0]
	for i := range gs {
		g := gs[i]
		dup := false
		for k := len(out) - 1; k >= 0 && out[k].x0 >= g.x0-2; k-- {
			o := &out[k]
			if abs32(o.x0-g.x0) <= 2 && abs32(o.x1-g.x1) <= 2 && abs32(o.y0-g.y0) <= 2 && abs32(o.y1-g.y1) <= 2 {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, g)
		}
	}
	return out
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
