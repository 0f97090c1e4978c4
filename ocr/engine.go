package ocr

import (
	"image"
	"time"
)

// Corrector turns a raw Reading into the best plate text it can: it fixes
// characters by the plate syntax of a jurisdiction and re-ranks candidates.
// It must keep Raw and never force a syntax on a reading that does not fit one.
type Corrector interface {
	Correct(r Reading) Reading
}

// Plate is one plate the Engine found and read in a frame.
type Plate struct {
	Region  Region
	Reading Reading
	Crop    *image.Gray   // the region's pixels, a copy the caller may keep
	Elapsed time.Duration // detection share plus this plate's reading
}

// Engine is the whole recognition path for one frame: detect, crop, read,
// correct, filter. An Engine holds one Reader and so is used by one goroutine
// at a time; make one per worker. The pipeline and tools/alpreval both run
// frames through it, so what is measured is what the unit does.
type Engine struct {
	Detector  Detector
	Reader    Reader
	Corrector Corrector // nil: readings are kept as read

	MaxPlates     int     // regions read per frame; 0 = 3
	MinChars      int     // readings with fewer characters are dropped; 0 = 2
	MaxChars      int     // readings with more characters are dropped; 0 = 8
	MinConfidence float64 // readings below are dropped

	// RegionsRead counts the regions handed to the Reader, dropped or not.
	RegionsRead uint64
}

// Recognize finds and reads the plates in img, best detection first. It
// returns an error only when the Reader fails.
func (e *Engine) Recognize(img *image.Gray) ([]Plate, error) {
	start := time.Now()
	regions := e.Detector.Detect(img)
	if max := cmpOr(e.MaxPlates, 3); len(regions) > max {
		regions = regions[:max]
	}
	detectTime := time.Since(start)
	minChars, maxChars := cmpOr(e.MinChars, 2), cmpOr(e.MaxChars, 8)
	var plates []Plate
	for _, reg := range regions {
		t := time.Now()
		crop := Crop(img, reg.Box)
		rd, err := e.Reader.Read(crop)
		e.RegionsRead++
		if err != nil {
			return plates, err
		}
		if e.Corrector != nil {
			rd = e.Corrector.Correct(rd)
		}
		if n := len(rd.Text); n < minChars || n > maxChars || rd.Confidence < e.MinConfidence {
			continue
		}
		plates = append(plates, Plate{Region: reg, Reading: rd, Crop: crop, Elapsed: detectTime + time.Since(t)})
	}
	return plates, nil
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
