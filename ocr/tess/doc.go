// Package tess reads plate crops with Tesseract through gosseract. It is the
// only cgo package of alprd; everything else in ocr/ is pure Go, and a test in
// package ocr keeps it that way.
//
// Built without cgo (CGO_ENABLED=0) the package still compiles, but Open
// returns ErrNoCgo, so pure-Go builds of the rest of the tree keep working.
//
// A Reader wraps one Tesseract handle and is not safe for concurrent use:
// make one per worker goroutine. New does no I/O; Open loads the language
// model (tens of milliseconds to a few hundred, and some tens of MB of memory
// per Reader) and reports a missing language or tessdata directory; Close
// releases the handle.
//
// Read prepares the crop for Tesseract (contrast stretch, dark characters on
// a light background, keep only the main row of characters, scale them to
// Config.CharHeight, optional Otsu binarisation, a white margin), recognises it as a single text line (page
// segmentation mode 7) restricted to Config.Whitelist, and builds ranked
// candidates from Tesseract's per-character alternatives (its LSTM
// "choices"), so one recognition pass yields the top-N plates that a
// later stage (state patterns, voting over frames) can pick from. Tesseract
// itself runs without a character whitelist: with one, its LSTM drops a
// character whose best choice is not allowed (a plate font's "7" read as "/")
// instead of taking the next best; Config.Whitelist is applied to the
// choices instead.
//
// Known limitation: gosseract v2.4.1 does not free the strings Tesseract
// returns, so every Read leaks its hOCR text (about 4-5 kB; measured 4.6 MB
// per 1000 reads). A long-running process must not use this Reader for
// ever; the fix is a thin bridge over Tesseract's C API (capi.h, with
// TessDeleteText) in place of gosseract.
package tess
