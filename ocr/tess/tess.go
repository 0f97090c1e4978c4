//go:build cgo

package tess

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"

	"github.com/otiai10/gosseract/v2"

	"alprd/ocr"
)

// Reader reads plate crops with one Tesseract handle. Not safe for
// concurrent use; make one per worker.
type Reader struct {
	cfg     Config
	allowed *[256]bool // from cfg.Whitelist
	client  *gosseract.Client
	prep    prep
}

var _ ocr.Reader = (*Reader)(nil)

// New returns a Reader for cfg (zero fields take their defaults). It does no
// I/O: call Open before Read.
func New(cfg Config) *Reader {
	cfg = cfg.withDefaults()
	return &Reader{cfg: cfg, allowed: allowedSet(cfg.Whitelist)}
}

// Config returns the configuration in force, defaults filled in.
func (r *Reader) Config() Config { return r.cfg }

// initMu serialises Tesseract initialisation: gosseract captures
// Tesseract's messages during Init by redirecting the process's stderr,
// which two concurrent Opens would tangle.
var initMu sync.Mutex

// blank is a small white PGM used to initialise the handle in Open.
var blank = func() []byte {
	b := []byte("P5\n32 16\n255\n")
	for i := 0; i < 32*16; i++ {
		b = append(b, 255)
	}
	return b
}()

// Open creates the Tesseract handle and loads the language model. It
// returns an error naming the language and tessdata directory when the model
// cannot be loaded. Open on an open Reader does nothing. During Open the
// process's stderr is briefly redirected (gosseract does this to capture
// Tesseract's messages), so output written there meanwhile is lost.
func (r *Reader) Open() error {
	if r.client != nil {
		return nil
	}
	cfg := r.cfg
	fail := func(err error) error {
		return fmt.Errorf("tess: open: language %q, tessdata %s: %w", cfg.Language, cfg.dataDirName(), err)
	}
	if err := cfg.checkModels(); err != nil {
		return fail(err)
	}
	c := gosseract.NewClient()
	if err := r.configure(c); err != nil {
		c.Close()
		return fail(err)
	}
	// gosseract initialises Tesseract lazily, on the first recognition, and
	// re-applies the variables after it. Do that now so that a bad language
	// fails here and the model load is paid in Open rather than by the
	// first Read.
	initMu.Lock()
	err := c.SetImageFromBytes(blank)
	if err == nil {
		_, err = c.Text()
	}
	initMu.Unlock()
	if err != nil {
		c.Close()
		// gosseract's message ends with Tesseract's captured output, which
		// is often empty.
		return fail(errors.New(strings.TrimRight(strings.TrimSpace(err.Error()), ":")))
	}
	r.client = c
	return nil
}

func (r *Reader) configure(c *gosseract.Client) error {
	cfg := r.cfg
	if err := c.SetLanguage(strings.Split(cfg.Language, "+")...); err != nil {
		return err
	}
	if cfg.TessdataPrefix != "" {
		if err := c.SetTessdataPrefix(cfg.TessdataPrefix); err != nil {
			return err
		}
	}
	// No tessedit_char_whitelist: Config.Whitelist is applied to the
	// recognised characters and their alternatives (see page.reading).
	// SetPageSegMode goes straight to the handle, and Tesseract's Init
	// resets it; the variable is applied after Init, so set both.
	if err := c.SetPageSegMode(gosseract.PSM_SINGLE_LINE); err != nil {
		return err
	}
	for k, v := range map[gosseract.SettableVariable]string{
		"tessedit_pageseg_mode": "7",
		// The crops carry no resolution; say one so that Tesseract does not
		// guess (and warn).
		"user_defined_dpi": "300",
		// Per-character boxes and LSTM alternatives in the hOCR output.
		"hocr_char_boxes":  "1",
		"lstm_choice_mode": "2",
		"debug_file":       "/dev/null",
	} {
		if err := c.SetVariable(k, v); err != nil {
			return err
		}
	}
	return nil
}

// Read recognises the text of a plate crop. An unreadable crop (too small,
// flat, or nothing recognised) gives a Reading with empty Text and no error.
func (r *Reader) Read(crop *image.Gray) (ocr.Reading, error) {
	if r.client == nil {
		return ocr.Reading{}, errors.New("tess: read: reader not open")
	}
	if crop == nil || !r.prep.prepare(crop, r.cfg.CharHeight, r.cfg.Binarize) {
		return ocr.Reading{}, nil
	}
	if err := r.client.SetImageFromBytes(r.prep.encodePGM()); err != nil {
		return ocr.Reading{}, fmt.Errorf("tess: read: %w", err)
	}
	// gosseract v2.4.1 never frees the string Tesseract returns here (nor
	// those of Text and GetBoundingBoxes): each Read leaks the hOCR text,
	// about 4-5 kB. See the package doc.
	h, err := r.client.HOCRText()
	if err != nil {
		return ocr.Reading{}, fmt.Errorf("tess: read: %w", err)
	}
	pg, err := parseHOCR(h)
	if err != nil {
		return ocr.Reading{}, fmt.Errorf("tess: read: parsing hOCR: %w", err)
	}
	return pg.reading(r.allowed, r.cfg.MaxCandidates, r.cfg.MinAltConfidence), nil
}

// Close releases the Tesseract handle. Closing a closed Reader does nothing;
// a closed Reader can be opened again.
func (r *Reader) Close() error {
	if r.client == nil {
		return nil
	}
	err := r.client.Close()
	r.client = nil
	if err != nil {
		return fmt.Errorf("tess: close: %w", err)
	}
	return nil
}

// Version returns the version of the Tesseract library linked in.
func Version() string { return gosseract.Version() }
