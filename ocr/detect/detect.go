package detect

import (
	"image"
	"sort"
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
	// factor before any work (but never so far that a MinWidth plate becomes
	// narrower than 28 pixels). Default 640.
	WorkWidth int
	// MinEdge is the smallest horizontal gradient (0..255 per 2 pixels) that
	// counts as a stroke edge whatever the frame's statistics. Default 16.
	MinEdge int
	// MinScore drops candidates scoring below it. Default 0.25.
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
	if o.MinEdge <= 0 {
		o.MinEdge = 16
	}
	if o.MinScore <= 0 {
		o.MinScore = 0.25
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

// Plate widths, in pixels of a pyramid level, that the fixed-size operations
// of one level handle; consecutive levels (factor 2) overlap.
const (
	levelMinPlate = 28
	levelMaxPlate = 100
	closeGap      = 7 // horizontal closing: fill gaps up to this many pixels
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
	f0 := (W + o.WorkWidth - 1) / o.WorkWidth
	if lim := o.MinWidth / levelMinPlate; f0 > lim {
		f0 = lim
	}
	if f0 < 1 {
		f0 = 1
	}

	s := d.pool.Get().(*scratch)
	defer d.pool.Put(s)
	s.cands = s.cands[:0]

	// Level 0 and as many halvings as the widest plate needs.
	nl := 1
	for f := f0; f*levelMaxPlate < maxW; f *= 2 {
		if W/(f*2) < 2*levelMinPlate || H/(f*2) < levelMinPlate {
			break
		}
		nl++
	}
	s.ensureLevels(nl)
	s.levels[0].downscale(img, f0)
	for i := 1; i < nl; i++ {
		s.levels[i].halve(&s.levels[i-1])
	}
	for i := 0; i < nl; i++ {
		lv := &s.levels[i]
		f := f0 << i
		lo := levelMinPlate
		if i == 0 {
			lo = max(1, o.MinWidth/f)
		}
		hi := levelMaxPlate
		if i == nl-1 {
			hi = max(lo, maxW/f)
		}
		d.edgePass(s, lv, f, lo, hi)
	}
	if !o.NoBright {
		lv := &s.levels[0]
		d.brightPass(s, lv, f0, max(1, o.MinWidth/f0), max(1, maxW/f0))
	}
	return d.finish(s, b)
}

// cand is a candidate in frame pixels relative to the frame's origin.
type cand struct {
	box    image.Rectangle // estimated plate
	text   image.Rectangle // the strokes that made it (edge pass), else empty
	score  float64
	bright bool
	textQ  float64 // edge pass: quality of the text, 0..1
}

func (d *Detector) finish(s *scratch, frame image.Rectangle) []ocr.Region {
	cs := s.cands
	// Fuse: an edge candidate whose strokes lie inside a bright rectangle of
	// plausible size takes that rectangle as its plate and gains score.
	for i := range cs {
		if cs[i].bright {
			continue
		}
		for j := range cs {
			bj := cs[j]
			if !bj.bright || !inside(cs[i].text, bj.box, 0.75) {
				continue
			}
			if bj.box.Dx() > 2*cs[i].text.Dx() || bj.box.Dx()*10 < cs[i].text.Dx()*8 {
				continue
			}
			f := cs[i]
			f.box = bj.box
			if sc := min(1, d.edgeScore(f)+0.1); sc >= cs[i].score {
				cs[i] = f
				cs[i].score = sc
				cs[j].score = 0 // absorbed
			}
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
	// Non-maximum suppression. A plate's header or footer line makes a
	// smaller candidate inside the plate's; of two nested candidates with
	// similar scores the one with the taller text wins.
	keep := s.keep[:0]
	for _, c := range cs {
		if c.score < d.opts.MinScore {
			break
		}
		ok := true
		for i, k := range keep {
			if iou(c.box, k.box) > 0.3 || inside(c.box, k.box, 0.7) || inside(k.box, c.box, 0.7) {
				if inside(k.box, c.box, 0.7) && c.text.Dy() > k.text.Dy() && c.score >= 0.85*k.score {
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
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].score > keep[j].score })
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
