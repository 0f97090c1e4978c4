//go:build !cgo

package tess

import (
	"image"

	"alprd/ocr"
)

// Reader is a stub: this build has no cgo, so no Tesseract. Open and Read
// return ErrNoCgo.
type Reader struct {
	cfg Config
}

var _ ocr.Reader = (*Reader)(nil)

// New returns a Reader for cfg. It does no I/O.
func New(cfg Config) *Reader { return &Reader{cfg: cfg.withDefaults()} }

// Config returns the configuration in force, defaults filled in.
func (r *Reader) Config() Config { return r.cfg }

// Open returns ErrNoCgo.
func (r *Reader) Open() error { return ErrNoCgo }

// Read returns ErrNoCgo.
func (r *Reader) Read(*image.Gray) (ocr.Reading, error) { return ocr.Reading{}, ErrNoCgo }

// Close does nothing.
func (r *Reader) Close() error { return nil }

// Version returns "" (no Tesseract linked in).
func Version() string { return "" }
