package detect

import (
	"image"
	"math"
	"slices"
)

// Character pass parameters.
const (
	inkDelta = 6 // luma below (above) the local mean that makes ink
	// inkDeltaDark is the least luma below a dark local mean that makes
	// dark ink, and 1>>darkShift the fraction of the mean that does
	// between it and inkDelta (see inkRuns).
	inkDeltaDark = 3
	darkShift    = 4
	minCon       = 14 // least luma difference between a glyph and its box
)

// charPass finds rows of character-like components hlo..hhi level pixels
// tall in lv and adds a candidate for the plate around each; f is the
// level's factor to frame pixels. Light print on a dark field is looked
// for only when bright is set: it is rare, and on the finest level all
// but never a plate's. The rows are sought twice: in the level's ink and
// in its shadow ink (see inkRuns), whose lower threshold in dark parts
// finds a plate in shadow but joins the characters of some other plates
// to what they touch; the candidates of both compete.
func (d *Detector) charPass(s *scratch, lv *level, f int, bright bool, hlo, hhi int) {
	if lv.w < 2*hhi || lv.h < hhi {
		return
	}
	s.inkRuns(lv, max(4, hhi*2/5), inkDelta, inkDeltaDark, hhi, bright)
	d.runRows(s, lv, f, bright, hlo, hhi)
	s.shadowRuns(lv, hhi)
	d.runRows(s, lv, f, false, hlo, hhi)
}

// runRows finds the rows of charPass in the runs of s (s.runs dark, and
// s.runsB bright when bright is set).
func (d *Detector) runRows(s *scratch, lv *level, f int, bright bool, hlo, hhi int) {
	s.glyphD = s.glyphs(lv, s.labelRuns(s.runs, s.rowStart, lv.h), 1, hlo, hhi, s.glyphD[:0])
	s.glyphB = s.glyphB[:0]
	if bright {
		s.glyphB = s.glyphs(lv, s.labelRuns(s.runsB, s.rowStartB, lv.h), 2, hlo, hhi, s.glyphB)
	}
	byX := func(a, b glyph) int { return int(a.x0 - b.x0) }
	slices.SortFunc(s.glyphD, byX)
	slices.SortFunc(s.glyphB, byX)
	s.glyphD, s.glyphB = dedupGlyphs(s.glyphD), dedupGlyphs(s.glyphB)
	// Light glyphs inside dark ones are dropped: dark print on a light
	// field is the common case, and a light "glyph" there is a counter or
	// a gap between characters. (Dark ones inside light ones are often
	// characters on a piece of their plate's field, so they stay.)
	markCounters(s.glyphB, s.glyphD, hhi)
	s.glyphB = slices.DeleteFunc(s.glyphB, func(g glyph) bool { return g.drop })
	s.glyphD, s.glyphB = dropWrappers(s.glyphD), dropWrappers(s.glyphB)
	for pol := 0; pol < 2; pol++ {
		gs := s.glyphD
		if pol == 1 {
			gs = s.glyphB
		}
		s.linkRows(gs)
		for i := range gs {
			if gs[i].prev >= 0 || gs[i].next < 0 {
				continue
			}
			var r textRow
			r, s.idx, s.tmp = rowOf(gs, int32(i), s.idx, s.tmp)
			if r.n < 3 {
				continue
			}
			r.cont = continuation(gs, int32(i), &r)
			r.stack = stacked(gs, int32(i), &r)
			d.rowCand(s, lv, f, &r)
		}
	}
}

// linkCost is the cost of b being a's right neighbour in a text row, or a
// negative value when it cannot be.
func linkCost(a, b *glyph) float32 {
	ha, hb := a.h(), b.h()
	hm := max(ha, hb)
	if d := ha - hb; d*4 > hm+4 || -d*4 > hm+4 {
		return -1
	}
	gap := b.x0 - a.x1
	if gap*10 > hm*12 || gap*10 < -hm*2 {
		return -1
	}
	if b.x0+b.x1 <= a.x0+a.x1 {
		return -1
	}
	dy := (b.y0 + b.y1) - (a.y0 + a.y1) // twice the centre offset
	if dy < 0 {
		dy = -dy
	}
	if dy*10 > hm*6 {
		return -1
	}
	dh := ha - hb
	if dh < 0 {
		dh = -dh
	}
	g := gap
	if g < 0 {
		g = -2 * g
	}
	return (float32(g) + 2*float32(dh) + float32(dy)) / float32(hm)
}

// linkRows links each glyph to its best right neighbour when that one's best
// left neighbour is it, so the glyphs form chains: text rows. gs must be
// sorted by x0.
func (s *scratch) linkRows(gs []glyph) {
	n := len(gs)
	s.bestL = grow(s.bestL, n)
	s.costL = grow(s.costL, n)
	s.bestR = grow(s.bestR, n)
	for i := range gs {
		s.bestL[i] = -1
		s.costL[i] = 1e9
	}
	for i := range gs {
		a := &gs[i]
		best, bc := int32(-1), float32(1e9)
		lim := a.x1 + a.h()*12/10 + 1
		for j := i + 1; j < n && gs[j].x0 <= lim; j++ {
			c := linkCost(a, &gs[j])
			if c >= 0 && c < bc {
				best, bc = int32(j), c
			}
		}
		s.bestR[i] = best
		if best >= 0 && bc < s.costL[best] {
			s.bestL[best], s.costL[best] = int32(i), bc
		}
	}
	for i := range gs {
		if j := s.bestR[i]; j >= 0 && s.bestL[j] == int32(i) {
			gs[i].next = j
			gs[j].prev = int32(i)
		}
	}
	for i := range gs {
		if gs[i].prev < 0 {
			for k := int32(i); k >= 0; k = gs[k].next {
				gs[k].chain = int32(i)
			}
		}
	}
}

// textRow describes a chain of glyphs, level pixels.
type textRow struct {
	box     image.Rectangle // union of the glyphs
	n       int             // glyphs
	hc      float64         // median glyph height
	con     float64         // median contrast
	vis     float64         // median visible contrast (see glyph.visible)
	dark    bool            // dark ink on a light background
	slope   float64         // of the glyph centres, dy/dx
	align   float64         // RMS residual of the centres from their line, / hc
	fill    float64         // mean fill of the glyph boxes
	narrow  int             // glyphs narrower than a fifth of their height
	ink     float64         // mean ink luma
	bg      float64         // mean background luma
	inkSD   float64         // standard deviation of the glyphs' ink luma / con
	bgSD    float64         // standard deviation of the glyphs' background luma / con
	meanW   float64         // mean glyph width / hc
	widthCV float64         // coefficient of variation of the widths of the glyphs not narrow
	topRes  float64         // RMS residual of the glyph tops from their line / hc
	botRes  float64         // same for the bottoms

	cont  int     // glyphs continuing the row's line, see continuation
	stack float64 // glyphs above and below the row per glyph, see stacked
	gapSD float64 // set by rowCand, see gapSD
	ev    float64 // set by rowCand: share of the plate's edges found
}

// rowOf measures the chain of glyphs starting at glyph i. Glyphs at the
// ends of the chain that do not match the rest (other print, other height,
// set apart) are dropped first: a plate's row often picks up a bolt, a
// sticker or the edge of its frame. idx and tmp are scratch.
func rowOf(gs []glyph, i int32, idx []int32, tmp []float64) (textRow, []int32, []float64) {
	idx = idx[:0]
	for k := i; k >= 0; k = gs[k].next {
		idx = append(idx, k)
	}
	med := func(get func(g *glyph) float64) float64 {
		var m float64
		m, tmp = medianOf(gs, idx, tmp, get)
		return m
	}
	for len(idx) > 3 {
		mh := med(func(g *glyph) float64 { return float64(g.h()) })
		mi := med(func(g *glyph) float64 { return float64(g.ink) })
		mb := med(func(g *glyph) float64 { return float64(g.bg) })
		mc := med(func(g *glyph) float64 { return float64(g.contrast()) })
		mg := 0.0
		if len(idx) > 1 {
			tmp = tmp[:0]
			for j := 1; j < len(idx); j++ {
				tmp = append(tmp, float64(gs[idx[j]].x0-gs[idx[j-1]].x1))
			}
			slices.Sort(tmp)
			mg = tmp[len(tmp)/2]
		}
		odd := func(j, nb int) float64 {
			g := &gs[idx[j]]
			bad := math.Abs(float64(g.h())-mh)/(0.2*mh) +
				math.Abs(float64(g.ink)-mi)/(0.4*mc+6) +
				math.Abs(float64(g.bg)-mb)/(0.6*mc+6)
			gap := float64(gs[idx[max(j, nb)]].x0 - gs[idx[min(j, nb)]].x1)
			if gap > 2*mg+0.25*mh {
				bad += gap / (2*mg + 0.25*mh)
			}
			return bad
		}
		l, r := odd(0, 1), odd(len(idx)-1, len(idx)-2)
		if max(l, r) < 2.5 {
			break
		}
		if l >= r {
			idx = idx[1:]
		} else {
			idx = idx[:len(idx)-1]
		}
	}
	r := measureRow(gs, idx, tmp[:0])
	return r, idx, tmp
}

// measureRow fills a textRow from the glyphs gs[idx...], left to right.
func measureRow(gs []glyph, idx []int32, tmp []float64) textRow {
	var r textRow
	var sx, sy, sxx, sxy float64
	for j, k := range idx {
		g := &gs[k]
		rr := image.Rect(int(g.x0), int(g.y0), int(g.x1), int(g.y1))
		if j == 0 {
			r.box = rr
		} else {
			r.box = r.box.Union(rr)
		}
		r.n++
		cx, cy := float64(g.x0+g.x1)/2, float64(g.y0+g.y1)/2
		sx += cx
		sy += cy
		sxx += cx * cx
		sxy += cx * cy
		r.fill += float64(g.pix) / float64(g.w()*g.h())
		if g.w()*5 < g.h() {
			r.narrow++
		}
		r.ink += float64(g.ink)
		r.bg += float64(g.bg)
		r.dark = g.ink < g.bg
	}
	n := float64(r.n)
	r.fill /= n
	r.ink /= n
	r.bg /= n
	tmp = tmp[:0]
	for _, k := range idx {
		tmp = append(tmp, float64(gs[k].h()))
	}
	slices.Sort(tmp)
	r.hc = tmp[len(tmp)/2]
	if den := n*sxx - sx*sx; den > 1e-9 {
		r.slope = (n*sxy - sx*sy) / den
	}
	b0 := (sy - r.slope*sx) / n
	var res, ik2, bg2, ww, ww2, nw, tr, br float64
	for _, k := range idx {
		g := &gs[k]
		cx, cy := float64(g.x0+g.x1)/2, float64(g.y0+g.y1)/2
		line := b0 + r.slope*cx
		res += (cy - line) * (cy - line)
		ik2 += (float64(g.ink) - r.ink) * (float64(g.ink) - r.ink)
		bg2 += (float64(g.bg) - r.bg) * (float64(g.bg) - r.bg)
		gw := float64(g.w())
		r.meanW += gw
		if g.w()*5 >= g.h() {
			ww += gw
			ww2 += gw * gw
			nw++
		}
		dt := float64(g.y0) - (line - r.hc/2)
		db := float64(g.y1) - (line + r.hc/2)
		tr += dt * dt
		br += db * db
	}
	r.align = math.Sqrt(res/n) / r.hc
	r.meanW /= n * r.hc
	if nw > 1 {
		m := ww / nw
		r.widthCV = math.Sqrt(max(0, ww2/nw-m*m)) / m
	}
	r.topRes = math.Sqrt(tr/n) / r.hc
	r.botRes = math.Sqrt(br/n) / r.hc
	r.con, tmp = medianOf(gs, idx, tmp, func(g *glyph) float64 { return float64(g.contrast()) })
	r.vis, _ = medianOf(gs, idx, tmp, func(g *glyph) float64 { return float64(g.visible()) })
	r.inkSD = math.Sqrt(ik2/n) / max(r.con, 1)
	r.bgSD = math.Sqrt(bg2/n) / max(r.con, 1)
	return r
}

// medianOf returns the median of get over the glyphs idx of gs, and tmp
// (scratch) grown.
func medianOf(gs []glyph, idx []int32, tmp []float64, get func(g *glyph) float64) (float64, []float64) {
	tmp = tmp[:0]
	for _, k := range idx {
		tmp = append(tmp, get(&gs[k]))
	}
	slices.Sort(tmp)
	return tmp[len(tmp)/2], tmp
}

// continuation counts the glyphs like the row's (as tall, on its line) within
// 2.5 character heights beyond either end of the row: the row is then a
// piece of a longer line of text, a sign, a sticker or a burnt-in
// timestamp, not a plate, which stands alone. gs is sorted by x0.
func continuation(gs []glyph, chain int32, r *textRow) int {
	hc := r.hc
	reach := int32(2.5*hc + 0.5)
	R := r.box
	xc := float64(R.Min.X+R.Max.X) / 2
	yc := float64(R.Min.Y+R.Max.Y) / 2
	lo := int32(R.Min.X) - reach
	i, _ := slices.BinarySearchFunc(gs, lo, func(g glyph, x int32) int { return int(g.x0 - x) })
	n := 0
	for ; i < len(gs) && gs[i].x0 <= int32(R.Max.X)+reach; i++ {
		g := &gs[i]
		if g.chain == chain || (g.x1 > int32(R.Min.X) && g.x0 < int32(R.Max.X)) {
			continue // of the row
		}
		if math.Abs(float64(g.h())-hc) > 0.25*hc {
			continue
		}
		cx, cy := float64(g.x0+g.x1)/2, float64(g.y0+g.y1)/2
		if math.Abs(cy-(yc+r.slope*(cx-xc))) > 0.35*hc {
			continue
		}
		n++
	}
	return n
}

// stacked counts the glyphs at least 0.6 as tall as the row's characters
// above or below the row, within 1.2 character heights and the row's
// columns, per glyph of the row. A plate's characters have an empty margin
// or only small print above and below; texture (gravel, foliage, noise) and
// the lines of a sign have more of the same there.
func stacked(gs []glyph, chain int32, r *textRow) float64 {
	R := r.box
	hc := r.hc
	lo := int32(R.Min.X) - int32(hc)
	i, _ := slices.BinarySearchFunc(gs, lo, func(g glyph, x int32) int { return int(g.x0 - x) })
	top, bot := int32(float64(R.Min.Y)-1.2*hc), int32(float64(R.Max.Y)+1.2*hc)
	n := 0
	for ; i < len(gs) && gs[i].x0 < int32(R.Max.X); i++ {
		g := &gs[i]
		if g.chain == chain || float64(g.h()) < 0.6*hc {
			continue
		}
		cx := (g.x0 + g.x1) / 2
		if cx < int32(R.Min.X) || cx >= int32(R.Max.X) {
			continue
		}
		if (g.y1 <= int32(R.Min.Y)+1 && g.y1 > top) || (g.y0 >= int32(R.Max.Y)-1 && g.y0 < bot) {
			n++
		}
	}
	return float64(n) / float64(r.n)
}

// rowScore rates a text row as the characters of a plate, 0..1, from its
// glyphs and their neighbourhood: their number (5 to 8 best), how well
// they line up (centres, tops and bottoms) and how level the row is, their
// contrast, how alike their ink, background and widths are, their shapes
// (not solid bars, not all narrow, not square blobs), dark print first,
// and no more of the like above, below or on the row's line beyond it.
func rowScore(r *textRow) float64 {
	var nS float64
	switch {
	case r.n <= 2:
		nS = 0
	case r.n == 3:
		nS = 0.35
	case r.n == 4:
		nS = 0.7
	case r.n <= 8:
		nS = 1
	case r.n == 9:
		nS = 0.75
	case r.n == 10:
		nS = 0.45
	default:
		nS = 0.15
	}
	s := nS
	s *= 1 - 0.7*ramp(r.align, 0.04, 0.12)
	s *= 1 - 0.5*ramp(r.topRes+r.botRes, 0.06, 0.2)
	s *= 1 - ramp(math.Abs(r.slope), 0.12, 0.25)
	s *= 0.4 + 0.6*ramp(r.vis, 20, 70)
	s *= 1 - 0.8*ramp(r.fill, 0.7, 0.85)
	s *= 1 - 0.5*ramp(r.inkSD, 0.1, 0.35)
	s *= 1 - 0.5*ramp(r.bgSD, 0.12, 0.45)
	s *= 1 - 0.4*ramp(r.widthCV, 0.25, 0.55)
	if r.narrow*2 > r.n {
		s *= 0.5
	}
	if !r.dark {
		s *= 0.85
	}
	s *= 1 - 0.7*ramp(r.stack, 0.15, 0.8)
	s *= 1 - 0.5*ramp(r.meanW, 0.72, 0.95)
	switch {
	case r.cont >= 2:
		s *= 0.35
	case r.cont == 1:
		s *= 0.7
	}
	return s
}

// rowCand estimates the plate around row r and adds it as a candidate.
func (d *Detector) rowCand(s *scratch, lv *level, f int, r *textRow) {
	q := rowScore(r)
	if q < d.opts.MinScore*0.5 {
		return
	}
	pb, ev := plateFromRow(s, lv, r)
	if pb.Empty() {
		return
	}
	r.ev = ev
	r.gapSD = gapSD(lv, r)
	asp := d.aspectScore(pb.Dx(), pb.Dy())
	score := q * (0.5 + 0.5*ramp(ev, 0.4, 0.9)) * (1 - 0.6*ramp(r.gapSD, 0.28, 0.6)) * (0.5 + 0.5*asp)
	// Burnt-in overlays (time, camera name) sit in the frame's corners.
	R := r.box
	edge := max(1.5*r.hc, 0.06*float64(lv.h))
	if (float64(R.Min.Y) < edge || float64(lv.h-R.Max.Y) < edge) && (R.Min.X*10 < lv.w*3 || R.Max.X*10 > lv.w*7) {
		score *= 0.5
	}
	if score < d.opts.MinScore*0.5 {
		return
	}
	s.cands = append(s.cands, cand{box: scaleRect(pb, f), text: scaleRect(r.box, f), score: score, row: *r, f: f})
}

// gapSD measures how even the field around the glyphs of a row is: the
// standard deviation of the luma of the row box's pixels on the background
// side of the midpoint between ink and background, relative to the row's
// contrast. On a plate the characters stand on an even field; in foliage,
// gravel or a grille the gaps are as busy as the "glyphs".
func gapSD(lv *level, r *textRow) float64 {
	R := r.box
	var s, s2, n float64
	mid := (r.ink + r.bg) / 2
	for y := R.Min.Y; y < R.Max.Y; y++ {
		for _, v := range lv.pix[y*lv.w+R.Min.X : y*lv.w+R.Max.X] {
			fv := float64(v)
			if (r.dark && fv < mid) || (!r.dark && fv > mid) {
				continue
			}
			s += fv
			s2 += fv * fv
			n++
		}
	}
	if n < 2 {
		return 1
	}
	m := s / n
	return math.Sqrt(max(0, s2/n-m*m)) / max(r.con, 1)
}
