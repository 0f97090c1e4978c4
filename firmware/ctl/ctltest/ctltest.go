// Package ctltest provides a fake ctl.Handler: an in-memory hot list and
// alert list, and a Publish method to push live events, for tests of the
// control socket, its clients and the console.
package ctltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"alprd/firmware/ctl"
	"alprd/firmware/record"
)

// Handler is an in-memory ctl.Handler. The zero value is ready to use;
// its methods may be called from any goroutine.
type Handler struct {
	mu       sync.Mutex
	status   ctl.Status
	err      error
	entries  []record.HotEntry
	open     []ctl.Event
	disposed []record.Disposition
	removed  []string // "PLATE/STATE: reason"
	sessions []ctl.Session
	allAsked []bool

	pub  sync.Mutex // held while publishing, so that a watcher's channel is not closed meanwhile
	subs map[*sub]struct{}
}

type sub struct {
	ctx context.Context
	ch  chan ctl.Event
}

var _ ctl.Handler = (*Handler)(nil)

// AddEntry appends e to the hot list.
func (h *Handler) AddEntry(_ context.Context, by ctl.Session, e record.HotEntry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions = append(h.sessions, by)
	if h.err != nil {
		return h.err
	}
	h.entries = append(h.entries, e)
	return nil
}

// RemoveEntry removes the entry of plate and state.
func (h *Handler) RemoveEntry(_ context.Context, by ctl.Session, plate, state, reason string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions = append(h.sessions, by)
	if h.err != nil {
		return h.err
	}
	i := slices.IndexFunc(h.entries, func(e record.HotEntry) bool { return e.Plate == plate && e.State == state })
	if i < 0 {
		return fmt.Errorf("ctltest: no entry %s/%s", plate, state)
	}
	h.entries = slices.Delete(h.entries, i, i+1)
	h.removed = append(h.removed, plate+"/"+state+": "+reason)
	return nil
}

// Entries returns the manual entries, or all of them with all.
func (h *Handler) Entries(_ context.Context, by ctl.Session, all bool) ([]record.HotEntry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions = append(h.sessions, by)
	h.allAsked = append(h.allAsked, all)
	if h.err != nil {
		return nil, h.err
	}
	var es []record.HotEntry
	for _, e := range h.entries {
		if all || e.Source == record.SourceManual {
			es = append(es, e)
		}
	}
	return es, nil
}

// SetEntries replaces the hot list.
func (h *Handler) SetEntries(es []record.HotEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = slices.Clone(es)
}

// Dispose records d, closes its alert and publishes a disposition event.
func (h *Handler) Dispose(_ context.Context, by ctl.Session, d record.Disposition) error {
	h.mu.Lock()
	h.sessions = append(h.sessions, by)
	if h.err != nil {
		h.mu.Unlock()
		return h.err
	}
	i := slices.IndexFunc(h.open, func(ev ctl.Event) bool { return ev.Alert.ID == d.Alert })
	if i < 0 {
		h.mu.Unlock()
		return errors.New("ctltest: no such open alert " + d.Alert)
	}
	h.open = slices.Delete(h.open, i, i+1)
	h.disposed = append(h.disposed, d)
	h.mu.Unlock()
	h.broadcast(ctl.Event{Kind: ctl.KindDisposition, Disposition: &d})
	return nil
}

// OpenAlerts returns the open alerts, oldest first.
func (h *Handler) OpenAlerts(context.Context) ([]ctl.Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return nil, h.err
	}
	return slices.Clone(h.open), nil
}

// Watch subscribes to Publish until ctx is done.
func (h *Handler) Watch(ctx context.Context) <-chan ctl.Event {
	s := &sub{ctx: ctx, ch: make(chan ctl.Event)}
	h.pub.Lock()
	if h.subs == nil {
		h.subs = map[*sub]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.pub.Unlock()
	context.AfterFunc(ctx, func() {
		h.pub.Lock()
		delete(h.subs, s)
		close(s.ch)
		h.pub.Unlock()
	})
	return s.ch
}

// Watchers returns the number of live Watch subscriptions.
func (h *Handler) Watchers() int {
	h.pub.Lock()
	defer h.pub.Unlock()
	return len(h.subs)
}

// Status returns what SetStatus set.
func (h *Handler) Status(context.Context) (ctl.Status, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return ctl.Status{}, h.err
	}
	return h.status, nil
}

// SetStatus sets what Status returns.
func (h *Handler) SetStatus(st ctl.Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = st
}

// SetErr makes every method but Watch fail with err (nil: succeed again).
func (h *Handler) SetErr(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = err
}

// Publish sends ev to every watcher, waiting until each has taken it (or
// stopped watching). An alert joins the open alerts first.
func (h *Handler) Publish(ev ctl.Event) {
	if ev.Kind == ctl.KindAlert && ev.Alert != nil {
		h.mu.Lock()
		h.open = append(h.open, ev)
		h.mu.Unlock()
	}
	h.broadcast(ev)
}

func (h *Handler) broadcast(ev ctl.Event) {
	h.pub.Lock()
	defer h.pub.Unlock()
	for s := range h.subs {
		select {
		case s.ch <- ev:
		case <-s.ctx.Done():
		}
	}
}

// Disposed returns the dispositions recorded so far.
func (h *Handler) Disposed() []record.Disposition {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.disposed)
}

// Removed returns the removals so far, as "PLATE/STATE: reason".
func (h *Handler) Removed() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.removed)
}

// Sessions returns the sessions the changing and listing methods were
// called with, in order.
func (h *Handler) Sessions() []ctl.Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.sessions)
}

// AllAsked returns the all argument of each Entries call, in order.
func (h *Handler) AllAsked() []bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.allAsked)
}
