// Package camera defines how the unit receives frames: the Source interface that
// every camera (V4L2, replay, fake) implements, and the Frame it yields.
//
// Adapters live in sub-packages: v4l2 (a real camera over blackjack/webcam),
// replay (a folder of stills or an MJPEG file at a set rate) and cameratest (a
// fake for tests).
package camera

import (
	"context"
	"errors"
	"image"
	"time"
)

// ErrLost reports that the device went away or stopped delivering frames (cable
// pulled, driver reset). The caller may Close the source and Open it again.
var ErrLost = errors.New("camera: device lost")

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("camera: source closed")

// Frame is one captured picture. Frames own their pixels: a Source never reuses
// the memory of a frame it has handed out.
type Frame struct {
	Seq  uint64    // counts frames from 1 since Open; gaps mean the source dropped some
	Time time.Time // capture time, UTC
	// Gray is the luma plane (Y of YUYV, Y of a JPEG's YCbCr). Detection and
	// reading work on luma only; IR frames are monochrome anyway.
	Gray *image.Gray
}

// Source is a camera. Open does the I/O the constructor does not; Next blocks
// until a frame is ready, ctx is done, or the source fails.
type Source interface {
	// Open acquires the device and starts streaming. It returns an error
	// wrapping os.ErrNotExist when the device is not present, and another
	// error when it is present but unusable.
	Open(ctx context.Context) error
	// Next blocks until the next frame. It returns ctx.Err() when ctx is done,
	// an error wrapping ErrLost when the device stopped (the caller may Close
	// and Open again), and ErrClosed after Close.
	Next(ctx context.Context) (Frame, error)
	// Close stops streaming and releases the device. It is safe to call more
	// than once and from another goroutine than Next's.
	Close() error
}
