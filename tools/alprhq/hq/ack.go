package hq

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// errOffline is returned by an ack publisher while the broker is out of
// reach; the acker then tries again every interval without logging.
var errOffline = errors.New("hq: not connected")

// acker publishes each device's highest contiguous sequence, at most once
// per interval per device: the first change is sent at once, later ones
// within the interval are coalesced into one publish at its end.
type acker struct {
	pub      func(device string, seq uint64) error // one attempt
	interval time.Duration
	retry    time.Duration // after a failed publish
	log      *slog.Logger

	mu   sync.Mutex
	devs map[string]*ackDev
	wake chan struct{}
	sent atomic.Uint64 // acks published
}

type ackDev struct {
	want, sent uint64
	next       time.Time // earliest time of the next publish
	dirty      bool      // want must be published
}

func newAcker(pub func(string, uint64) error, interval time.Duration, log *slog.Logger) *acker {
	return &acker{pub: pub, interval: interval, retry: max(interval, 5*time.Second), log: log,
		devs: make(map[string]*ackDev), wake: make(chan struct{}, 1)}
}

func (a *acker) dev(device string) *ackDev {
	d := a.devs[device]
	if d == nil {
		d = &ackDev{}
		a.devs[device] = d
	}
	return d
}

func (a *acker) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// set records device's contiguous sequence as loaded at start, without
// publishing it.
func (a *acker) set(device string, seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dev(device).want = seq
}

// advance publishes seq for device when it passes what was last asked.
func (a *acker) advance(device string, seq uint64) {
	a.mu.Lock()
	d := a.dev(device)
	if seq > d.want {
		d.want, d.dirty = seq, true
	}
	a.mu.Unlock()
	a.poke()
}

// nudge publishes device's current sequence again (if there is one): the
// unit resent a message or came online and may have missed the last ack.
func (a *acker) nudge(device string) {
	a.mu.Lock()
	d := a.dev(device)
	if d.want > 0 {
		d.dirty = true
	}
	a.mu.Unlock()
	a.poke()
}

// nudgeAll nudges every device, after HQ (re)connected.
func (a *acker) nudgeAll() {
	a.mu.Lock()
	for _, d := range a.devs {
		if d.want > 0 {
			d.dirty = true
		}
	}
	a.mu.Unlock()
	a.poke()
}

type ackDue struct {
	device string
	seq    uint64
}

// collect takes the devices due at now (all dirty ones with all set) and
// returns how long until the next one is due (0: none waiting).
func (a *acker) collect(now time.Time, all bool) ([]ackDue, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var due []ackDue
	var wait time.Duration
	for name, d := range a.devs {
		if !d.dirty {
			continue
		}
		if all || !now.Before(d.next) {
			due = append(due, ackDue{name, d.want})
			d.dirty, d.next = false, now.Add(a.interval)
		} else if w := d.next.Sub(now); wait == 0 || w < wait {
			wait = w
		}
	}
	return due, wait
}

func (a *acker) send(p ackDue) {
	err := a.pub(p.device, p.seq)
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.dev(p.device)
	if err != nil {
		d.dirty = true
		if errors.Is(err, errOffline) {
			// Cheap to try again: poll for the session every interval.
			d.next = time.Now().Add(a.interval)
		} else {
			a.log.Warn("hq: ack not published, retrying", "device", p.device, "seq", p.seq, "err", err, "in", a.retry)
			d.next = time.Now().Add(a.retry)
		}
		return
	}
	d.sent = max(d.sent, p.seq)
	a.sent.Add(1)
}

// run publishes acks until ctx is done.
func (a *acker) run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		due, wait := a.collect(time.Now(), false)
		for _, p := range due {
			a.send(p)
		}
		if len(due) > 0 {
			continue
		}
		var timer <-chan time.Time
		if wait > 0 {
			t.Reset(wait)
			timer = t.C
		}
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
			t.Stop()
		case <-timer:
		}
	}
}

// flush publishes every pending ack at once, ignoring the interval: the
// last thing before disconnecting.
func (a *acker) flush() {
	due, _ := a.collect(time.Now(), true)
	for _, p := range due {
		a.send(p)
	}
}
