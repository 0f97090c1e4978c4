package ctl

import (
	"slices"
	"sync"
)

// queue is a watcher's bounded buffer of events. Pushing never blocks.
// When it holds max events, a new event first evicts the oldest read (or,
// being a read itself and finding no older read, is dropped); alerts and
// dispositions are never dropped, so the queue may exceed max with them,
// up to hardMax (0: no limit), past which push reports overflow. Pop hands
// out a KindDropped event with the count of dropped reads before the next
// event after a drop.
type queue struct {
	mu      sync.Mutex
	buf     []Event
	max     int
	hardMax int
	dropped int
	closed  bool
	ready   chan struct{} // holds a token while buf or dropped is not empty, or after close
}

func newQueue(max, hardMax int) *queue {
	return &queue{max: max, hardMax: hardMax, ready: make(chan struct{}, 1)}
}

// push adds ev; false when the queue is over hardMax (ev is not added).
func (q *queue) push(ev Event) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return true
	}
	if len(q.buf) >= q.max {
		if i := slices.IndexFunc(q.buf, isRead); i >= 0 {
			q.buf = slices.Delete(q.buf, i, i+1)
			q.dropped++
		} else if isRead(ev) {
			q.dropped++
			q.signal()
			return true
		} else if q.hardMax > 0 && len(q.buf) >= q.hardMax {
			return false
		}
	}
	q.buf = append(q.buf, ev)
	q.signal()
	return true
}

func isRead(ev Event) bool { return ev.Kind == KindRead }

func (q *queue) signal() {
	if q.closed {
		return
	}
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop takes the next event: a KindDropped event first when reads were
// dropped since the last pop. ok is false when the queue is empty.
func (q *queue) pop() (ev Event, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.dropped > 0:
		ev = Event{Kind: KindDropped, Dropped: q.dropped}
		q.dropped = 0
	case len(q.buf) > 0:
		ev = q.buf[0]
		q.buf[0] = Event{}
		q.buf = q.buf[1:]
		if len(q.buf) == 0 {
			q.buf = nil // let the array go: append makes a fresh one
		}
	default:
		return Event{}, false
	}
	if q.dropped > 0 || len(q.buf) > 0 {
		q.signal()
	}
	return ev, true
}

// close wakes the consumer for good: ready stays signalled.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	close(q.ready)
}
