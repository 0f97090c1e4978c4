package gps

import (
	"context"
	"time"
)

// fixed is a Source that is always at one place.
type fixed struct {
	f Fix
}

// NewFixed returns a Source for a unit that does not move (pole-mounted), at
// f as surveyed or configured. Its Position is always ok and returns f with
// Source "fixed" and Time the current time (UTC): the position is current
// whenever it is asked for. AccuracyM is kept as given. Run only waits for
// ctx to be done and returns ctx.Err().
func NewFixed(f Fix) Source {
	f.Source = "fixed"
	return &fixed{f: f}
}

// Run waits until ctx is done.
func (s *fixed) Run(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// Position returns the fixed position, stamped now.
func (s *fixed) Position() (Fix, bool) {
	f := s.f
	f.Time = time.Now().UTC()
	return f, true
}
