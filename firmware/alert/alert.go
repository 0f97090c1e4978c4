// Package alert turns hot list hits into alerts and keeps them until the
// officer disposes of them.
//
// An alert is a possible match: the read, the hot list entry, how they
// matched, and record.Notice ("possible match, verify before acting"). The
// Book keeps the open alerts and recent dispositions in the unit's sealed
// storage, so that a restart loses none, and sounds the buzzer with a pattern
// per priority. Sending alerts to headquarters and to the console is the
// wiring's job; the Book only says what happened through its Listener.
package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"time"

	"alprd/firmware/record"
	"alprd/hal/pins"
)

// Files is where the book keeps its state: firmware/vault in the daemon.
type Files interface {
	ReadFile(name string) ([]byte, error) // error wraps fs.ErrNotExist when absent
	WriteFile(name string, data []byte) error
}

// Buzzer sounds a pattern once; *pins.Buzzer is one.
type Buzzer interface {
	Beep(ctx context.Context, p pins.Pattern) error
}

// Match is one hot list hit on a read, as the hot list reports it.
type Match struct {
	Entry   record.HotEntry
	Kind    string // record.MatchExact or record.MatchTolerant
	Score   float64
	Matched string // the candidate text that matched
	Retro   bool   // found by checking a new entry against recent reads
}

// Errors callers branch on.
var (
	ErrUnknown  = errors.New("alert: no such alert")
	ErrDisposed = errors.New("alert: already disposed")
)

// Config configures a Book.
type Config struct {
	Device string
	Files  Files
	Buzzer Buzzer // nil: silent
	// Keep is how long disposed alerts stay on the unit for the console
	// (headquarters keeps them for good); default 24 h.
	Keep time.Duration
	Log  *slog.Logger
	Now  func() time.Time // default time.Now
}

const stateFile = "alerts"

// disposed is an alert with the officer's verdict.
type disposed struct {
	Alert       record.Alert       `json:"alert"`
	Disposition record.Disposition `json:"disposition"`
}

type state struct {
	V        int            `json:"v"`
	Open     []record.Alert `json:"open"`
	Disposed []disposed     `json:"disposed"`
}

// Book holds the unit's alerts. Safe for concurrent use.
type Book struct {
	cfg Config
	log *slog.Logger

	mu sync.Mutex
	st state
	// beep serialises the buzzer: a burst of alerts plays one pattern after
	// the other.
	beep sync.Mutex
}

// Open loads the book from cfg.Files (an absent file is an empty book).
func Open(cfg Config) (*Book, error) {
	if cfg.Files == nil {
		return nil, errors.New("alert: Files is required")
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 24 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Book{cfg: cfg, log: cfg.Log, st: state{V: 1}}
	data, err := cfg.Files.ReadFile(stateFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("alert: load: %w", err)
	default:
		if err := json.Unmarshal(data, &b.st); err != nil {
			return nil, fmt.Errorf("alert: load: %w", err)
		}
	}
	return b, nil
}

// Raise makes the alert for a hit on read, stores it and returns it. Sounding
// the buzzer is left to Sound so that the caller can send the alert first.
func (b *Book) Raise(read record.Read, m Match) (record.Alert, error) {
	a := record.Alert{
		V:       record.Version,
		ID:      record.NewID(),
		Device:  b.cfg.Device,
		Time:    record.Millis(b.cfg.Now().UTC()),
		Notice:  record.Notice,
		Match:   m.Kind,
		Score:   m.Score,
		Matched: m.Matched,
		Retro:   m.Retro,
		Entry:   m.Entry,
		Read:    read,
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st.Open = append(b.st.Open, a)
	if err := b.saveLocked(); err != nil {
		b.st.Open = b.st.Open[:len(b.st.Open)-1]
		return record.Alert{}, err
	}
	b.log.Warn("hot list alert", "alert", a.ID, "type", a.Entry.Type, "priority", a.Entry.Priority, "match", a.Match, "retro", a.Retro)
	return a, nil
}

// Sound plays the buzzer pattern for the alert's priority; it blocks until
// the pattern is over or ctx is done.
func (b *Book) Sound(ctx context.Context, a record.Alert) {
	if b.cfg.Buzzer == nil {
		return
	}
	b.beep.Lock()
	defer b.beep.Unlock()
	if err := b.cfg.Buzzer.Beep(ctx, Pattern(a.Entry.Priority)); err != nil && ctx.Err() == nil {
		b.log.Error("alert: buzzer", "err", err)
	}
}

// Pattern is the buzzer pattern for a hot list priority: 1 (highest) three
// long beeps, 2 a double beep, 3 and anything else one chirp.
func Pattern(priority int) pins.Pattern {
	switch priority {
	case 1:
		return Urgent
	case 2:
		return pins.DoubleBeep
	}
	return pins.Chirp
}

// Urgent is three 400 ms beeps: a priority-1 hit (Amber alert, felony vehicle).
var Urgent = pins.Pattern{Name: "urgent", Steps: []pins.Step{
	{On: true, D: 400 * time.Millisecond}, {On: false, D: 150 * time.Millisecond},
	{On: true, D: 400 * time.Millisecond}, {On: false, D: 150 * time.Millisecond},
	{On: true, D: 400 * time.Millisecond},
}}

// Dispose records the officer's verdict on an open alert and returns the
// stored disposition (time and device filled in). The outcome must be one of
// record.Outcomes and By must name the officer.
func (b *Book) Dispose(d record.Disposition) (record.Disposition, error) {
	if !slices.Contains(record.Outcomes, d.Outcome) {
		return record.Disposition{}, fmt.Errorf("alert: disposition %q: want one of %v", d.Outcome, record.Outcomes)
	}
	if d.By == "" {
		return record.Disposition{}, errors.New("alert: disposition without an officer")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.IndexFunc(b.st.Open, func(a record.Alert) bool { return a.ID == d.Alert })
	if i < 0 {
		if slices.ContainsFunc(b.st.Disposed, func(x disposed) bool { return x.Alert.ID == d.Alert }) {
			return record.Disposition{}, fmt.Errorf("%w: %s", ErrDisposed, d.Alert)
		}
		return record.Disposition{}, fmt.Errorf("%w: %s", ErrUnknown, d.Alert)
	}
	d.V = record.Version
	d.Device = b.cfg.Device
	d.Time = record.Millis(b.cfg.Now().UTC())
	prev := b.st
	a := b.st.Open[i]
	b.st.Open = slices.Delete(slices.Clone(b.st.Open), i, i+1)
	b.st.Disposed = append(slices.Clone(b.st.Disposed), disposed{a, d})
	b.expireLocked()
	if err := b.saveLocked(); err != nil {
		b.st = prev
		return record.Disposition{}, err
	}
	b.log.Info("alert disposed", "alert", d.Alert, "outcome", d.Outcome, "by", d.By)
	return d, nil
}

// OpenAlerts returns the alerts not yet disposed, oldest first.
func (b *Book) OpenAlerts() []record.Alert {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.st.Open)
}

// Disposition returns the verdict on a disposed alert still kept on the unit.
func (b *Book) Disposition(id string) (record.Disposition, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range b.st.Disposed {
		if x.Alert.ID == id {
			return x.Disposition, true
		}
	}
	return record.Disposition{}, false
}

// expireLocked forgets disposed alerts older than Keep.
func (b *Book) expireLocked() {
	cut := b.cfg.Now().Add(-b.cfg.Keep)
	b.st.Disposed = slices.DeleteFunc(b.st.Disposed, func(x disposed) bool {
		return time.Time(x.Disposition.Time).Before(cut)
	})
}

func (b *Book) saveLocked() error {
	data, err := json.Marshal(b.st)
	if err != nil {
		return fmt.Errorf("alert: save: %w", err)
	}
	if err := b.cfg.Files.WriteFile(stateFile, data); err != nil {
		return fmt.Errorf("alert: save: %w", err)
	}
	return nil
}
