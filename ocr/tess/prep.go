package tess

import (
	"image"
	"sort"
)

// prep holds the buffers of one Reader's preprocessing, reused across Reads.
type prep struct {
	src   []uint8 // the crop, contrast-stretched, dark on light, cw x ch
	lab   []int32 // component labels of src's dark pixels
	mask  []uint8 // pixels kept (characters, dilated)
	stack []int32
	comps []blob
	img   []uint8 // the image for Tesseract, w x h
	w, h  int
	pad   int      // white margin around the scaled area of img
	sh    int      // height of the scaled area
	cols  [][2]int // x ranges of src laid out side by side
	cand  []int
	keep  []int
	nkeep int // components kept by the last clean
	// found reports whether the last prepare found a row of characters.
	found bool
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
//   - cleaned: the dark connected components are labelled (Otsu threshold)
//     and the main row of characters (the components of about the same
//     height and line, tallest row first) is kept, everything else (state
//     name, slogans, frame, bolts, stickers) is painted white and the image
//     is cut to that row; when no row is found the whole crop is used;
//   - scaled so that the characters are charH pixels tall, optionally
//     binarised, with a white margin.
//
// It reports false for a crop too small or too flat to hold characters.
func (p *prep) prepare(crop *image.Gray, charH int, binarize bool) bool {
	b := crop.Rect
	cw, ch := b.Dx(), b.Dy()
	p.found = false
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
	// Polarity from the middle of the crop (rows 25..75%, columns 10..90%),
	// where the characters are: the background is the majority there.
	var mh [256]int
	mn := 0
	for y := b.Min.Y + ch/4; y < b.Max.Y-ch/4; y++ {
		for _, v := range crop.Pix[crop.PixOffset(b.Min.X+cw/10, y):crop.PixOffset(b.Max.X-cw/10, y)] {
			mh[v]++
			mn++
		}
	}
	invert := false
	if mn > 0 {
		m5, m50, m95 := pct(&mh, mn, 5), pct(&mh, mn, 50), pct(&mh, mn, 95)
		invert = 2*m50 < m5+m95
	}
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

	// The characters' area and height, and the columns to lay out: with a
	// row found, one column per character (or per group of touching ones),
	// laid out again with even gaps, which keeps Tesseract's LSTM from
	// merging doubled letters ("XX", "88") of tightly spaced plate fonts.
	r, hm := image.Rect(0, 0, cw, ch), ch*45/100
	p.cols = append(p.cols[:0], [2]int{0, cw})
	gap := 0
	if rr, h, ok := p.clean(cw, ch); ok {
		r, hm, p.found = rr, h, true
		gap = charH / 3
	}
	hm = max(hm, 1)

	// Scale so that characters are charH tall, with a margin.
	sh := max(1, (r.Dy()*charH+hm/2)/hm)
	pad := max(4, charH/2)
	sw := 0
	for i, c := range p.cols {
		if i > 0 {
			sw += gap
		}
		sw += max(1, ((c[1]-c[0])*charH+hm/2)/hm)
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
	for _, c := range p.cols {
		dw := max(1, ((c[1]-c[0])*charH+hm/2)/hm)
		resample(src, cw, image.Rect(c[0], r.Min.Y, c[1], r.Max.Y), out, p.w, image.Rect(x, pad, x+dw, pad+sh))
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
	return true
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
// a longer row of small print). It returns the row's component indices and
// its score (the summed height), 0 when there is no row of at least two.
func (p *prep) row(cw, ch int, t uint8) ([]int, int) {
	comps := p.label(cw, ch, t)
	cand := p.cand[:0]
	for i, c := range comps {
		w, h := c.w(), c.h()
		if h < 6 || h*5 < ch || h*10 > ch*9 || w > h*3/2 || w*3 > cw || c.area*8 < w*h {
			continue
		}
		cand = append(cand, i)
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
	p.keep = keep
	return keep, bestSum
}

// clean finds the main row of characters in p.src (cw x ch, dark on light),
// paints everything else white, and returns the row's area (with some
// margin) and character height. ok is false when there is no such row.
func (p *prep) clean(cw, ch int) (r image.Rectangle, charH int, ok bool) {
	src := p.src
	// Characters often touch something as dark as they are at one threshold
	// (a frame, a graphic, a gradient band) and not at a darker one: try a
	// few thresholds from Otsu's down and keep the one whose row scores best.
	ot := otsu(src, cw, 0, cw, ch)
	bestT, bestScore := -1, 0
	for _, t := range [...]int{ot, ot * 3 / 4, ot / 2, ot * 9 / 8} {
		if t <= 0 || t >= 255 {
			continue
		}
		if _, sc := p.row(cw, ch, uint8(t)); sc > bestScore {
			bestT, bestScore = t, sc
		}
	}
	if bestT < 0 {
		return r, 0, false
	}
	keep, _ := p.row(cw, ch, uint8(bestT))
	comps := p.comps
	x0, y0, x1, y1 := cw, ch, 0, 0
	var hs []int
	for _, j := range keep {
		c := comps[j]
		hs = append(hs, c.h())
		x0, y0, x1, y1 = min(x0, c.x0), min(y0, c.y0), max(x1, c.x1), max(y1, c.y1)
	}
	charH = median(hs)
	// Pieces of broken characters: smaller components within the row's band.
	for i, c := range comps {
		if c.y0 >= y0-charH/10 && c.y1 <= y1+charH/10 && c.x0 >= x0 && c.x1 <= x1 && c.h()*10 >= charH*3 && !contains(keep, i) {
			keep = append(keep, i)
		}
	}
	// Keep the kept components' pixels, dilated to hold their antialiased
	// edges; paint the rest white.
	p.mask = growU8(p.mask, cw*ch)
	mask := p.mask
	clear(mask)
	isKept := make([]bool, len(comps)+1)
	for _, k := range keep {
		isKept[k+1] = true
	}
	for i, l := range p.lab[:cw*ch] {
		if l > 0 && isKept[l] {
			mask[i] = 1
		}
	}
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
		} else if l := p.lab[i]; l == 0 || !isKept[l] {
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
	m := charH / 4
	r = image.Rect(max(0, x0-m), max(0, y0-m), min(cw, x1+1+m), min(ch, y1+1+m))
	p.nkeep = len(keep)
	// Columns: the kept components' x ranges, widened by the dilation
	// radius and merged where they then overlap (pieces of one character
	// stay together).
	sort.Slice(keep, func(i, j int) bool { return comps[keep[i]].x0 < comps[keep[j]].x0 })
	p.cols = p.cols[:0]
	for _, k := range keep {
		c := comps[k]
		a, b := max(0, c.x0-dr), min(cw, c.x1+1+dr)
		if n := len(p.cols); n > 0 && a <= p.cols[n-1][1] {
			p.cols[n-1][1] = max(p.cols[n-1][1], b)
			continue
		}
		p.cols = append(p.cols, [2]int{a, b})
	}
	return r, charH, true
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sameRow reports whether b is a character of a's row: similar height, and
// vertical centres close.
func sameRow(a, b blob) bool {
	ha, hb := a.h(), b.h()
	d := a.cy() - b.cy()
	if d < 0 {
		d = -d
	}
	return hb*100 >= ha*78 && hb*100 <= ha*128 && d*10 <= ha*3
}

func median(v []int) int {
	s := append([]int(nil), v...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

// label labels the 8-connected components of the pixels of p.src darker
// than or equal to t into p.lab (label = component index + 1).
func (p *prep) label(cw, ch int, t uint8) []blob {
	n := cw * ch
	if cap(p.lab) < n {
		p.lab = make([]int32, n)
	}
	lab := p.lab[:n]
	clear(lab)
	comps := p.comps[:0]
	stack := p.stack[:0]
	src := p.src
	for start := range lab {
		if lab[start] != 0 || src[start] > t {
			continue
		}
		id := int32(len(comps) + 1)
		sx, sy := start%cw, start/cw
		c := blob{x0: sx, y0: sy, x1: sx, y1: sy}
		lab[start] = id
		stack = append(stack[:0], int32(start))
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := i%cw, i/cw
			c.area++
			c.x0, c.x1 = min(c.x0, x), max(c.x1, x)
			c.y0, c.y1 = min(c.y0, y), max(c.y1, y)
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= ch {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx < 0 || xx >= cw {
						continue
					}
					j := yy*cw + xx
					if lab[j] == 0 && src[j] <= t {
						lab[j] = id
						stack = append(stack, int32(j))
					}
				}
			}
		}
		comps = append(comps, c)
	}
	p.comps, p.stack = comps, stack
	return comps
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
