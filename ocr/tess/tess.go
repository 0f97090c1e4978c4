//go:build cgo

package tess

import (
	_ "embed"
	"errors"
	"fmt"
	"image"
	"strings"

	"alprd/ocr"
)

// Reader reads plate crops with one or two Tesseract handles (the plate
// model, a tessdata language, or both). Not safe for concurrent use; make one
// per worker.
type Reader struct {
	cfg     Config
	allowed *[256]bool // from cfg.Whitelist
	model   []byte     // the plate model's bytes, nil when Language has no PlateModel
	lang    string     // the tessdata languages of Language, "" when none
	plate   *api       // reads with the plate model; nil when closed or unused
	tess    *api       // reads with lang; nil when closed or unused
	open    bool
	prep    prep
	syms    []sym
}

var _ ocr.Reader = (*Reader)(nil)

// New returns a Reader for cfg (zero fields take their defaults). It does no
// I/O: call Open before Read.
func New(cfg Config) *Reader {
	cfg = cfg.withDefaults()
	r := &Reader{cfg: cfg, allowed: allowedSet(cfg.Whitelist)}
	var rest []string
	for _, l := range strings.Split(cfg.Language, "+") {
		if l == PlateModel {
			r.model = plateModel
		} else {
			rest = append(rest, l)
		}
	}
	r.lang = strings.Join(rest, "+")
	return r
}

// plateModel is PlateModel's traineddata (an integer LSTM model, a few
// hundred kB), made by train/train.sh.
//
//go:embed model/plate.traineddata
var plateModel []byte

// Config returns the configuration in force, defaults filled in.
func (r *Reader) Config() Config { return r.cfg }

// Open creates the Tesseract handles and loads their models. It returns an
// error naming the language and tessdata directory when a model cannot be
// loaded. Open on an open Reader does nothing.
func (r *Reader) Open() error {
	if r.open {
		return nil
	}
	cfg := r.cfg
	fail := func(err error) error {
		return fmt.Errorf("tess: open: language %q, tessdata %s: %w", cfg.Language, cfg.dataDirName(), err)
	}
	if err := cfg.checkModels(); err != nil {
		return fail(err)
	}
	if r.model != nil {
		a, err := openAPI("", r.model, PlateModel, tessVars)
		if err != nil {
			return fail(err)
		}
		r.plate = a
	}
	if r.lang != "" {
		a, err := openAPI(cfg.TessdataPrefix, nil, r.lang, tessVars)
		if err != nil {
			r.Close()
			return fail(err)
		}
		r.tess = a
	}
	r.open = true
	return nil
}

// tessVars are the Tesseract variables of every handle, set before the
// model loads.
var tessVars = [][2]string{
	// No tessedit_char_whitelist: Config.Whitelist is applied to the
	// recognised characters and their alternatives (see page.reading).
	// Per-character LSTM alternatives for the choice iterator.
	{"lstm_choice_mode", "2"},
	// Tesseract's diagnostics (not its errors) go nowhere.
	{"debug_file", "/dev/null"},
}

// Read recognises the text of a plate crop. An unreadable crop (too small,
// flat, or nothing recognised) gives a Reading with empty Text and no error.
//
// The crop is prepared once (see prep.prepare). The plate model reads the
// prepared line as a whole (page segmentation mode 13, as it was trained); a
// tessdata language reads it as a single text line (mode 7). With both,
// their readings are merged character by character when they agree on the
// number of characters, else the more confident one is kept.
func (r *Reader) Read(crop *image.Gray) (ocr.Reading, error) {
	if !r.open {
		return ocr.Reading{}, errors.New("tess: read: reader not open")
	}
	if crop == nil || !r.prep.prepare(crop, r.cfg.CharHeight, r.cfg.Binarize) {
		return ocr.Reading{}, nil
	}
	var ps []pos
	var raws []string
	for _, e := range [...]struct {
		a    *api
		line bool
	}{{r.plate, true}, {r.tess, false}} {
		if e.a == nil {
			continue
		}
		img, psm := r.prep.image(), psmSingleLine
		if e.line {
			img, psm = r.prep.line(), psmRawLine
		}
		syms, err := e.a.read(r.syms[:0], img.Pix, img.Rect.Dx(), img.Rect.Dy(), img.Stride, psm)
		r.syms = syms
		if err != nil {
			return ocr.Reading{}, fmt.Errorf("tess: read: %v image: %w", img.Rect.Size(), err)
		}
		pg := pageOf(syms)
		raws = append(raws, strings.Join(pg.words, " "))
		p := pg.positions(r.allowed, r.cfg.MinAltConfidence)
		if ps == nil {
			ps = p
		} else {
			ps = mergePositions(ps, p)
		}
	}
	return rank(strings.Join(raws, " | "), ps, r.cfg.MaxCandidates), nil
}

// Tesseract's page segmentation modes used here.
const (
	psmSingleLine = 7
	psmRawLine    = 13
)

// Close releases the Tesseract handle. Closing a closed Reader does nothing;
// a closed Reader can be opened again.
func (r *Reader) Close() error {
	for _, a := range []**api{&r.plate, &r.tess} {
		if *a != nil {
			(*a).close()
			*a = nil
		}
	}
	r.open = false
	return nil
}

// Version returns the version of the Tesseract library linked in.
func Version() string { return tessVersion() }
