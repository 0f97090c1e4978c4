package ctl

import (
	"context"
	"fmt"
	"sync"
)

// watcher is a connection's watch stream: a pump goroutine moves the
// Handler's events into a bounded queue without ever blocking on the
// client, and a writer goroutine sends them.
type watcher struct {
	id     uint64
	cancel context.CancelFunc
	wg     sync.WaitGroup
	q      *queue

	// Counted by the writer; read after wg.Wait.
	reads, alerts, dispositions, dropped int
}

func (c *conn) startWatch(req Request) {
	if c.watch != nil {
		c.badArgs(req, "", "already watching")
		return
	}
	h := c.s.cfg.Handler
	ctx, cancel := context.WithCancel(c.ctx)
	w := &watcher{id: req.ID, cancel: cancel, q: newQueue(c.s.cfg.WatchBuffer, c.s.cfg.WatchBuffer*hardMaxFactor)}
	// Subscribe before taking the snapshot of open alerts, so that no
	// alert falls between them.
	ch := h.Watch(ctx)
	user := c.sess.User
	w.wg.Go(func() { c.pump(ctx, ch, w, user) })
	open, err := h.OpenAlerts(c.ctx)
	if err != nil {
		cancel()
		w.wg.Wait()
		c.failed(req, "reads,alerts", err)
		return
	}
	if open == nil {
		open = []Event{}
	}
	c.watch = w
	c.audit(req.Op, "reads,alerts", "ok")
	c.reply(req.ID, WatchResult{Open: open})
	w.wg.Go(func() { c.writeEvents(ctx, w) })
}

// pump drains the Handler's channel until the Handler closes it. A
// channel closed before the stream was stopped (the daemon is going down)
// ends the connection, so that the client notices.
func (c *conn) pump(ctx context.Context, ch <-chan Event, w *watcher, user string) {
	overflow := false
	for ev := range ch {
		if overflow {
			continue
		}
		if !w.q.push(ev) {
			overflow = true
			c.s.log.Warn("ctl: watcher does not read its alerts, connection closed", "user", user)
			c.cancel()
		}
	}
	if ctx.Err() == nil {
		c.s.log.Warn("ctl: the daemon ended a watch stream, connection closed", "user", user)
		c.cancel()
	}
}

// writeEvents sends queued events until ctx is done.
func (c *conn) writeEvents(ctx context.Context, w *watcher) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.q.ready:
		}
		for {
			ev, ok := w.q.pop()
			if !ok {
				break
			}
			if ctx.Err() != nil {
				return
			}
			if c.write(EventMessage{ID: w.id, Event: ev}) != nil {
				return
			}
			switch ev.Kind {
			case KindRead:
				w.reads++
			case KindAlert:
				w.alerts++
			case KindDisposition:
				w.dispositions++
			case KindDropped:
				w.dropped += ev.Dropped
			}
		}
	}
}

// stopWatch ends the watch stream, if any, and audits what it delivered.
func (c *conn) stopWatch() {
	w := c.watch
	if w == nil {
		return
	}
	c.watch = nil
	w.cancel()
	w.wg.Wait()
	w.dropped += w.q.dropped // dropped and never reported (no goroutine left to race)
	c.audit(ActionWatchEnd, fmt.Sprintf("%d reads, %d alerts, %d dispositions delivered; %d reads dropped",
		w.reads, w.alerts, w.dispositions, w.dropped), "ok")
}
