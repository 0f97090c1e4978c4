package eval

import (
	"image"
	"math"
	"slices"
	"time"

	"alprd/ocr"
)

// IoU thresholds; see the package doc.
const (
	MatchIoU  = 0.3 // a region at least this close to the label box found the plate
	StrictIoU = 0.5 // the stricter detection recall also reported
)

// TopN is how many candidates of a plate count for the top-N rate.
const TopN = 10

// IoU returns the intersection over union of a and b: 0 when they do not
// meet or either is empty, 1 when they are equal.
func IoU(a, b image.Rectangle) float64 {
	in := area(a.Intersect(b))
	if in == 0 {
		return 0
	}
	return float64(in) / float64(area(a)+area(b)-in)
}

func area(r image.Rectangle) int {
	if r.Empty() {
		return 0
	}
	return r.Dx() * r.Dy()
}

// EqualO0 reports whether a and b are equal when the letter O and the digit
// 0 are taken as the same character.
func EqualO0(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == 'O' {
			x = '0'
		}
		if y == 'O' {
			y = '0'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Plate is what the evaluation keeps of one plate the engine returned.
type Plate struct {
	Box        image.Rectangle `json:"box"`
	Text       string          `json:"text"`
	Raw        string          `json:"raw"`
	Confidence float64         `json:"confidence"`
	Candidates []ocr.Candidate `json:"candidates,omitempty"`
	IoU        float64         `json:"iou"` // with the label box
}

// PlateOf converts an engine plate, dropping its crop.
func PlateOf(p ocr.Plate) Plate {
	return Plate{Box: p.Region.Box, Text: p.Reading.Text, Raw: p.Reading.Raw, Confidence: p.Reading.Confidence, Candidates: p.Reading.Candidates}
}

// Outcome is how one image scored; see the package doc for the terms.
type Outcome struct {
	Best       int     // index of the best plate, -1 when no plate was returned
	BestIoU    float64 // its IoU with the label box
	Detected   bool    // a detector region has IoU >= MatchIoU
	Detected50 bool    // a detector region has IoU >= StrictIoU
	Found      bool    // a returned plate has IoU >= MatchIoU
	Top1       bool    // the best plate's text is the label
	Top1O0     bool    // the same with O and 0 equal
	Top10      bool    // the label is the text or among the first TopN candidates of an overlapping or the best plate
}

// Score scores the regions the detector returned and the plates the engine
// returned against the label box and text, and sets each plate's IoU.
func Score(box image.Rectangle, label string, regions []image.Rectangle, plates []Plate) Outcome {
	o := Outcome{Best: -1}
	for _, r := range regions {
		v := IoU(r, box)
		o.Detected = o.Detected || v >= MatchIoU
		o.Detected50 = o.Detected50 || v >= StrictIoU
	}
	for i := range plates {
		p := &plates[i]
		p.IoU = IoU(p.Box, box)
		o.Found = o.Found || p.IoU >= MatchIoU
		if p.IoU > 0 && (o.Best < 0 || p.IoU > o.BestIoU) {
			o.Best, o.BestIoU = i, p.IoU
		}
	}
	if o.Best < 0 && len(plates) > 0 {
		o.Best = 0
	}
	if o.Best < 0 {
		return o
	}
	best := plates[o.Best]
	o.Top1 = best.Text == label
	o.Top1O0 = EqualO0(best.Text, label)
	for i, p := range plates {
		if (i == o.Best || p.IoU > 0) && inTopN(p, label) {
			o.Top10 = true
		}
	}
	return o
}

// inTopN reports whether label is p's text or among its first TopN
// candidates (the text counts in case a Corrector changed it without
// re-ranking the candidates: top-10 must include top-1).
func inTopN(p Plate, label string) bool {
	if p.Text == label {
		return true
	}
	for _, c := range p.Candidates[:min(TopN, len(p.Candidates))] {
		if c.Text == label {
			return true
		}
	}
	return false
}

// Quantile returns the q-quantile (0..1) of d, interpolating linearly
// between the closest ranks (the median of an even count is the mean of the
// middle two); 0 for no data. d is not modified.
func Quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + time.Duration(math.Round((h-float64(lo))*float64(s[lo+1]-s[lo])))
}
