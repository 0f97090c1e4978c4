package detect

import (
	"cmp"
	"image"
	"math"
	"slices"
	"sync"

	"alprd/ocr"
)

// Options tunes a Detector. The zero value of any field means its default.
type Options struct {
	// MaxRegions is the largest number of regions Detect returns. Default 8.
	MaxRegions int
	// MinWidth is the narrowest plate to look for, in frame pixels.
	// Default 60.
	MinWidth int
	// MaxWidth is the widest plate to look for, in frame pixels. Default half
	// the frame width.
	MaxWidth int
	// MinAspect and MaxAspect bound the plate's width/height. Defaults 1.5
	// and 6 (US plates are 2:1, EU plates about 4.7:1).
	MinAspect, MaxAspect float64
	// WorkWidth: frames wider than this are box-averaged down by an integer
	// factor before any work, as far as MinWidth allows (the characters of
	// a MinWidth plate stay at least 7 pixels tall; with the default
	// MinWidth, frames are worked on at full resolution). The bright pass
	// works at about this width. Default 640.
	WorkWidth int
	// MinScore drops candidates scoring below it. Default 0.15.
	MinScore float64
	// Margin grows each returned box by this fraction of its width and height
	// on every side, so that a crop of it holds the whole plate. Default 0.06.
	// Negative means none.
	Margin float64
	// NoBright disables the bright-region pass.
	NoBright bool
}

func (o Options) withDefaults() Options {
	if o.MaxRegions <= 0 {
		o.MaxRegions = 8
	}
	if o.MinWidth <= 0 {
		o.MinWidth = 60
	}
	if o.MinAspect <= 0 {
		o.MinAspect = 1.5
	}
	if o.MaxAspect <= 0 {
		o.MaxAspect = 6
	}
	if o.MaxAspect < o.MinAspect {
		o.MaxAspect = o.MinAspect
	}
	if o.WorkWidth <= 0 {
		o.WorkWidth = 640
	}
	if o.MinScore <= 0 {
		o.MinScore = 0.15
	}
	if o.Margin == 0 {
		o.Margin = 0.06
	}
	if o.Margin < 0 {
		o.Margin = 0
	}
	return o
}

// Detector finds plate regions; see the package doc. Safe for concurrent use.
type Detector struct {
	opts Options
	pool sync.Pool // of *scratch
}

var _ ocr.Detector = (*Detector)(nil)

// New returns a Detector with opts (zero fields take their defaults).
func New(opts Options) *Detector {
	d := &Detector{opts: opts.withDefaults()}
	d.pool.New = func() any { return new(scratch) }
	return d
}

// Options returns the options in force, defaults filled in.
func (d *Detector) Options() Options { return d.opts }

const (
	// Character heights, in pixels of a pyramid level, that the character
	// pass looks for on one level; consecutive levels (factor 2) overlap.
	charLo = 7
	charHi = 26
	// The narrowest plate, in pixels of its level, the bright pass looks for.
	brightMinPlate = 28
)

// Detect returns plate regions in img, best first; nil when none.
func (d *Detector) Detect(img *image.Gray) []ocr.Region {
	if img == nil {
		return nil
	}
	b := img.Rect
	W, H := b.Dx(), b.Dy()
	if W < 16 || H < 8 {
		return nil
	}
	o := d.opts
	maxW := o.MaxWidth
	if maxW <= 0 {
		maxW = W / 2
	}
	if maxW < o.MinWidth {
		maxW = o.MinWidth
	}

	s := d.pool.Get().(*scratch)
	defer d.pool.Put(s)
	s.cands = s.cands[:0]

	// One pyramid from factor fb by halving: level i is fb<<i times
	// smaller than the frame. The character pass runs on every level for
	// characters charLo..charHi level pixels tall: the characters of a
	// MinWidth plate (about MinWidth/7 tall on an EU plate) on the first,
	// those of a MaxWidth plate (MaxWidth/3.5 on a US one) on the last.
	fb := max(1, min((W+o.WorkWidth-1)/o.WorkWidth, o.MinWidth/(7*charLo)))
	maxChar := maxW * 10 / 35
	nl := 1
	for f := fb; f*charHi < maxChar; f *= 2 {
		if W/(f*2) < 4*charHi || H/(f*2) < 2*charHi {
			break
		}
		nl++
	}
	s.ensureLevels(nl)
	s.levels[0].downscale(img, fb)
	for i := 1; i < nl; i++ {
		s.levels[i].halve(&s.levels[i-1])
	}
	for i := 0; i < nl; i++ {
		f := fb << i
		lo := charLo
		if i == 0 {
			lo = max(6, min(charLo, o.MinWidth/(8*f)))
		}
		d.charPass(s, &s.levels[i], f, i > 0, lo, charHi)
	}
	if !o.NoBright {
		// The level about WorkWidth wide where a MinWidth plate is still
		// brightMinPlate pixels wide.
		fw := max(1, min((W+o.WorkWidth-1)/o.WorkWidth, o.MinWidth/brightMinPlate))
		i := 0
		for i < nl-1 && fb<<i < fw {
			i++
		}
		f := fb << i
		d.brightPass(s, &s.levels[i], f, max(1, o.MinWidth/f), max(1, maxW/f))
	}
	return d.finish(s, b)
}

// cand is a candidate in frame pixels relative to the frame's origin.
type cand struct {
	box    image.Rectangle // estimated plate
	text   image.Rectangle // its row of characters, empty for a bright one
	score  float64
	bright bool    // from the bright pass
	row    textRow // the row, in level pixels
	f      int     // the row's level factor
}

// finish weighs the candidates against each other and returns the best
// as regions of frame.
func (d *Detector) finish(s *scratch, frame image.Rectangle) []ocr.Region {
	cs := s.cands
	// Fuse: a row of characters inside a bright rectangle of the plate's
	// size for that row (an IR frame's retro-reflective plate) takes the
	// rectangle as its plate, and the two pieces of evidence add up (a
	// noisy OR, the rectangle's weighed down as bright things abound by
	// day); the rectangle is absorbed.
	s.flags = grow(s.flags, len(cs))
	absorbed := s.flags
	clear(absorbed)
	for i := range cs {
		if cs[i].bright {
			continue
		}
		hc := cs[i].row.hc * float64(cs[i].f)
		tw := float64(cs[i].text.Dx())
		for j := range cs {
			bj := &cs[j]
			if !bj.bright || !inside(cs[i].text, bj.box, 0.9) {
				continue
			}
			bw, bh := float64(bj.box.Dx()), float64(bj.box.Dy())
			if bh < 1.35*hc || bh > 3*hc || bw > tw+3*hc {
				continue
			}
			cs[i].box = bj.box
			cs[i].score = 1 - (1-cs[i].score)*(1-0.8*bj.score)
			absorbed[j] = true
		}
	}
	for j := range cs {
		switch {
		case absorbed[j]:
			cs[j].score = 0
		case cs[j].bright:
			// Without its row of characters, a bright rectangle is
			// weak evidence.
			cs[j].score *= 0.4
		}
	}
	// Rows of text on one line, from one pyramid level or two, are pieces
	// of a longer line: a sign, a sticker, a burnt-in timestamp. A plate's
	// row stands alone.
	mates := s.flags
	for i := range cs {
		mates[i] = lineMate(cs, i)
	}
	for i := range cs {
		if mates[i] {
			cs[i].score *= 0.5
		}
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	// Non-maximum suppression. A plate holds smaller lines of text (state
	// name, slogan, dealer frame), and a part of its row may score better
	// than the whole: of two nested candidates, the outer one wins if its
	// characters are clearly taller, on a line of their own, or its row
	// holds the inner one's and more, and it scores at least half as well.
	keep := s.keep[:0]
	for _, c := range cs {
		if c.score < d.opts.MinScore {
			break
		}
		ok := true
		for i, k := range keep {
			if iou(c.box, k.box) > 0.3 || inside(c.box, k.box, 0.7) || inside(k.box, c.box, 0.7) {
				if inside(k.box, c.box, 0.7) && (tallerRow(c, k) || longerRow(c, k)) && c.score >= 0.5*k.score {
					keep[i] = c
				}
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, c)
			if len(keep) == d.opts.MaxRegions {
				break
			}
		}
	}
	slices.SortStableFunc(keep, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	s.keep = keep
	if len(keep) == 0 {
		return nil
	}
	out := make([]ocr.Region, len(keep))
	m := d.opts.Margin
	for i, k := range keep {
		r := k.box
		mx, my := int(float64(r.Dx())*m+0.5), int(float64(r.Dy())*m+0.5)
		r = image.Rect(r.Min.X-mx, r.Min.Y-my, r.Max.X+mx, r.Max.Y+my).Add(frame.Min).Intersect(frame)
		out[i] = ocr.Region{
			Box:   r,
			Quad:  [4]image.Point{r.Min, {r.Max.X, r.Min.Y}, r.Max, {r.Min.X, r.Max.Y}},
			Score: k.score,
		}
	}
	return out
}

// lineMate reports whether another row of cs continues the line of row i:
// characters as tall within 30%, on the same line, at most 2.5 character
// heights away beyond either end.
func lineMate(cs []cand, i int) bool {
	a := &cs[i]
	if a.text.Empty() {
		return false
	}
	ha := a.row.hc * float64(a.f)
	ya := float64(a.text.Min.Y+a.text.Max.Y) / 2
	for j := range cs {
		b := &cs[j]
		if j == i || b.text.Empty() {
			continue
		}
		hb := b.row.hc * float64(b.f)
		if math.Abs(ha-hb) > 0.3*max(ha, hb) {
			continue
		}
		if math.Abs(float64(b.text.Min.Y+b.text.Max.Y)/2-ya) > 0.4*ha {
			continue
		}
		gap := float64(max(b.text.Min.X-a.text.Max.X, a.text.Min.X-b.text.Max.X))
		if gap > -0.2*ha && gap <= 2.5*ha {
			return true
		}
	}
	return false
}

// tallerRow reports whether c's characters are clearly taller than k's and
// k's row is a line of its own, not a part of c's.
func tallerRow(c, k cand) bool {
	if c.text.Empty() || k.text.Empty() || c.row.hc*float64(c.f) <= 1.3*k.row.hc*float64(k.f) {
		return false
	}
	ov := min(c.text.Max.Y, k.text.Max.Y) - max(c.text.Min.Y, k.text.Min.Y)
	return ov*2 < k.text.Dy()
}

// longerRow reports whether c's row holds k's and clearly more: k found
// only a part of the plate's characters.
func longerRow(c, k cand) bool {
	if c.text.Empty() || k.text.Empty() || c.row.n < k.row.n+2 {
		return false
	}
	return inside(k.text, c.text, 0.6)
}

func area(r image.Rectangle) int {
	if r.Empty() {
		return 0
	}
	return r.Dx() * r.Dy()
}

func iou(a, b image.Rectangle) float64 {
	in := area(a.Intersect(b))
	if in == 0 {
		return 0
	}
	return float64(in) / float64(area(a)+area(b)-in)
}

// inside reports whether at least frac of a lies within b.
func inside(a, b image.Rectangle, frac float64) bool {
	aa := area(a)
	return aa > 0 && float64(area(a.Intersect(b))) >= frac*float64(aa)
}
