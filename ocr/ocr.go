// Package ocr finds licence plates in frames and reads them.
//
// Detection is pure Go and works on the luma plane (Detector). Reading runs
// Tesseract, through our own bridge over its C API, in sub-package tess, the
// only cgo package of the project (Reader). Both are interfaces so that the pipeline never sees the
// adapters.
package ocr

import "image"

// Region is a place in a frame that looks like a plate.
type Region struct {
	Box   image.Rectangle // axis-aligned bounds in frame pixels
	Quad  [4]image.Point  // corners, clockwise from top-left
	Score float64         // 0..1, higher is more plate-like
}

// Detector finds plate regions in a luma image. Implementations are safe for
// concurrent use unless they say otherwise.
type Detector interface {
	// Detect returns regions sorted by Score, best first; none when nothing
	// looks like a plate.
	Detect(img *image.Gray) []Region
}

// Candidate is one possible text of a plate with a confidence 0..100.
type Candidate struct {
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
}

// Reading is what a Reader made of a plate crop.
type Reading struct {
	Text       string      // best candidate: upper-case letters and digits only
	Raw        string      // the OCR engine's text before clean-up
	Confidence float64     // 0..100
	Candidates []Candidate // best first, Candidates[0].Text == Text when any
	// Discord is how unlike the readings of the Reader's models were: 0 when
	// they read the same characters (or a single model read), up to 1 when
	// none of their characters agree. A plate's models mostly agree; on a
	// grille, a fence or a sticker's picture they read unlike garbage. See
	// tess.Reader.Read for how it is measured; Vote keeps the least.
	Discord float64
	// Glyphless reports that none of the characters read stands on a glyph
	// the Reader found: no row of character-like glyphs in the crop, or
	// none under the characters it read. What the models read in a wheel,
	// a grille, foliage or a fence mostly is; a plate's characters mostly
	// stand on their glyphs. Readers that do not look at glyphs leave it
	// false. Vote keeps it only when every reading has it.
	Glyphless bool
	// Chars bounds the row of characters the Reader found in the crop,
	// with a quarter of their height as margin (within the crop), in the
	// crop's coordinates; empty when it found none or the Reading was
	// voted from several crops (see Vote).
	Chars image.Rectangle
}

// Reader reads the text of a cropped plate. A Reader is used by one goroutine at
// a time (Tesseract handles are not goroutine-safe); make one per worker.
type Reader interface {
	// Read returns the plate's text. It returns an error only when the engine
	// failed; an unreadable crop gives a Reading with empty Text.
	Read(crop *image.Gray) (Reading, error)
	// Close releases the engine.
	Close() error
}
