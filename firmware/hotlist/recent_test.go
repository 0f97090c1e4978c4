package hotlist

import (
	"fmt"
	"testing"
	"time"

	"alprd/firmware/record"
)

type payload struct{ camera string }

func TestRecentRetroCheck(t *testing.T) {
	r := NewRecent[payload](2*time.Hour, 0)
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	reads := []Seen[payload]{
		{ID: "r1", Time: t0, Candidates: cands("7ABC123"), State: "CA", Payload: payload{"front"}},
		{ID: "r2", Time: t0.Add(90 * time.Minute), Candidates: cands("7A8C123", "7ABC12"), State: "CA", Payload: payload{"rear"}},
		{ID: "r3", Time: t0.Add(100 * time.Minute), Candidates: cands("7ABC123"), State: "NV"},
		{ID: "r4", Time: t0.Add(110 * time.Minute), Candidates: cands("1XYZ999")},
	}
	for _, s := range reads {
		r.Add(s)
	}
	if r.Len() != 4 {
		t.Fatalf("got %d reads, want 4", r.Len())
	}
	e := record.HotEntry{Plate: "7ABC123", State: "CA", Type: "SV"}
	for _, tc := range []struct {
		name string
		now  time.Time
		want string
	}{
		// An entry listed an hour after the car passed finds it.
		{"within the window", t0.Add(115 * time.Minute), "[r2:tolerant:rear r1:exact:front]"},
		// Two hours after the first read, it has left the window.
		{"first read out of the window", t0.Add(2*time.Hour + time.Minute), "[r2:tolerant:rear]"},
		{"all out of the window", t0.Add(5 * time.Hour), "[]"},
	} {
		hits, err := r.Check(e, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, fmt.Sprintf("%s:%s:%s", h.Seen.ID, h.Hit.Kind, h.Seen.Payload.camera))
		}
		if fmt.Sprint(got) != tc.want && !(len(got) == 0 && tc.want == "[]") {
			t.Errorf("%s: got %v, want %s", tc.name, got, tc.want)
		}
	}
	if r.Len() != 0 {
		t.Errorf("after the window: got %d reads kept, want 0", r.Len())
	}
	if _, err := r.Check(record.HotEntry{Plate: "!", Type: "SV"}, t0); err == nil {
		t.Error("bad entry: got no error")
	}
}

func TestRecentBounded(t *testing.T) {
	r := NewRecent[int](time.Hour, 3)
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for i := range 5 {
		r.Add(Seen[int]{ID: fmt.Sprint(i), Time: t0.Add(time.Duration(i) * time.Second), Candidates: cands("5SAM555"), Payload: i})
	}
	if r.Len() != 3 {
		t.Errorf("got %d reads, want 3", r.Len())
	}
	hits, err := r.Check(record.HotEntry{Plate: "5SAM555", Type: "SV"}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, h := range hits {
		got = append(got, h.Seen.Payload)
	}
	if fmt.Sprint(got) != "[4 3 2]" {
		t.Errorf("got reads %v, want [4 3 2] (newest first, oldest dropped)", got)
	}
}

// TestRecentWithStore is the wiring's use: a delta lists a plate read an
// hour ago; its Report.New finds the read.
func TestRecentWithStore(t *testing.T) {
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	if _, err := st.Apply(s1.snapshot(t, 1, rowSV)); err != nil {
		t.Fatal(err)
	}
	r := NewRecent[string](0, 0)
	r.Add(Seen[string]{ID: "a", Time: now.Add(-time.Hour), Candidates: cands("8DEF456"), Payload: "read a"})
	r.Add(Seen[string]{ID: "b", Time: now.Add(-time.Hour), Candidates: cands("7ABC123"), Payload: "read b"})
	rep, err := st.Apply(s1.delta(t, 1, 2, rowAA, "add,7ABC123,CA,SV,1,,,,,,"))
	if err != nil {
		t.Fatal(err)
	}
	hits := r.CheckList(rep.New, now)
	// Only the new entry: the updated one was checked when it was listed.
	if len(hits) != 1 || hits[0].Seen.ID != "a" || hits[0].Hit.Entry.Plate != "8DEF456" || hits[0].Seen.Payload != "read a" {
		t.Errorf("got %+v, want read a hitting 8DEF456", hits)
	}
}
