package alert

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"alprd/firmware/record"
	"alprd/firmware/vault"
	"alprd/hal/pins"
	"alprd/hal/pins/pinstest"

	"periph.io/x/conn/v3/gpio"
)

type beeps struct {
	mu  sync.Mutex
	got []string
}

func (b *beeps) Beep(ctx context.Context, p pins.Pattern) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, p.Name)
	return nil
}

func newBook(t *testing.T, files Files, bz Buzzer, now func() time.Time) *Book {
	t.Helper()
	b, err := Open(Config{Device: "unit-1", Files: files, Buzzer: bz, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hit(plate string, prio int) Match {
	return Match{
		Entry: record.HotEntry{Plate: plate, Type: "SV", Priority: prio, Reason: "stolen", Case: "C-1", Source: record.SourceHQ},
		Kind:  record.MatchExact, Score: 1, Matched: plate,
	}
}

func TestRaiseDisposeSurvivesRestart(t *testing.T) {
	v, err := vault.Open(t.TempDir(), vault.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b := newBook(t, v, nil, clock)
	a1, err := b.Raise(record.Read{ID: "r1", Plate: "7ABC123"}, hit("7ABC123", 1))
	if err != nil {
		t.Fatal(err)
	}
	if a1.Notice != record.Notice || a1.Device != "unit-1" || a1.Read.ID != "r1" || a1.ID == "" {
		t.Errorf("alert = %+v", a1)
	}
	a2, _ := b.Raise(record.Read{ID: "r2", Plate: "4XYZ987"}, hit("4XYZ987", 2))

	b = newBook(t, v, nil, clock) // restart
	open := b.OpenAlerts()
	if len(open) != 2 || open[0].ID != a1.ID || open[1].ID != a2.ID {
		t.Fatalf("open after restart = %v, want %s, %s", ids(open), a1.ID, a2.ID)
	}
	d, err := b.Dispose(record.Disposition{Alert: a1.ID, Outcome: record.Confirmed, Note: "stopped, driver detained", By: "officer7"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Device != "unit-1" || time.Time(d.Time) != now || d.V != record.Version {
		t.Errorf("disposition = %+v", d)
	}
	b = newBook(t, v, nil, clock) // restart again
	if open := b.OpenAlerts(); len(open) != 1 || open[0].ID != a2.ID {
		t.Errorf("open = %v, want only %s", ids(open), a2.ID)
	}
	if got, ok := b.Disposition(a1.ID); !ok || got.Note != "stopped, driver detained" || got.By != "officer7" {
		t.Errorf("Disposition(%s) = %+v, %v", a1.ID, got, ok)
	}
	// Disposed alerts leave the unit after Keep.
	now = now.Add(25 * time.Hour)
	if _, err := b.Dispose(record.Disposition{Alert: a2.ID, Outcome: record.Dismissed, By: "officer7"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Disposition(a1.ID); ok {
		t.Error("disposition older than Keep still kept")
	}
}

func TestDisposeRefusals(t *testing.T) {
	b := newBook(t, memFiles{}, nil, nil)
	a, _ := b.Raise(record.Read{ID: "r1"}, hit("7ABC123", 1))
	tests := []struct {
		name string
		d    record.Disposition
		want error
	}{
		{"bad outcome", record.Disposition{Alert: a.ID, Outcome: "arrested", By: "o"}, nil},
		{"no officer", record.Disposition{Alert: a.ID, Outcome: record.Misread}, nil},
		{"unknown alert", record.Disposition{Alert: "nope", Outcome: record.Misread, By: "o"}, ErrUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Dispose(tt.d)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("got %v, want an error (%v)", err, tt.want)
			}
		})
	}
	if _, err := b.Dispose(record.Disposition{Alert: a.ID, Outcome: record.Misread, By: "o"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Dispose(record.Disposition{Alert: a.ID, Outcome: record.Confirmed, By: "o"}); !errors.Is(err, ErrDisposed) {
		t.Errorf("second disposition: got %v, want ErrDisposed", err)
	}
}

func TestFailedSaveKeepsState(t *testing.T) {
	f := &failing{memFiles: memFiles{}}
	b := newBook(t, f, nil, nil)
	a, _ := b.Raise(record.Read{ID: "r1"}, hit("7ABC123", 1))
	f.fail = true
	if _, err := b.Raise(record.Read{ID: "r2"}, hit("X", 1)); err == nil {
		t.Error("Raise with a failing store: no error")
	}
	if _, err := b.Dispose(record.Disposition{Alert: a.ID, Outcome: record.Misread, By: "o"}); err == nil {
		t.Error("Dispose with a failing store: no error")
	}
	if open := b.OpenAlerts(); len(open) != 1 || open[0].ID != a.ID {
		t.Errorf("open = %v, want only %s", ids(open), a.ID)
	}
}

func TestSoundPerPriority(t *testing.T) {
	bz := &beeps{}
	b := newBook(t, memFiles{}, bz, nil)
	for _, p := range []int{1, 2, 3, 0} {
		a, _ := b.Raise(record.Read{}, hit("A1", p))
		b.Sound(t.Context(), a)
	}
	want := []string{"urgent", "double-beep", "chirp", "chirp"}
	if len(bz.got) != len(want) {
		t.Fatalf("beeps %v, want %v", bz.got, want)
	}
	for i := range want {
		if bz.got[i] != want[i] {
			t.Errorf("beep %d = %s, want %s", i, bz.got[i], want[i])
		}
	}
}

// The patterns play on the buzzer driver (fake pins): as many beeps as the
// pattern has, and the buzzer silent after.
func TestPatternsPlay(t *testing.T) {
	for _, tt := range []struct{ priority, beeps int }{{1, 3}, {2, 2}, {3, 1}} {
		synctest.Test(t, func(t *testing.T) {
			set, fake := pinstest.New()
			defer set.Halt()
			start := len(fake.Buzzer.History())
			if err := set.Buzzer.Beep(t.Context(), Pattern(tt.priority)); err != nil {
				t.Fatalf("priority %d: %v", tt.priority, err)
			}
			ons := 0
			for _, w := range fake.Buzzer.History()[start:] {
				if w.L == gpio.High {
					ons++
				}
			}
			if ons != tt.beeps {
				t.Errorf("priority %d: %d beeps, want %d", tt.priority, ons, tt.beeps)
			}
			if set.Buzzer.IsOn() {
				t.Errorf("priority %d: buzzer left on", tt.priority)
			}
		})
	}
}

func ids(as []record.Alert) []string {
	var s []string
	for _, a := range as {
		s = append(s, a.ID)
	}
	return s
}

type memFiles map[string][]byte

func (m memFiles) ReadFile(name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, fsErrNotExist(name)
	}
	return b, nil
}

func (m memFiles) WriteFile(name string, data []byte) error {
	m[name] = append([]byte(nil), data...)
	return nil
}

type failing struct {
	memFiles
	fail bool
}

func (f *failing) WriteFile(name string, data []byte) error {
	if f.fail {
		return errors.New("disk full")
	}
	return f.memFiles.WriteFile(name, data)
}

func fsErrNotExist(name string) error {
	return &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
}
