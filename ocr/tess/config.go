package tess

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoCgo is returned by Open and Read when the package was built without
// cgo.
var ErrNoCgo = errors.New("tess: built without cgo")

// Config configures a Reader. The zero value of any field means its default.
type Config struct {
	// Language names the models that read, joined by "+": PlateModel,
	// alprd's own model built into the package, and Tesseract languages
	// read from TessdataPrefix (several form one Tesseract handle). With
	// PlateModel and a Tesseract language the two readings are merged.
	// Default DefaultLanguage ("plate+eng").
	Language string
	// TessdataPrefix is the directory that holds LANG.traineddata. Default:
	// $TESSDATA_PREFIX when set, else Tesseract's built-in path (Debian:
	// /usr/share/tesseract-ocr/5/tessdata).
	TessdataPrefix string
	// Whitelist is the set of characters Tesseract may output. Default
	// A-Z and 0-9.
	Whitelist string
	// CharHeight is the pixel height the characters are scaled to before
	// recognition. Default 48.
	CharHeight int
	// Binarize thresholds the crop (Otsu) before recognition instead of
	// handing Tesseract the contrast-stretched grey image.
	Binarize bool
	// MaxCandidates caps Reading.Candidates. Default 10.
	MaxCandidates int
	// MinAltConfidence is the smallest confidence (0..100) of a per-character
	// alternative that makes a candidate. Default 5.
	MinAltConfidence float64
}

// PlateModel is the Language of alprd's own plate model, trained on
// synthesized plates only (train/train.sh) and built into the package: it
// needs no tessdata directory.
const PlateModel = "plate"

// DefaultLanguage reads with the plate model and Tesseract's English model
// and merges the two: better than either alone on real plates.
const DefaultLanguage = PlateModel + "+eng"

// DefaultWhitelist is the character set of plates: A-Z and 0-9.
const DefaultWhitelist = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (c Config) withDefaults() Config {
	if c.Language == "" {
		c.Language = DefaultLanguage
	}
	if c.Whitelist == "" {
		c.Whitelist = DefaultWhitelist
	}
	if c.CharHeight <= 0 {
		c.CharHeight = 48
	}
	if c.MaxCandidates <= 0 {
		c.MaxCandidates = 10
	}
	if c.MinAltConfidence <= 0 {
		c.MinAltConfidence = 5
	}
	return c
}

// dataDir is where Tesseract will look for models, or "" when that is its
// built-in default (which only Tesseract knows).
func (c Config) dataDir() string {
	if c.TessdataPrefix != "" {
		return c.TessdataPrefix
	}
	if p := os.Getenv("TESSDATA_PREFIX"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// checkModels reports a missing LANG.traineddata before Tesseract is asked
// to load it, when the directory is known: the message is clearer than a
// failed Init, which says nothing about why.
func (c Config) checkModels() error {
	dir := c.dataDir()
	if dir == "" || c.Language == PlateModel {
		return nil
	}
	if st, err := os.Stat(dir); err != nil {
		return err
	} else if !st.IsDir() {
		return errors.New("not a directory")
	}
	for _, l := range strings.Split(c.Language, "+") {
		if l == "" {
			return errors.New("empty language name")
		}
		if l == PlateModel {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, l+".traineddata")); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) dataDirName() string {
	if c.Language == PlateModel {
		return "(none: built-in model)"
	}
	if d := c.dataDir(); d != "" {
		return d
	}
	return "(tesseract default)"
}
