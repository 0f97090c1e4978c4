package hq

import (
	"math"
	"slices"
)

// Range is a closed range of sequences, First <= Last.
type Range struct {
	First, Last uint64
}

// progress is one device's contiguity state: every sequence up to contig is
// received or dropped; pending holds the received ones above it, ranges the
// declared drops ending above it.
type progress struct {
	contig  uint64
	pending map[uint64]struct{}
	ranges  []Range
}

// tracker holds every device's progress. It is not safe for concurrent use:
// the Receiver's one worker owns it.
type tracker struct {
	devs map[string]*progress
}

func newTracker() *tracker { return &tracker{devs: make(map[string]*progress)} }

func (t *tracker) get(device string) *progress {
	p := t.devs[device]
	if p == nil {
		p = &progress{pending: make(map[uint64]struct{})}
		t.devs[device] = p
	}
	return p
}

// load sets device's state as read from the database and returns its
// contiguous sequence (which may pass contig if the stored one lagged).
func (t *tracker) load(device string, contig uint64, seqs []uint64, ranges []Range) uint64 {
	p := t.get(device)
	p.contig = contig
	for _, s := range seqs {
		p.pending[s] = struct{}{}
	}
	p.ranges = append(p.ranges, ranges...)
	return t.add(device, 0, nil)
}

// contig returns device's highest contiguous sequence (0: none).
func (t *tracker) contig(device string) uint64 {
	if p := t.devs[device]; p != nil {
		return p.contig
	}
	return 0
}

// next returns what device's contiguous sequence would be after receiving
// seq (0: none) and learning of the dropped ranges, without changing
// anything.
func (t *tracker) next(device string, seq uint64, dropped []Range) uint64 {
	p := t.devs[device]
	if p == nil {
		p = &progress{}
	}
	return p.advance(seq, dropped)
}

// add records seq (0: none) and the dropped ranges for device and returns
// its new contiguous sequence.
func (t *tracker) add(device string, seq uint64, dropped []Range) uint64 {
	p := t.get(device)
	c := p.advance(seq, dropped)
	if seq > c {
		p.pending[seq] = struct{}{}
	}
	for _, r := range dropped {
		if r.Last > c {
			p.ranges = append(p.ranges, r)
		}
	}
	if c != p.contig {
		p.contig = c
		for s := range p.pending {
			if s <= c {
				delete(p.pending, s)
			}
		}
		p.ranges = slices.DeleteFunc(p.ranges, func(r Range) bool { return r.Last <= c })
	}
	return c
}

// advance computes the contiguous sequence with seq and extra added.
func (p *progress) advance(seq uint64, extra []Range) uint64 {
	c := p.contig
	for c < math.MaxUint64 {
		n := c + 1
		if _, ok := p.pending[n]; ok || n == seq {
			c = n
			continue
		}
		if last, ok := covering(n, p.ranges, extra); ok {
			c = last
			continue
		}
		break
	}
	return c
}

// covering returns the highest Last of the ranges holding n.
func covering(n uint64, lists ...[]Range) (uint64, bool) {
	var last uint64
	found := false
	for _, rs := range lists {
		for _, r := range rs {
			if r.First <= n && n <= r.Last && (!found || r.Last > last) {
				last, found = r.Last, true
			}
		}
	}
	return last, found
}
