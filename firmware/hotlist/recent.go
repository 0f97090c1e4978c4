package hotlist

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"alprd/firmware/record"
	"alprd/ocr"
)

// Defaults of a Recent.
const (
	DefaultWindow   = 4 * time.Hour
	DefaultMaxReads = 100_000
)

// Seen is a read kept for the retro-check. The store does not look into ID
// or Payload: the caller gets them back to build its alert.
type Seen[P any] struct {
	ID         string
	Time       time.Time
	Candidates []ocr.Candidate // best first
	State      string          // "" when unknown
	Payload    P
}

// RetroHit is a recent read that a new entry matches.
type RetroHit[P any] struct {
	Seen Seen[P]
	Hit  Hit
}

// Recent keeps the reads of the last window (at most maxReads of them, the
// oldest dropped first) so that an entry added later finds a car that passed
// before it was listed. It is safe for concurrent use; Add does not wait for
// a check in progress.
type Recent[P any] struct {
	window time.Duration
	max    int

	mu    sync.Mutex
	reads []Seen[P] // in order of Add
}

// NewRecent returns an empty Recent; window <= 0 means DefaultWindow and
// maxReads <= 0 DefaultMaxReads.
func NewRecent[P any](window time.Duration, maxReads int) *Recent[P] {
	if window <= 0 {
		window = DefaultWindow
	}
	if maxReads <= 0 {
		maxReads = DefaultMaxReads
	}
	return &Recent[P]{window: window, max: maxReads}
}

// Add keeps s (its candidates copied) and forgets the reads that left the
// window, measured from s.Time.
func (r *Recent[P]) Add(s Seen[P]) {
	s.Candidates = slices.Clone(s.Candidates)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads = append(r.reads, s)
	r.prune(s.Time)
}

// prune drops the reads older than the window before now, from the front,
// and the oldest beyond max; the caller holds mu.
func (r *Recent[P]) prune(now time.Time) {
	from := now.Add(-r.window)
	k := 0
	for k < len(r.reads) && r.reads[k].Time.Before(from) {
		k++
	}
	k = max(k, len(r.reads)-r.max)
	if k > 0 {
		clear(r.reads[:k]) // let go of payloads
		r.reads = r.reads[k:]
	}
}

// Len returns the number of reads kept.
func (r *Recent[P]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reads)
}

// Check returns the reads of the window before now that entry e matches
// (e checked like NewList's entries; e must not be expired at now), most
// recent first.
func (r *Recent[P]) Check(e record.HotEntry, now time.Time) ([]RetroHit[P], error) {
	l, err := NewList([]record.HotEntry{e})
	if err != nil {
		return nil, err
	}
	return r.CheckList(l, now), nil
}

// CheckList returns the reads of the window before now that m matches
// (Report.New after Apply), one RetroHit per read and entry, most recent
// read first. Matching runs on a copy of the reads, outside the lock.
func (r *Recent[P]) CheckList(m Matcher, now time.Time) []RetroHit[P] {
	r.mu.Lock()
	r.prune(now)
	reads := slices.Clone(r.reads)
	r.mu.Unlock()
	from := now.Add(-r.window)
	var out []RetroHit[P]
	for _, s := range reads {
		if s.Time.Before(from) {
			continue
		}
		for _, h := range m.Match(s.Candidates, s.State, now) {
			out = append(out, RetroHit[P]{Seen: s, Hit: h})
		}
	}
	slices.SortStableFunc(out, func(a, b RetroHit[P]) int { return cmp.Compare(b.Seen.Time.UnixNano(), a.Seen.Time.UnixNano()) })
	return out
}
