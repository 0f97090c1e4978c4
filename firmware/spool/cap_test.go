package spool

import (
	"errors"
	"slices"
	"testing"
)

// capOptions: 1000-byte payloads (1017 framed) go 4 to a 4096-byte segment,
// and the cap holds 5 full segments (5*4084 = 20420 bytes).
var capOptions = Options{SegmentBytes: 4096, MaxBytes: 5 * 4096}

// expand turns ranges into the sequences they cover.
func expand(rs []Range) []uint64 {
	var s []uint64
	for _, r := range rs {
		for q := r.First; q <= r.Last; q++ {
			s = append(s, q)
		}
	}
	return s
}

func TestSizeCapDropsOldest(t *testing.T) {
	dir := t.TempDir()
	sp := mustOpen(t, dir, capOptions)
	kinds := map[uint64]Kind{}
	for i := 1; i <= 60; i++ {
		k := Read
		switch {
		case i%5 == 0:
			k = Alert
		case i%7 == 0:
			k = Audit
		case i%11 == 0:
			k = Event
		case i%13 == 0:
			k = Health
		}
		seq := mustAppend(t, sp, k, 1000)
		kinds[seq] = k
		if st := sp.Stats(); st.DiskBytes > capOptions.MaxBytes {
			t.Fatalf("after record %d: %d bytes on disk, cap %d", seq, st.DiskBytes, capOptions.MaxBytes)
		}
	}

	check := func(t *testing.T, sp *Spool, counts bool) {
		t.Helper()
		present := seqsOf(pendingAll(t, sp))
		var missing []uint64
		var dropped [numKinds + 1]uint64
		for seq := uint64(1); seq <= 60; seq++ {
			if !slices.Contains(present, seq) {
				missing = append(missing, seq)
				dropped[kinds[seq]]++
			}
		}
		if len(missing) == 0 {
			t.Fatal("nothing was dropped: the test does not exercise the cap")
		}
		for _, seq := range missing {
			if kinds[seq].Protected() {
				t.Errorf("%v record %d was dropped", kinds[seq], seq)
			}
		}
		for _, seq := range present {
			if !kinds[seq].Protected() && seq < missing[len(missing)-1] {
				t.Errorf("%v record %d kept while the newer record %d was dropped", kinds[seq], seq, missing[len(missing)-1])
			}
		}
		if got := expand(sp.Dropped()); !slices.Equal(got, missing) {
			t.Errorf("Dropped() covers %v, want %v", got, missing)
		}
		if counts {
			if got := sp.Stats().Dropped; got != dropped {
				t.Errorf("Stats().Dropped = %v, want %v", got, dropped)
			}
		}
	}
	check(t, sp, true)
	mustClose(t, sp)

	sp = mustOpen(t, dir, capOptions)
	defer mustClose(t, sp)
	check(t, sp, false)
	// HQ's contiguous ack passes the dropped ranges.
	if err := sp.Ack(60); err != nil {
		t.Fatalf("Ack(60): %v", err)
	}
	if got := sp.Dropped(); len(got) != 0 {
		t.Errorf("after Ack(60): Dropped() = %v, want none", got)
	}
}

func TestSizeCapProtected(t *testing.T) {
	tests := []struct {
		name       string
		alerts     int
		wantErr    error
		wantNumber bool // the refused read took a sequence (refused at commit)
	}{
		{"room left", 10, nil, true},
		{"alerts leave no room", 20, ErrFull, true},
		{"alerts fill the cap", 21, ErrFull, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := mustOpen(t, t.TempDir(), capOptions)
			defer mustClose(t, sp)
			var alerts []uint64
			for i := 0; i < tt.alerts; i++ {
				alerts = append(alerts, mustAppend(t, sp, Alert, 1000))
			}
			next := sp.Stats().Next
			_, err := sp.Append(Read, func(seq uint64) ([]byte, error) { return payloadFor(seq, 1000), nil })
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Append(Read): got error %v, want %v", err, tt.wantErr)
			}
			st := sp.Stats()
			if got := st.Next > next; got != tt.wantNumber {
				t.Errorf("Next went from %d to %d: took a sequence %v, want %v", next, st.Next, got, tt.wantNumber)
			}
			wantRefused := uint64(0)
			if tt.wantErr != nil {
				wantRefused = 1
			}
			if st.Refused[Read] != wantRefused {
				t.Errorf("Refused[read] = %d, want %d", st.Refused[Read], wantRefused)
			}
			// Alerts and audit records are still accepted, past the cap.
			audit := mustAppend(t, sp, Audit, 1000)
			want := append(alerts, audit)
			if tt.wantErr == nil {
				want = append(want[:len(alerts):len(alerts)], next, audit)
			}
			if got := seqsOf(pendingAll(t, sp)); !slices.Equal(got, want) {
				t.Errorf("got records %v, want %v", got, want)
			}
			var wantDropped []Range
			if tt.wantErr != nil && tt.wantNumber {
				wantDropped = []Range{{next, next}}
			}
			if got := sp.Dropped(); !slices.Equal(got, wantDropped) {
				t.Errorf("Dropped() = %v, want %v", got, wantDropped)
			}
		})
	}
}
