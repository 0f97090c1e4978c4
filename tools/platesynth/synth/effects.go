package synth

import (
	"image"
	"math"
	"math/rand/v2"
)

// addGlare brightens an elliptical spot (Gaussian falloff) centred at
// cx, cy with radii rx, ry by up to amp levels.
func addGlare(img *image.RGBA, cx, cy, rx, ry, amp float64) {
	rr := image.Rect(int(cx-2.5*rx), int(cy-2.5*ry), int(cx+2.5*rx)+1, int(cy+2.5*ry)+1).Intersect(img.Bounds())
	for y := rr.Min.Y; y < rr.Max.Y; y++ {
		dy := (float64(y) + 0.5 - cy) / ry
		for x := rr.Min.X; x < rr.Max.X; x++ {
			dx := (float64(x) + 0.5 - cx) / rx
			a := amp * math.Exp(-(dx*dx+dy*dy)*1.5)
			if a < 0.5 {
				continue
			}
			i := img.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				img.Pix[i+c] = clampU8(float64(img.Pix[i+c]) + a)
			}
		}
	}
}

// boxBlur blurs the RGB channels of the opaque image with a box of
// (2rx+1) x (2ry+1) pixels, using running sums so the cost does not depend
// on the radius. Edges are extended.
func boxBlur(img *image.RGBA, rx, ry int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if rx > 0 {
		row := make([]int32, w*3)
		for y := 0; y < h; y++ {
			p := img.Pix[y*img.Stride : y*img.Stride+w*4]
			for c := 0; c < 3; c++ {
				var sum int32
				for k := -rx; k <= rx; k++ {
					sum += int32(p[min(max(k, 0), w-1)*4+c])
				}
				for x := 0; x < w; x++ {
					row[x*3+c] = sum
					sum += int32(p[min(x+rx+1, w-1)*4+c]) - int32(p[max(x-rx, 0)*4+c])
				}
			}
			n := int32(2*rx + 1)
			for x := 0; x < w; x++ {
				for c := 0; c < 3; c++ {
					p[x*4+c] = uint8((row[x*3+c] + n/2) / n)
				}
			}
		}
	}
	if ry > 0 {
		src := make([]uint8, len(img.Pix))
		copy(src, img.Pix)
		sum := make([]int32, w*4)
		at := func(y int) []uint8 { y = min(max(y, 0), h-1); return src[y*img.Stride : y*img.Stride+w*4] }
		for k := -ry; k <= ry; k++ {
			for i, v := range at(k) {
				sum[i] += int32(v)
			}
		}
		n := int32(2*ry + 1)
		for y := 0; y < h; y++ {
			dst := img.Pix[y*img.Stride : y*img.Stride+w*4]
			add, sub := at(y+ry+1), at(y-ry)
			for i := range dst {
				if i&3 != 3 {
					dst[i] = uint8((sum[i] + n/2) / n)
				}
				sum[i] += int32(add[i]) - int32(sub[i])
			}
		}
	}
}

// addNoise adds zero-mean Gaussian noise of the given standard deviation
// (in 8-bit levels), independently per channel or, if mono, the same value
// on all three channels. It draws from a per-call table of Gaussian values
// indexed by random bits, which is much cheaper than a normal draw per
// channel and still deterministic.
func addNoise(img *image.RGBA, r *rand.Rand, sigma float64, mono bool) {
	if sigma <= 0 {
		return
	}
	const bits = 12
	var table [1 << bits]int16
	for i := range table {
		table[i] = int16(math.Round(r.NormFloat64() * sigma))
	}
	var pool uint64
	left := 0
	next := func() int16 {
		if left == 0 {
			pool, left = r.Uint64(), 64/bits
		}
		v := table[pool&(1<<bits-1)]
		pool >>= bits
		left--
		return v
	}
	add := func(p *uint8, d int16) {
		v := int16(*p) + d
		*p = uint8(min(max(v, 0), 255))
	}
	p := img.Pix
	for i := 0; i+3 < len(p); i += 4 {
		if mono {
			d := next()
			add(&p[i], d)
			add(&p[i+1], d)
			add(&p[i+2], d)
		} else {
			add(&p[i], next())
			add(&p[i+1], next())
			add(&p[i+2], next())
		}
	}
}
