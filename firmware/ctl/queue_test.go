package ctl

import (
	"fmt"
	"slices"
	"testing"

	"alprd/firmware/record"
)

func ev(kind, id string) Event {
	switch kind {
	case KindRead:
		return Event{Kind: kind, Read: &record.Read{ID: id}}
	case KindAlert:
		return Event{Kind: kind, Alert: &record.Alert{ID: id}}
	}
	return Event{Kind: kind, Disposition: &record.Disposition{Alert: id}}
}

func label(e Event) string {
	switch e.Kind {
	case KindRead:
		return "r" + e.Read.ID
	case KindAlert:
		return "a" + e.Alert.ID
	case KindDropped:
		return fmt.Sprintf("dropped%d", e.Dropped)
	}
	return "d" + e.Disposition.Alert
}

func drain(q *queue) []string {
	var got []string
	for {
		e, ok := q.pop()
		if !ok {
			return got
		}
		got = append(got, label(e))
	}
}

func TestQueue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int
		hardMax int
		push    []Event
		want    []string
		refused int // pushes refused for overflow
	}{
		{"under the bound", 3, 0, []Event{ev(KindRead, "1"), ev(KindAlert, "1")}, []string{"r1", "a1"}, 0},
		{"oldest read dropped", 2, 0,
			[]Event{ev(KindRead, "1"), ev(KindRead, "2"), ev(KindRead, "3")},
			[]string{"dropped1", "r2", "r3"}, 0},
		{"alert evicts a read", 2, 0,
			[]Event{ev(KindAlert, "1"), ev(KindRead, "1"), ev(KindAlert, "2")},
			[]string{"dropped1", "a1", "a2"}, 0},
		{"alerts never dropped", 2, 0,
			[]Event{ev(KindAlert, "1"), ev(KindAlert, "2"), ev(KindAlert, "3"), ev(KindRead, "1"), ev(KindDisposition, "1")},
			[]string{"dropped1", "a1", "a2", "a3", "d1"}, 0},
		{"hard bound", 1, 2,
			[]Event{ev(KindAlert, "1"), ev(KindAlert, "2"), ev(KindAlert, "3")},
			[]string{"a1", "a2"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newQueue(tc.max, tc.hardMax)
			refused := 0
			for _, e := range tc.push {
				if !q.push(e) {
					refused++
				}
			}
			if got := drain(q); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if refused != tc.refused {
				t.Errorf("refused: got %d, want %d", refused, tc.refused)
			}
		})
	}
}

func TestQueueReady(t *testing.T) {
	q := newQueue(4, 0)
	select {
	case <-q.ready:
		t.Fatal("ready while empty")
	default:
	}
	q.push(ev(KindRead, "1"))
	q.push(ev(KindRead, "2"))
	<-q.ready
	q.pop()
	select {
	case <-q.ready: // one event left: still signalled
	default:
		t.Fatal("not ready with an event left")
	}
	q.pop()
	q.close()
	<-q.ready
	<-q.ready // closed: always ready
	q.push(ev(KindRead, "3"))
}

func BenchmarkQueuePushFull(b *testing.B) {
	q := newQueue(DefaultWatchBuffer, 0)
	r, a := ev(KindRead, "r"), ev(KindAlert, "a")
	for i := range DefaultWatchBuffer {
		if i%16 == 0 {
			q.push(a)
		} else {
			q.push(r)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		q.push(r) // evicts the oldest read
	}
}
