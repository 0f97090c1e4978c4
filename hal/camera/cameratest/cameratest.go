// Package cameratest provides a fake camera.Source that a test drives by hand,
// and small helpers to make frames.
//
// The test sends what Next should return on Frames and Errs. Both channels
// are unbuffered, so a send completes only once Next has taken the value:
// the test and the code under test stay in lockstep and events cannot be
// reordered.
package cameratest

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"alprd/hal/camera"
)

// Source is a fake camera. Create it with New.
type Source struct {
	// Frames delivers frames to Next. A frame with Seq 0 gets the next
	// sequence number, one with a zero Time gets time.Now().UTC(); otherwise
	// the frame is returned as sent.
	Frames chan camera.Frame
	// Errs delivers errors to Next, which returns them as they are.
	Errs chan error

	mu      sync.Mutex
	open    bool
	done    chan struct{} // closed by Close
	openErr error
	opens   int
	closes  int
	seq     uint64
}

var _ camera.Source = (*Source)(nil)

// New returns a closed Source with unbuffered Frames and Errs.
func New() *Source {
	return &Source{Frames: make(chan camera.Frame), Errs: make(chan error)}
}

// FailOpen makes the following Open calls return err (nil: succeed again).
func (s *Source) FailOpen(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.openErr = err
}

// Lose makes the pending or next Next call return an error wrapping
// camera.ErrLost. It blocks until Next takes it.
func (s *Source) Lose() {
	s.Errs <- fmt.Errorf("cameratest: next: %w", camera.ErrLost)
}

// Open counts the call and opens the source, or returns the FailOpen error.
// Opening an open source is an error.
func (s *Source) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens++
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.openErr != nil {
		return s.openErr
	}
	if s.open {
		return errors.New("cameratest: open: already open")
	}
	s.open, s.done, s.seq = true, make(chan struct{}), 0
	return nil
}

// Next returns the next value sent on Frames or Errs. It returns ctx.Err()
// when ctx is done first, and camera.ErrClosed when the source is not open
// or is closed while Next waits.
func (s *Source) Next(ctx context.Context) (camera.Frame, error) {
	s.mu.Lock()
	open, done := s.open, s.done
	s.mu.Unlock()
	if !open {
		return camera.Frame{}, camera.ErrClosed
	}
	select {
	case <-ctx.Done():
		return camera.Frame{}, ctx.Err()
	case <-done:
		return camera.Frame{}, camera.ErrClosed
	case err := <-s.Errs:
		return camera.Frame{}, err
	case f := <-s.Frames:
		s.mu.Lock()
		defer s.mu.Unlock()
		if f.Seq == 0 {
			f.Seq = s.seq + 1
		}
		s.seq = f.Seq
		if f.Time.IsZero() {
			f.Time = time.Now().UTC()
		}
		return f, nil
	}
}

// Close counts the call, closes the source and wakes a waiting Next. It is
// idempotent and safe from any goroutine.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	if s.open {
		close(s.done)
		s.open = false
	}
	return nil
}

// Opens returns how many times Open was called, failed calls included.
func (s *Source) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// Closes returns how many times Close was called.
func (s *Source) Closes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closes
}

// Gray returns a w×h luma image with every pixel set to fill.
func Gray(w, h int, fill uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	if fill != 0 {
		for i := range g.Pix {
			g.Pix[i] = fill
		}
	}
	return g
}

// Frame returns a frame of a w×h Gray filled with fill, for sending on
// Source.Frames; Seq and Time are left for Next to fill in.
func Frame(w, h int, fill uint8) camera.Frame {
	return camera.Frame{Gray: Gray(w, h, fill)}
}
