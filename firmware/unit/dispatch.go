package unit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"alprd/firmware/alert"
	"alprd/firmware/record"
	"alprd/firmware/uplink"
	"alprd/ocr"
)

// outbox takes messages for headquarters. Send returns once the message is
// safe (published, or durably queued); alerts go out ahead of reads.
type outbox interface {
	Send(ctx context.Context, kind string, payload []byte) error
}

// matcher checks a read's candidates against the hot list.
type matcher interface {
	Match(cands []ocr.Candidate, state string, now time.Time) []alert.Match
}

// recorder remembers reads so that a new hot list entry can be checked
// against the cars that passed in the last hours.
type recorder interface {
	Remember(r record.Read)
}

// console receives what the officer's console shows.
type console interface {
	Read(r record.Read)
	Alert(a record.Alert)
}

// dispatch is the pipeline's sink: every read is checked against the hot
// list; a hit raises an alert that is sent before the read and sounds the
// buzzer; both reach the console and the outbox.
type dispatch struct {
	hot     matcher  // nil: no hot list
	recent  recorder // nil: no retro-check
	book    *alert.Book
	out     outbox
	console console // nil: no console
	log     *slog.Logger
	now     func() time.Time
	beeps   func(func()) // runs the buzzer without holding up the read
	alerts  atomic.Uint64
}

// Put implements pipeline.Sink.
func (d *dispatch) Put(ctx context.Context, r record.Read) error {
	if d.hot != nil {
		for _, m := range d.hot.Match(candidates(r), "", d.now()) {
			if err := d.raise(ctx, r, m); err != nil {
				return err
			}
		}
	}
	if d.recent != nil {
		d.recent.Remember(r)
	}
	if d.console != nil {
		d.console.Read(r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("unit: encode read: %w", err)
	}
	return d.out.Send(ctx, uplink.Reads, b)
}

// raise makes, sends and sounds the alert of one hit.
func (d *dispatch) raise(ctx context.Context, r record.Read, m alert.Match) error {
	d.alerts.Add(1)
	a, err := d.book.Raise(r, m)
	if err != nil {
		// The hit must not be lost: the read carries on, the log says why
		// the alert could not be kept.
		d.log.Error("alert not stored", "read", r.ID, "entry", m.Entry.Plate, "err", err)
		a = record.Alert{V: record.Version, ID: record.NewID(), Device: r.Device, Time: record.Millis(d.now().UTC()),
			Notice: record.Notice, Match: m.Kind, Score: m.Score, Matched: m.Matched, Retro: m.Retro, Entry: m.Entry, Read: r}
	}
	if d.console != nil {
		d.console.Alert(a)
	}
	if d.beeps != nil {
		d.beeps(func() { d.book.Sound(context.WithoutCancel(ctx), a) })
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("unit: encode alert: %w", err)
	}
	return d.out.Send(ctx, uplink.Alerts, b)
}

// candidates are a read's texts to match, best first: the voted plate, then
// the OCR's alternatives.
func candidates(r record.Read) []ocr.Candidate {
	cs := make([]ocr.Candidate, 0, len(r.Candidates)+1)
	cs = append(cs, ocr.Candidate{Text: r.Plate, Confidence: r.Confidence})
	for _, c := range r.Candidates {
		if c.Text != r.Plate {
			cs = append(cs, c)
		}
	}
	return cs
}

// publishOutbox sends straight through the uplink: Send blocks until the
// broker acknowledged the message.
type publishOutbox struct{ up uplink.Uplink }

func (o publishOutbox) Send(ctx context.Context, kind string, payload []byte) error {
	return o.up.Publish(ctx, kind, payload)
}
