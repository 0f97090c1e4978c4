package ocr

import (
	"os"
	"runtime/debug"
)

// GoMemLimit is the soft limit on the Go heap that the unit runs the engine
// under (see LimitGoMemory). Frames come and go at 30 a second, and decoding
// a 1920x1080 photo takes several megabytes: without a soft limit the Go
// heap doubles between collections and the resident memory rises past the
// unit's 100 MB budget. Tesseract's models live outside the Go heap, so this
// bounds only the Go share. On endtoend-br (1920x1080 photos) alpreval
// peaked at 100 MB without it and 81 MB with it, at the same median time.
const GoMemLimit = 40 << 20

// LimitGoMemory sets the Go heap's soft limit to GoMemLimit unless the
// GOMEMLIMIT environment variable sets one; it reports whether it did. The
// daemon and alpreval call it first thing, so that what alpreval measures is
// what the unit does.
func LimitGoMemory() bool {
	if os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetMemoryLimit(GoMemLimit)
	return true
}
