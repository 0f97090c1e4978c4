// Package gpstest provides a fake gps.Source whose position tests set.
package gpstest

import (
	"context"
	"sync"

	"alprd/hal/gps"
)

// Source is a fake gps.Source. Position returns what Set, Lose and Clear
// leave; Run waits for ctx or for an error sent on Fail.
type Source struct {
	// Fail makes a running Run return the error sent on it, as a receiver
	// that failed. New makes it with a buffer of one.
	Fail chan error

	mu   sync.Mutex
	fix  gps.Fix
	ok   bool
	runs int
}

// New returns a source with no fix.
func New() *Source {
	return &Source{Fail: make(chan error, 1)}
}

// Set makes Position return f, true.
func (s *Source) Set(f gps.Fix) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fix, s.ok = f, true
}

// Lose makes Position return the last fix with false, as a fix gone stale or
// lost.
func (s *Source) Lose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ok = false
}

// Clear makes Position return a zero Fix and false, as before any fix.
func (s *Source) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fix, s.ok = gps.Fix{}, false
}

// Position implements gps.Source.
func (s *Source) Position() (gps.Fix, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fix, s.ok
}

// Run implements gps.Source: it returns ctx.Err() when ctx is done, or the
// first error sent on Fail.
func (s *Source) Run(ctx context.Context) error {
	s.mu.Lock()
	s.runs++
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-s.Fail:
		return err
	}
}

// Runs returns how many times Run was called.
func (s *Source) Runs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs
}

var _ gps.Source = (*Source)(nil)
