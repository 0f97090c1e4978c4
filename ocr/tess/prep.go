package tess

import (
	"image"
	"slices"
	"sort"
)

// prep holds the buffers of one Reader's preprocessing, reused across Reads.
type prep struct {
	src    []uint8 // the crop, contrast-stretched, dark on light, cw x ch
	lab    []int32 // component labels of src's dark pixels
	mask   []uint8 // pixels kept (characters, dilated)
	ink    []uint8 // pixels of the characters kept (not dilated)
	bin    []uint8 // a binary image being labelled
	lab2   []int32 // component labels of the row's band (see band)
	boxes  []blob  // the characters kept
	comps2 []blob
	stack  []int32
	comps  []blob
	img    []uint8 // the image for Tesseract, w x h
	w, h   int
	pad    int      // white margin around the scaled area of img
	sh     int      // height of the scaled area
	cols   [][2]int // x ranges of src laid out side by side
	colX   [][2]int // where each of cols lies in img
	// What prepare found, for layout: the characters' area of src, their
	// height, src's width, and their width to height, per mille (see
	// charAspect).
	area           image.Rectangle
	hm, cw, aspect int
	// wide is the width of the last layout, percent of the crop's.
	wide  int
	cand  []int
	keep  []int
	nkeep int // components kept by the last clean
	// nrecovered counts those of them recovered from what they touched
	// (see clean).
	nrecovered int
	// found reports whether the last prepare found a row of characters.
	found bool
	// netMemo holds the network's probabilities of the glyphs classified
	// (see glyphs.probs) in memoCrop, by box: the glyphs of a crop do not
	// change with the scale it is read at. prepare clears it for another
	// crop, Reader.Read for each read.
	netMemo  map[image.Rectangle]*[netOut]float32
	memoCrop *image.Gray
}

// blob is a connected component of dark pixels.
type blob struct {
	x0, y0, x1, y1 int // inclusive bounds
	area           int
}

func (b blob) w() int  { return b.x1 - b.x0 + 1 }
func (b blob) h() int  { return b.y1 - b.y0 + 1 }
func (b blob) cy() int { return (b.y0 + b.y1) / 2 }

// minCrop is the smallest crop worth reading.
const minCrop = 6

// prepare turns crop into the image Tesseract reads:
//
//   - contrast-stretched between its 2nd and 98th percentiles and inverted if
//     its characters are light on dark;
//   - cut to the plate's light body (see body): what lies around it is
//     painted white;
//   - cleaned: the dark connected components are labelled (Otsu threshold)
//     and the main row of characters (the components of about the same
//     height and line, tallest row first) is kept with the characters of
//     that row that touch something else (see clean), everything else
//     (state name, slogans, frame, bolts, stickers) is painted white and
//     the image is cut to that row; when no row is found the whole crop is
//     used;
//   - scaled so that the characters are charH pixels tall and wide percent
//     as wide as in the crop (0: see autoWide), optionally binarised, with
//     a white margin (see layout).
//
// It reports false for a crop too small or too flat to hold characters.
func (p *prep) prepare(crop *image.Gray, charH, wide int, binarize bool) bool {
	b := crop.Rect
	cw, ch := b.Dx(), b.Dy()
	p.found = false
	if crop != p.memoCrop {
		clear(p.netMemo)
		p.memoCrop = crop
	}
	if cw < minCrop || ch < minCrop {
		return false
	}
	var hist [256]int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for _, v := range crop.Pix[crop.PixOffset(b.Min.X, y):crop.PixOffset(b.Max.X, y)] {
			hist[v]++
		}
	}
	total := cw * ch
	lo, hi := pct(&hist, total, 2), pct(&hist, total, 98)
	if hi-lo < 16 {
		return false
	}
	invert := lightOnDark(crop)
	var lut [256]uint8
	for v := range lut {
		s := (v - lo) * 255 / (hi - lo)
		s = min(max(s, 0), 255)
		if invert {
			s = 255 - s
		}
		lut[v] = uint8(s)
	}
	p.src = growU8(p.src, total)
	src := p.src
	for y := 0; y < ch; y++ {
		row := crop.Pix[crop.PixOffset(b.Min.X, b.Min.Y+y):crop.PixOffset(b.Max.X, b.Min.Y+y)]
		dst := src[y*cw : (y+1)*cw]
		for x, v := range row {
			dst[x] = lut[v]
		}
	}

	p.body(cw, ch)
	// The characters' area and height, and the columns to lay out: with a
	// row found, one column per character (or per group of touching ones),
	// laid out again with even gaps, which keeps Tesseract's LSTM from
	// merging doubled letters ("XX", "88") of tightly spaced plate fonts.
	p.cw, p.area, p.hm, p.aspect = cw, image.Rect(0, 0, cw, ch), ch*45/100, 0
	p.cols = append(p.cols[:0], [2]int{0, cw})
	if rr, h, ok := p.clean(cw, ch); ok {
		p.area, p.hm, p.found = rr, h, true
		p.aspect = p.charAspect(h)
	}
	p.hm = max(p.hm, 1)
	if wide <= 0 {
		wide = autoWide(p.aspect)
	}
	p.layout(charH, wide, binarize)
	return true
}

// lightOnDark guesses a crop's polarity from its middle (rows 25..75%,
// columns 10..90%), where the characters are and the background is the
// majority: light characters on a dark plate when the median there lies
// below the midpoint of the 5th and 95th percentiles.
func lightOnDark(crop *image.Gray) bool {
	b := crop.Rect
	cw, ch := b.Dx(), b.Dy()
	var mh [256]int
	mn := 0
	for y := b.Min.Y + ch/4; y < b.Max.Y-ch/4; y++ {
		for _, v := range crop.Pix[crop.PixOffset(b.Min.X+cw/10, y):crop.PixOffset(b.Max.X-cw/10, y)] {
			mh[v]++
			mn++
		}
	}
	if mn == 0 {
		return false
	}
	m5, m50, m95 := pct(&mh, mn, 5), pct(&mh, mn, 50), pct(&mh, mn, 95)
	return 2*m50 < m5+m95
}

// body finds the plate in p.src (cw x ch, dark on light): the largest
// light connected component (Otsu threshold), the plate's background
// around its characters, and paints everything outside its bounds white,
// so that the car around the plate, the frame and the shadows are not
// mistaken for or merged with characters. A crop cut to the plate (whose
// body covers more than nine tenths of it) is left as it is, and so is one
// where the largest light component covers less than three tenths (no
// plate body found).
func (p *prep) body(cw, ch int) {
	n := cw * ch
	t := otsu(p.src, cw, 0, cw, ch)
	p.bin = growU8(p.bin, n)
	for i, v := range p.src[:n] {
		if int(v) > t {
			p.bin[i] = 1
		} else {
			p.bin[i] = 0
		}
	}
	if cap(p.lab) < n {
		p.lab = make([]int32, n)
	}
	p.comps, p.stack = labelBin(p.bin, cw, ch, p.lab[:n], p.comps[:0], p.stack)
	best := -1
	for i, c := range p.comps {
		if best < 0 || c.area > p.comps[best].area {
			best = i
		}
	}
	if best < 0 {
		return
	}
	b := p.comps[best]
	if b.w()*b.h()*10 < n*3 || b.w()*b.h()*10 > n*9 {
		return
	}
	for y := 0; y < ch; y++ {
		row := p.src[y*cw : (y+1)*cw]
		if y < b.y0 || y > b.y1 {
			for x := range row {
				row[x] = 255
			}
			continue
		}
		for x := range row {
			if x < b.x0 || x > b.x1 {
				row[x] = 255
			}
		}
	}
}

// layout scales the area of the characters found by the last prepare into
// p.img so that they are charH pixels tall and wide percent as wide as
// they are in the crop, column by column with even gaps when a row was
// found, optionally binarised, with a white margin. It can be called again
// with other sizes without preparing the crop again.
func (p *prep) layout(charH, wide int, binarize bool) {
	p.wide = wide
	r, hm, src, cw, cols := p.area, p.hm, p.src, p.cw, p.cols
	gap := 0
	if p.found {
		gap = charH / 3
	}
	colW := func(c [2]int) int { return max(1, ((c[1]-c[0])*charH*wide+hm*50)/(hm*100)) }
	sh := max(1, (r.Dy()*charH+hm/2)/hm)
	pad := max(4, charH/2)
	sw := 0
	for i, c := range cols {
		if i > 0 {
			sw += gap
		}
		sw += colW(c)
	}
	p.w, p.h = sw+2*pad, sh+2*pad
	p.pad, p.sh = pad, sh
	n := p.w * p.h
	p.img = growU8(p.img, n)
	out := p.img
	for i := range out {
		out[i] = 255
	}
	x := pad
	p.colX = p.colX[:0]
	for _, c := range cols {
		dw := colW(c)
		resample(src, cw, image.Rect(c[0], r.Min.Y, c[1], r.Max.Y), out, p.w, image.Rect(x, pad, x+dw, pad+sh))
		p.colX = append(p.colX, [2]int{x, x + dw})
		x += dw + gap
	}
	if binarize {
		t := otsu(out, p.w, pad, sw, sh)
		for y := pad; y < pad+sh; y++ {
			row := out[y*p.w+pad : y*p.w+pad+sw]
			for x, v := range row {
				if int(v) > t {
					row[x] = 255
				} else {
					row[x] = 0
				}
			}
		}
	}
}

// bookAspect is the width to height (per mille) of a wide character (the
// widest quarter, see charAspect) of the book and screen fonts that
// Tesseract's English model was trained on, and maxWide the most a crop is
// widened to reach it (percent).
const (
	bookAspect = 650
	maxWide    = 160
)

// autoWide is how much wider (percent) characters of the given aspect
// (per mille, see charAspect; 0 for unknown) are laid out for Tesseract's
// English model: to bookAspect, never narrower than they are. Plate fonts
// differ: the US ones are condensed (a wide character about 0.45 as wide
// as tall), the European ones less (0.6), the Brazilian Mandatory font not
// (0.7). Read as they are, the condensed ones lose: the English model
// reads a US plate's M as H or N and its 4 as L (on crops-us, the English
// model alone read 56 % of the plates right as they are, 67 % widened 1.5
// times); widened alike, the wider fonts lose instead (endtoend-eu 58 %
// to 53 %, endtoend-br 71 % to 62 %).
func autoWide(aspect int) int {
	if aspect <= 0 || aspect >= bookAspect {
		return 100
	}
	return min(maxWide, (100*bookAspect+aspect/2)/aspect)
}

// charAspect returns the width to height, per mille, of the row's wide
// characters: the 75th percentile of the kept boxes at least 0.8 charH
// tall (narrow characters, 1 and I, are many on some plates; pieces and
// marks are short); 0 when there are none.
func (p *prep) charAspect(charH int) int {
	var as []int
	for _, b := range p.boxes {
		if b.h()*10 >= charH*8 {
			as = append(as, b.w()*1000/b.h())
		}
	}
	if len(as) == 0 {
		return 0
	}
	sort.Ints(as)
	return as[len(as)*3/4]
}

// mapX takes x, a column of an image laid out with columns from (see
// colX), to where the same point of the crop lies in an image laid out
// with columns to (the same crop laid out at another width). Points in a
// gap or margin keep their distance to the nearest column's edge.
func mapX(x int, from, to [][2]int) int {
	if len(from) == 0 || len(from) != len(to) {
		return x
	}
	for i, f := range from {
		t := to[i]
		if x < f[1] || i == len(from)-1 {
			if x < f[0] {
				return t[0] - (f[0] - x)
			}
			if x >= f[1] {
				return t[1] + (x - f[1])
			}
			return t[0] + (x-f[0])*(t[1]-t[0])/max(1, f[1]-f[0])
		}
	}
	return x
}

// resample scales the sr area of src (stride ss) into the dr area of dst
// (stride ds), bilinearly, in fixed point with 8 fractional bits.
func resample(src []uint8, ss int, sr image.Rectangle, dst []uint8, ds int, dr image.Rectangle) {
	rw, rh := sr.Dx(), sr.Dy()
	dw, dh := dr.Dx(), dr.Dy()
	if rw <= 0 || rh <= 0 || dw <= 0 || dh <= 0 {
		return
	}
	for y := 0; y < dh; y++ {
		fy := (2*y+1)*rh*256/(2*dh) - 128
		fy = min(max(fy, 0), (rh-1)*256)
		y0 := fy >> 8
		y1 := min(y0+1, rh-1)
		wy := fy & 255
		r0 := src[(sr.Min.Y+y0)*ss+sr.Min.X:]
		r1 := src[(sr.Min.Y+y1)*ss+sr.Min.X:]
		row := dst[(dr.Min.Y+y)*ds+dr.Min.X : (dr.Min.Y+y)*ds+dr.Max.X]
		for x := range row {
			fx := (2*x+1)*rw*256/(2*dw) - 128
			fx = min(max(fx, 0), (rw-1)*256)
			x0 := fx >> 8
			x1 := min(x0+1, rw-1)
			wx := fx & 255
			a := int(r0[x0])*(256-wx) + int(r0[x1])*wx
			c := int(r1[x0])*(256-wx) + int(r1[x1])*wx
			row[x] = uint8((a*(256-wy) + c*wy + 1<<15) >> 16)
		}
	}
}

func growU8(s []uint8, n int) []uint8 {
	if cap(s) < n {
		return make([]uint8, n)
	}
	return s[:n]
}

// row labels the pixels of p.src at or below t and finds the main row of
// characters: the group of character-like components of similar height on
// one line with the largest summed height (so a row of tall characters beats
// a longer row of small print), extended along a tilted row. It returns the
// row's component indices and its score (the summed height), 0 when there
// is no row of at least two.
func (p *prep) row(cw, ch, t int) ([]int, int) {
	comps := p.label(cw, ch, t)
	cand := p.cand[:0]
	for i, c := range comps {
		if charLike(c, cw, ch) {
			cand = append(cand, i)
		}
	}
	p.cand = cand
	best, bestSum, bestN := -1, 0, 0
	for _, i := range cand {
		ci := comps[i]
		sum, n := 0, 0
		for _, j := range cand {
			if sameRow(ci, comps[j]) {
				sum += comps[j].h()
				n++
			}
		}
		if sum > bestSum || sum == bestSum && best >= 0 && ci.h() > comps[best].h() {
			best, bestSum, bestN = i, sum, n
		}
	}
	if best < 0 || bestN < 2 {
		return nil, 0
	}
	ref := comps[best]
	keep := p.keep[:0]
	for _, j := range cand {
		if sameRow(ref, comps[j]) {
			keep = append(keep, j)
		}
	}
	// On a tilted plate the characters far from ref sit too high or too
	// low for it: chain them, each joining when it is of ref's height and
	// on the row of a kept character no more than a character height
	// away from it.
	for grown := true; grown; {
		grown = false
		for _, j := range cand {
			c := comps[j]
			if slices.Contains(keep, j) || !similarH(ref, c) {
				continue
			}
			for _, k := range keep {
				n := comps[k]
				if gapX(n, c) <= ref.h() && sameRow(n, c) {
					keep = append(keep, j)
					bestSum += c.h()
					grown = true
					break
				}
			}
		}
	}
	p.keep = keep
	return keep, bestSum
}

// clean finds the main row of characters in p.src (cw x ch, dark on light),
// paints everything else white, and returns the row's area (with some
// margin) and character height. ok is false when there is no such row.
//
// The row is found at the threshold where it scores best (see row); then
// the characters of that row that did not come out as components of their
// own there are recovered, so that a character touching the plate's frame,
// a graphic or a slogan is not lost:
//
//   - at the other thresholds tried, a character-shaped component on the
//     row where no character was kept yet (a character often separates
//     from what it touches at a darker or lighter threshold);
//   - else the part within the row's band of what it touches (see band).
func (p *prep) clean(cw, ch int) (r image.Rectangle, charH int, ok bool) {
	src := p.src
	// Characters often touch something as dark as they are at one threshold
	// (a frame, a graphic, a gradient band) and not at a darker one: try a
	// few thresholds from Otsu's down and keep the one whose row scores best.
	ot := otsu(src, cw, 0, cw, ch)
	ts := [...]int{ot, ot * 3 / 4, ot / 2, ot * 9 / 8}
	bestT, bestScore := -1, 0
	for _, t := range ts {
		if t <= 0 || t >= 255 {
			continue
		}
		if _, sc := p.row(cw, ch, t); sc > bestScore {
			bestT, bestScore = t, sc
		}
	}
	if bestT < 0 {
		return r, 0, false
	}
	keep, _ := p.row(cw, ch, bestT)
	comps := p.comps
	x0, y0, x1, y1 := cw, ch, 0, 0
	var hs, cys []int
	for _, j := range keep {
		c := comps[j]
		hs = append(hs, c.h())
		cys = append(cys, c.cy())
		x0, y0, x1, y1 = min(x0, c.x0), min(y0, c.y0), max(x1, c.x1), max(y1, c.y1)
	}
	charH = median(hs)
	// ref stands for the row's characters: the median height, centred on
	// the median centre.
	cy := median(cys)
	ref := blob{x0: 0, y0: cy - charH/2, x1: 0, y1: cy - charH/2 + charH - 1}
	// Pieces of broken characters: smaller components within the row's band
	// that reach its top or bottom (a sticker, a dash or a dot between the
	// character groups floats in the middle).
	for i, c := range comps {
		if c.y0 >= y0-charH/10 && c.y1 <= y1+charH/10 && c.x0 >= x0 && c.x1 <= x1 && c.h()*10 >= charH*3 && !slices.Contains(keep, i) &&
			(c.y0 <= ref.y0+charH/8 || c.y1 >= ref.y1-charH/8) {
			keep = append(keep, i)
		}
	}
	p.ink = growU8(p.ink, cw*ch)
	ink := p.ink
	clear(ink)
	p.boxes = p.boxes[:0]
	for _, k := range keep {
		p.addInk(cw, comps[k], int32(k+1))
	}
	nrow := len(keep)
	// Characters of the row that touch something at bestT but not at
	// another threshold.
	for _, t := range ts {
		if t == bestT || t <= 0 || t >= 255 {
			continue
		}
		for i, c := range p.label(cw, ch, t) {
			if charLike(c, cw, ch) && sameRow(ref, c) && !p.overlapsX(c) {
				p.addInk(cw, c, int32(i+1))
			}
		}
	}
	// Characters of the row that touch something at every threshold: the
	// part of it within the row's band.
	p.label(cw, ch, bestT)
	p.band(cw, ch, ref, x0, x1)
	// Keep the kept components' pixels, dilated to hold their antialiased
	// edges; paint the rest white.
	p.mask = growU8(p.mask, cw*ch)
	mask := p.mask
	copy(mask, ink)
	dr := max(1, charH/12)
	dilate(mask, cw, ch, dr)
	// The background around the characters (the dilated ring) is as light
	// as the plate, not white: stretch it to white so that the characters
	// do not carry a grey halo.
	var ring [256]int
	nring := 0
	for i, m := range mask {
		if m == 0 {
			src[i] = 255
		} else if ink[i] == 0 {
			ring[src[i]]++
			nring++
		}
	}
	if nring > 0 {
		if bg := pct(&ring, nring, 50); bg > 32 && bg < 255 {
			for i, m := range mask {
				if m != 0 {
					src[i] = uint8(min(255, int(src[i])*255/bg))
				}
			}
		}
	}
	p.nrecovered = len(p.boxes) - nrow
	// Logos and emblems kept as characters of the row (they stand as tall
	// as the characters, between or beside them): painted white too.
	if p.dropLogos(cw, ch, charH, dr) {
		x0, y0, x1, y1 = cw, ch, 0, 0
	}
	for _, c := range p.boxes {
		x0, y0, x1, y1 = min(x0, c.x0), min(y0, c.y0), max(x1, c.x1), max(y1, c.y1)
	}
	m := charH / 4
	r = image.Rect(max(0, x0-m), max(0, y0-m), min(cw, x1+1+m), min(ch, y1+1+m))
	p.nkeep = len(p.boxes)
	// Columns: the kept components' x ranges, widened by the dilation
	// radius and merged where they then overlap (pieces of one character
	// stay together).
	boxes := p.boxes
	sort.Slice(boxes, func(i, j int) bool { return boxes[i].x0 < boxes[j].x0 })
	p.cols = p.cols[:0]
	for _, c := range boxes {
		a, b := max(0, c.x0-dr), min(cw, c.x1+1+dr)
		if n := len(p.cols); n > 0 && a <= p.cols[n-1][1] {
			p.cols[n-1][1] = max(p.cols[n-1][1], b)
			continue
		}
		p.cols = append(p.cols, [2]int{a, b})
	}
	return r, charH, true
}

// addInk marks the pixels of component c (label id in p.lab) as kept and
// records its box.
func (p *prep) addInk(cw int, c blob, id int32) {
	for y := c.y0; y <= c.y1; y++ {
		for x := c.x0; x <= c.x1; x++ {
			if p.lab[y*cw+x] == id {
				p.ink[y*cw+x] = 1
			}
		}
	}
	p.boxes = append(p.boxes, c)
}

// overlapsX reports whether c overlaps a kept box horizontally by more than
// a third of the narrower one's width.
func (p *prep) overlapsX(c blob) bool {
	for _, b := range p.boxes {
		o := min(b.x1, c.x1) - max(b.x0, c.x0) + 1
		if o > 0 && 3*o > min(b.w(), c.w()) {
			return true
		}
	}
	return false
}

// band recovers the characters of the row (ref: its height and line) that
// touch something else (a frame, a graphic, a slogan) at the threshold
// p.lab was labelled at: the dark pixels of the components not kept are
// cut to the row's band (the rows of ref with a tenth of its height above
// and below) and labelled again; the character-shaped pieces that span
// the band, lie within two character heights of the row's ends (x0, x1)
// and where no character was kept yet are kept. A piece too wide for one
// character (characters joined by a smear along the row, which also runs
// under a kept one) is cut at the kept characters: each run of its columns
// within the row that no kept character covers is taken as a piece of its
// own. On crops-us that read one more plate (BL0GGER) and lost none.
func (p *prep) band(cw, ch int, ref blob, x0, x1 int) {
	h := ref.h()
	m := max(1, h/10)
	by0, by1 := max(0, ref.y0-m), min(ch-1, ref.y1+m)
	bh := by1 - by0 + 1
	n := cw * bh
	p.bin = growU8(p.bin, n)
	bin := p.bin
	for i := range bin {
		j := by0*cw + i
		if l := p.lab[j]; l > 0 && p.ink[j] == 0 {
			bin[i] = 1
		} else {
			bin[i] = 0
		}
	}
	if cap(p.lab2) < n {
		p.lab2 = make([]int32, n)
	}
	lab := p.lab2[:n]
	p.comps2, p.stack = labelBin(bin, cw, bh, lab, p.comps2[:0], p.stack)
	// take keeps the pixels of piece id (its box c, in band coordinates)
	// when they are shaped like a character of the row.
	take := func(id int32, c blob) {
		w, ch := c.w(), c.h()
		if ch*10 < h*8 || w*10 > h*13 || c.area*8 < w*ch || c.x1 < x0-2*h || c.x0 > x1+2*h {
			return
		}
		c.y0, c.y1 = c.y0+by0, c.y1+by0
		if p.overlapsX(c) {
			return
		}
		// A frame's side, a tree, a bolt's bar: what it was cut from
		// reaches well above and below the row, or it is a thin stroke
		// outside the row.
		j := 0
		for y := c.y0; y <= c.y1 && j == 0; y++ {
			for x := c.x0; x <= c.x1; x++ {
				if lab[(y-by0)*cw+x] == id {
					j = y*cw + x
					break
				}
			}
		}
		par := p.comps[p.lab[j]-1]
		if par.y0 < by0-h/4 && par.y1 > by1+h/4 || w*4 < h && (c.x1 < x0 || c.x0 > x1) {
			return
		}
		for y := c.y0; y <= c.y1; y++ {
			for x := c.x0; x <= c.x1; x++ {
				if lab[(y-by0)*cw+x] == id {
					p.ink[y*cw+x] = 1
				}
			}
		}
		p.boxes = append(p.boxes, c)
	}
	for i, c := range p.comps2 {
		id := int32(i + 1)
		if c.w()*10 <= h*13 {
			take(id, c)
			continue
		}
		if c.h()*10 < h*8 {
			continue
		}
		// Characters joined to each other or to a kept one by a smear
		// along the row (a dirty plate, a frame's shadow): the piece's
		// columns within the row that no kept character covers, each run
		// of them on its own.
		for a := max(c.x0, x0); a <= min(c.x1, x1); {
			if p.coveredX(a) {
				a++
				continue
			}
			b := a
			for b+1 <= min(c.x1, x1) && !p.coveredX(b+1) {
				b++
			}
			if seg, ok := pieceIn(lab, cw, id, c, a, b); ok {
				take(id, seg)
			}
			a = b + 1
		}
	}
}

// coveredX reports whether column x lies within a kept box or next to one.
func (p *prep) coveredX(x int) bool {
	for _, b := range p.boxes {
		if x >= b.x0-1 && x <= b.x1+1 {
			return true
		}
	}
	return false
}

// pieceIn returns the box and area of the pixels labelled id (in lab, w
// wide) within columns a..b of c's rows; ok is false when there are none.
func pieceIn(lab []int32, w int, id int32, c blob, a, b int) (blob, bool) {
	r := blob{x0: b, y0: c.y1, x1: a, y1: c.y0}
	for y := c.y0; y <= c.y1; y++ {
		for x := a; x <= b; x++ {
			if lab[y*w+x] == id {
				r.x0, r.y0, r.x1, r.y1 = min(r.x0, x), min(r.y0, y), max(r.x1, x), max(r.y1, y)
				r.area++
			}
		}
	}
	return r, r.area > 0
}

// charLike reports whether c has the size and shape of a character of a
// crop cw x ch (see row).
func charLike(c blob, cw, ch int) bool {
	w, h := c.w(), c.h()
	return !(h < 6 || h*5 < ch || h*10 > ch*9 || w > h*3/2 || w*3 > cw || c.area*8 < w*h)
}

// sameRow reports whether b is a character of a's row: similar height, and
// vertical centres close.
func sameRow(a, b blob) bool {
	d := a.cy() - b.cy()
	if d < 0 {
		d = -d
	}
	return similarH(a, b) && d*10 <= a.h()*3
}

// similarH reports whether b is about as tall as a (see sameRow).
func similarH(a, b blob) bool {
	ha, hb := a.h(), b.h()
	return hb*100 >= ha*78 && hb*100 <= ha*128
}

// gapX is the horizontal distance between a and b, 0 when they overlap.
func gapX(a, b blob) int {
	return max(0, a.x0-b.x1-1, b.x0-a.x1-1)
}

func median(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// label labels the 8-connected components of the pixels of p.src darker
// than or equal to t into p.lab (label = component index + 1).
func (p *prep) label(cw, ch, t int) []blob {
	n := cw * ch
	p.bin = growU8(p.bin, n)
	for i, v := range p.src[:n] {
		if int(v) <= t {
			p.bin[i] = 1
		} else {
			p.bin[i] = 0
		}
	}
	if cap(p.lab) < n {
		p.lab = make([]int32, n)
	}
	p.comps, p.stack = labelBin(p.bin, cw, ch, p.lab[:n], p.comps[:0], p.stack)
	return p.comps
}

// labelBin labels the 8-connected components of the set pixels of bin (w x
// h, 0/1) into lab (label = component index + 1, 0 for unset pixels),
// appending them to comps; stack is scratch space. It returns comps and
// stack, grown.
func labelBin(bin []uint8, w, h int, lab []int32, comps []blob, stack []int32) ([]blob, []int32) {
	clear(lab)
	for start := range lab {
		if lab[start] != 0 || bin[start] == 0 {
			continue
		}
		id := int32(len(comps) + 1)
		sx, sy := start%w, start/w
		c := blob{x0: sx, y0: sy, x1: sx, y1: sy}
		lab[start] = id
		stack = append(stack[:0], int32(start))
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			c.area++
			c.x0, c.x1 = min(c.x0, x), max(c.x1, x)
			c.y0, c.y1 = min(c.y0, y), max(c.y1, y)
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx < 0 || xx >= w {
						continue
					}
					j := yy*w + xx
					if lab[j] == 0 && bin[j] != 0 {
						lab[j] = id
						stack = append(stack, int32(j))
					}
				}
			}
		}
		comps = append(comps, c)
	}
	return comps, stack
}

// dilate grows the set pixels of m (w x h, 0/1) by r in every direction
// (a square structuring element), in place.
func dilate(m []uint8, w, h, r int) {
	// Rows: a pixel becomes set if any pixel within r along x is; encode
	// the pass in bit 1 to keep the original in bit 0 while scanning.
	for y := 0; y < h; y++ {
		row := m[y*w : (y+1)*w]
		last := -1 << 30
		for x := 0; x < w; x++ {
			if row[x]&1 != 0 {
				last = x
			}
			if x-last <= r {
				row[x] |= 2
			}
		}
		last = 1 << 30
		for x := w - 1; x >= 0; x-- {
			if row[x]&1 != 0 {
				last = x
			}
			if last-x <= r {
				row[x] |= 2
			}
		}
		for x := range row {
			row[x] >>= 1
		}
	}
	for x := 0; x < w; x++ {
		last := -1 << 30
		for y := 0; y < h; y++ {
			if m[y*w+x]&1 != 0 {
				last = y
			}
			if y-last <= r {
				m[y*w+x] |= 2
			}
		}
		last = 1 << 30
		for y := h - 1; y >= 0; y-- {
			if m[y*w+x]&1 != 0 {
				last = y
			}
			if last-y <= r {
				m[y*w+x] |= 2
			}
		}
		for y := 0; y < h; y++ {
			m[y*w+x] >>= 1
		}
	}
}

// pct returns the grey level below which pc percent of n samples lie.
func pct(h *[256]int, n, pc int) int {
	target := n * pc / 100
	acc := 0
	for v, c := range h {
		acc += c
		if acc > target {
			return v
		}
	}
	return 255
}

// otsu returns Otsu's threshold of the sw x sh area at (pad, pad) of img
// (stride w).
func otsu(img []uint8, w, pad, sw, sh int) int {
	var h [256]int
	for y := pad; y < pad+sh; y++ {
		for _, v := range img[y*w+pad : y*w+pad+sw] {
			h[v]++
		}
	}
	n := sw * sh
	var sum float64
	for v, c := range h {
		sum += float64(v * c)
	}
	var sumB, wB float64
	best, bestT := -1.0, 127
	for t := 0; t < 256; t++ {
		wB += float64(h[t])
		if wB == 0 {
			continue
		}
		wF := float64(n) - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * h[t])
		mB, mF := sumB/wB, (sum-sumB)/wF
		if v := wB * wF * (mB - mF) * (mB - mF); v > best {
			best, bestT = v, t
		}
	}
	return bestT
}

// line returns the prepared image without its top and bottom margins (the
// rows of the scaled area) and with half its side margins: the text line
// that the plate model reads as a whole (page segmentation mode 13), on
// which the characters fill about two thirds of the height, as they did in
// its training.
func (p *prep) line() *image.Gray {
	x0, _ := p.lineOffset()
	w := p.w - 2*x0
	return &image.Gray{Pix: p.img[p.pad*p.w+x0 : (p.pad+p.sh-1)*p.w+x0+w], Stride: p.w, Rect: image.Rect(0, 0, w, p.sh)}
}

// lineOffset is where line's origin lies in the prepared image.
func (p *prep) lineOffset() (x, y int) { return p.pad / 2, p.pad }

// image returns the prepared image (for tests and debugging; shares memory).
func (p *prep) image() *image.Gray {
	return &image.Gray{Pix: p.img[:p.w*p.h], Stride: p.w, Rect: image.Rect(0, 0, p.w, p.h)}
}
