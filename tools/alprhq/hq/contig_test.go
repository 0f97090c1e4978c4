package hq

import (
	"math"
	"testing"
)

func TestTracker(t *testing.T) {
	type step struct {
		seq     uint64
		dropped []Range
		want    uint64 // contiguous sequence after the step
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{{1, nil, 1}, {2, nil, 2}, {3, nil, 3}}},
		{"out of order", []step{{3, nil, 0}, {1, nil, 1}, {2, nil, 3}}},
		{"starts above 1", []step{{2, nil, 0}, {3, nil, 0}}},
		{"duplicate", []step{{1, nil, 1}, {1, nil, 1}, {3, nil, 1}, {3, nil, 1}, {2, nil, 3}}},
		{"dropped range passes the gap", []step{{1, nil, 1}, {5, []Range{{2, 4}}, 5}}},
		{"dropped range before the rest", []step{{4, []Range{{1, 2}}, 2}, {3, nil, 4}}},
		{"dropped range then received above", []step{{6, nil, 0}, {1, nil, 1}, {5, []Range{{2, 4}}, 6}}},
		{"overlapping ranges", []step{{9, []Range{{1, 5}, {3, 8}}, 9}}},
		{"range under the contiguous sequence", []step{{1, nil, 1}, {2, nil, 2}, {4, []Range{{1, 2}}, 2}, {3, nil, 4}}},
		{"top of the sequence space", []step{{1, []Range{{2, math.MaxUint64}}, math.MaxUint64}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker()
			for i, s := range tt.steps {
				if got := tr.next("a", s.seq, s.dropped); got != s.want {
					t.Errorf("step %d: next(%d, %v) = %d, want %d", i, s.seq, s.dropped, got, s.want)
				}
				if got := tr.add("a", s.seq, s.dropped); got != s.want {
					t.Errorf("step %d: add(%d, %v) = %d, want %d", i, s.seq, s.dropped, got, s.want)
				}
				if got := tr.contig("a"); got != s.want {
					t.Errorf("step %d: contig = %d, want %d", i, got, s.want)
				}
			}
			if got := tr.contig("other"); got != 0 {
				t.Errorf("another device's contig = %d, want 0", got)
			}
			if p := tr.devs["a"]; p != nil {
				for s := range p.pending {
					if s <= p.contig {
						t.Errorf("pending %d at or below contig %d", s, p.contig)
					}
				}
				for _, r := range p.ranges {
					if r.Last <= p.contig {
						t.Errorf("range %v at or below contig %d", r, p.contig)
					}
				}
			}
		})
	}
}

func TestTrackerNextChangesNothing(t *testing.T) {
	tr := newTracker()
	tr.add("a", 2, nil)
	if got := tr.next("a", 1, nil); got != 2 {
		t.Fatalf("next(1) = %d, want 2", got)
	}
	if got := tr.next("a", 0, []Range{{1, 1}}); got != 2 {
		t.Fatalf("next(0, [1,1]) = %d, want 2", got)
	}
	if got := tr.contig("a"); got != 0 {
		t.Errorf("contig after next = %d, want 0", got)
	}
	if got := tr.next("new", 1, nil); got != 1 {
		t.Errorf("next on an unknown device = %d, want 1", got)
	}
	if _, ok := tr.devs["new"]; ok {
		t.Errorf("next created the device")
	}
}

func TestTrackerLoad(t *testing.T) {
	tr := newTracker()
	// Stored contig 2, received 4 and 6 above it, 3 declared dropped.
	if got := tr.load("a", 2, []uint64{4, 6}, []Range{{3, 3}}); got != 4 {
		t.Fatalf("load = %d, want 4", got)
	}
	if got := tr.add("a", 5, nil); got != 6 {
		t.Errorf("add(5) after load = %d, want 6", got)
	}
}
