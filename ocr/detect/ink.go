package detect

import (
	"encoding/binary"
	"math/bits"
)

// inkRuns thresholds lv adaptively: a pixel is dark ink when it is more than
// delta below the mean of the (2r+1)² window around it (clipped to the
// level), bright ink (when bright is set) when more than delta above. The
// same sweep makes shadow ink: dark ink by a threshold that follows the
// window's brightness, a sixteenth of its mean but at least dlo (a plate in
// shadow has characters only a dozen grey levels darker than its field,
// which the fixed delta breaks into pieces), for shadowRuns. The ink goes
// to three bitsets, s.ink[0] dark, s.ink[1] bright and s.ink[2] shadow, one
// row of s.ww words per level row. Straight strokes too long for a
// character at most hhi pixels tall are taken out of the ink (vertical runs
// longer than hhi+2, horizontal ones longer than 1.5 hhi): they are plate
// frames, bumper and window edges, and characters that touch them would
// otherwise be lost in one component with them. Runs of the remaining dark
// ink go to s.runs/s.rowStart, of bright ink to s.runsB/s.rowStartB, each
// with its luma sum.
func (s *scratch) inkRuns(lv *level, r, delta, dlo, hhi int, bright bool) {
	w, h := lv.w, lv.h
	ww := (w + 63) / 64
	s.ww = ww
	s.colSum = grow(s.colSum, w)
	col := s.colSum
	clear(col)
	for y := 0; y <= min(r, h-1); y++ {
		for x, v := range lv.pix[y*w : (y+1)*w] {
			col[x] += int32(v)
		}
	}
	for i := range s.ink {
		s.ink[i] = grow(s.ink[i], ww*h)
	}
	s.mrow = grow(s.mrow, ww*64)
	mrow := s.mrow
	clear(mrow[w:])
	d, dl := int32(delta), int32(min(dlo, delta))
	// Without bright ink, the bright test never passes (a pixel is at
	// most 255 above the mean).
	db := d
	if !bright {
		db = 256
	}
	for y := 0; y < h; y++ {
		if y > 0 {
			if a := y + r; a < h {
				for x, v := range lv.pix[a*w : (a+1)*w] {
					col[x] += int32(v)
				}
			}
			if b := y - r - 1; b >= 0 {
				for x, v := range lv.pix[b*w : (b+1)*w] {
					col[x] -= int32(v)
				}
			}
		}
		ny := int32(min(h-1, y+r) - max(0, y-r) + 1)
		row := lv.pix[y*w : (y+1)*w]
		// Sliding window sum S over columns [x-r, x+r]: the borders,
		// where the window is clipped, and the interior apart.
		var S int32
		for x := 0; x <= r && x < w; x++ {
			S += col[x]
		}
		x := 0
		for ; x < w && x <= r; x++ {
			S = maskAt(row, mrow, col, x, r, ny, d, dl, db, S)
		}
		if hi := w - r - 1; x < hi {
			cnt := int32(2*r+1) * ny
			dc, dbc, dlc := d*cnt, db*cnt, dl*cnt
			rowI := row[x:hi]
			mI := mrow[x:hi]
			add := col[x+r+1 : hi+r+1]
			sub := col[x-r : hi-r]
			sub = sub[:len(rowI)]
			add = add[:len(rowI)]
			mI = mI[:len(rowI)]
			for i, v := range rowI {
				// Branch-free: the sign bits of the two differences.
				vc := int32(v) * cnt
				dark := uint32(vc+dc-S) >> 31
				light := uint32(S-vc+dbc) >> 31
				shadow := uint32(vc+max(dlc, min(dc, S>>darkShift))-S) >> 31
				mI[i] = uint8(dark | light<<1 | shadow<<2)
				S += add[i] - sub[i]
			}
			x = hi
		}
		for ; x < w; x++ {
			S = maskAt(row, mrow, col, x, r, ny, d, dl, db, S)
		}
		// Pack the bytes (bit 0 dark, 1 bright, 2 shadow) into the
		// bitsets.
		dk := s.ink[0][y*ww : (y+1)*ww]
		br := s.ink[1][y*ww : (y+1)*ww]
		sh := s.ink[2][y*ww : (y+1)*ww]
		for k := range dk {
			var dw, bw, sw uint64
			for j := 0; j < 8; j++ {
				v := binary.LittleEndian.Uint64(mrow[k*64+j*8:])
				dw |= ((v & 0x0101010101010101) * 0x0102040810204080 >> 56) << (8 * j)
				bw |= (((v >> 1) & 0x0101010101010101) * 0x0102040810204080 >> 56) << (8 * j)
				sw |= (((v >> 2) & 0x0101010101010101) * 0x0102040810204080 >> 56) << (8 * j)
			}
			dk[k], br[k], sh[k] = dw, bw, sw
		}
	}

	// Long vertical strokes: a run of at least k = hhi+3 rows is where k
	// rows in a row hold ink (an erosion); the pixels of such runs are
	// those within k-1 rows after such a start (a dilation).
	k := hhi + 3
	if bright {
		s.eraseVertical(0, h, k)
		s.eraseVertical(1, h, k)
	} else {
		s.eraseVertical(0, h, k)
		clear(s.ink[1])
	}

	// Runs, leaving out the long horizontal ones.
	maxH := hhi * 3 / 2
	s.rowStart = grow(s.rowStart, h+1)
	s.rowStartB = grow(s.rowStartB, h+1)
	s.runs = s.bitRuns(lv, s.ink[0], s.runs[:0], s.rowStart, maxH)
	s.runsB = s.bitRuns(lv, s.ink[1], s.runsB[:0], s.rowStartB, maxH)
}

// shadowRuns makes the shadow ink of the last inkRuns on lv (hhi as there)
// the dark ink, with its runs in s.runs/s.rowStart, and leaves no bright
// runs.
func (s *scratch) shadowRuns(lv *level, hhi int) {
	s.ink[0], s.ink[2] = s.ink[2], s.ink[0]
	s.eraseVertical(0, lv.h, hhi+3)
	s.runs = s.bitRuns(lv, s.ink[0], s.runs[:0], s.rowStart, hhi*3/2)
	s.runsB = s.runsB[:0]
}

// maskAt sets mrow[x] for a window clipped by the level's side (see
// inkRuns) and returns the window sum moved on to x+1.
func maskAt(row, mrow []uint8, col []int32, x, r int, ny, d, dl, db, S int32) int32 {
	w := len(row)
	cnt := int32(min(w, x+r+1)-max(0, x-r)) * ny
	vc := int32(row[x]) * cnt
	var m uint8
	if vc+d*cnt < S {
		m = 1
	} else if vc-db*cnt > S {
		m = 2
	}
	if vc+max(dl*cnt, min(d*cnt, S>>darkShift)) < S {
		m |= 4
	}
	mrow[x] = m
	if a := x + r + 1; a < w {
		S += col[a]
	}
	if b := x - r; b >= 0 {
		S -= col[b]
	}
	return S
}

// eraseVertical clears from ink bitset i the pixels of vertical runs at
// least k rows long.
func (s *scratch) eraseVertical(i, h, k int) {
	ww := s.ww
	ink := s.ink[i]
	s.ero = grow(s.ero, len(ink))
	e := s.ero
	copy(e, ink)
	// e[y] = AND of rows y .. y+p-1, p doubling up to the largest power
	// of two not above k; then e[y] &= e[y+k-p] gives k rows.
	p := 1
	for p*2 <= k {
		for y := 0; y < h; y++ {
			row := e[y*ww : (y+1)*ww]
			if y+p >= h {
				clear(row)
				continue
			}
			nx := e[(y+p)*ww : (y+p+1)*ww]
			for j := range row {
				row[j] &= nx[j]
			}
		}
		p *= 2
	}
	if p < k {
		off := k - p
		for y := 0; y < h; y++ {
			row := e[y*ww : (y+1)*ww]
			if y+off >= h {
				clear(row)
				continue
			}
			nx := e[(y+off)*ww : (y+off+1)*ww]
			for j := range row {
				row[j] &= nx[j]
			}
		}
	}
	// Dilate downwards by k-1 rows: d[y] = OR of e[y-k+1 .. y], again by
	// doubling (from the bottom up, so that rows read are not yet grown).
	p = 1
	for p*2 <= k {
		for y := h - 1; y >= p; y-- {
			row := e[y*ww : (y+1)*ww]
			pr := e[(y-p)*ww : (y-p+1)*ww]
			for j := range row {
				row[j] |= pr[j]
			}
		}
		p *= 2
	}
	if p < k {
		off := k - p
		for y := h - 1; y >= off; y-- {
			row := e[y*ww : (y+1)*ww]
			pr := e[(y-off)*ww : (y-off+1)*ww]
			for j := range row {
				row[j] |= pr[j]
			}
		}
	}
	for j := range ink {
		ink[j] &^= e[j]
	}
}

// bitRuns appends the runs of the ink bitset set, row by row (filling rs),
// to runs; runs longer than maxH are dropped from both.
func (s *scratch) bitRuns(lv *level, set []uint64, runs []run, rs []int32, maxH int) []run {
	w, h, ww := lv.w, lv.h, s.ww
	for y := 0; y < h; y++ {
		rs[y] = int32(len(runs))
		row := set[y*ww : (y+1)*ww]
		pix := lv.pix[y*w : (y+1)*w]
		x := 0
		for x < w {
			// Next set bit at or after x.
			j := x >> 6
			word := row[j] >> uint(x&63)
			for word == 0 {
				j++
				if j >= ww {
					break
				}
				word = row[j]
				x = j << 6
			}
			if j >= ww {
				break
			}
			x += bits.TrailingZeros64(word)
			if x >= w {
				break
			}
			// Its end: the next clear bit.
			x0 := x
			j = x >> 6
			word = ^row[j] >> uint(x&63)
			for word == 0 {
				j++
				if j >= ww {
					break
				}
				word = ^row[j]
				x = j << 6
			}
			if j >= ww {
				x = w
			} else {
				x = min(w, x+bits.TrailingZeros64(word))
			}
			if x-x0 > maxH {
				for i := x0; i < x; i++ {
					row[i>>6] &^= 1 << uint(i&63)
				}
				continue
			}
			var sum int32
			for _, v := range pix[x0:x] {
				sum += int32(v)
			}
			runs = append(runs, run{x0: int32(x0), x1: int32(x - 1), y: int32(y), sum: sum})
		}
	}
	rs[h] = int32(len(runs))
	return runs
}

// inkRow returns row y of the ink bitset of polarity pol (1 dark, 2
// bright); see set.
func (s *scratch) inkRow(pol uint8, y int) []uint64 {
	return s.ink[pol-1][y*s.ww : (y+1)*s.ww]
}

// set reports whether bit x of row is set.
func set(row []uint64, x int) bool { return row[x>>6]>>uint(x&63)&1 != 0 }
