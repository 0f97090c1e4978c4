package ctl_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"alprd/firmware/ctl"
	"alprd/firmware/ctl/ctltest"
	"alprd/firmware/record"
)

// TestSlowWatcher checks the drop policy: a client that does not read
// never blocks the unit; it loses its oldest reads, is told how many, and
// gets every alert in order.
func TestSlowWatcher(t *testing.T) {
	users := writeUsers(t, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		h := &ctltest.Handler{}
		log := &auditLog{}
		srv, _ := ctl.New(ctl.Config{Users: users, Handler: h, Audit: log.add, WatchBuffer: 8})
		ctx, cancel := context.WithCancel(context.Background())
		a, b := net.Pipe()
		done := make(chan struct{})
		go func() {
			srv.ServeConn(ctx, a)
			close(done)
		}()
		br := bufio.NewReader(b)
		recv := func() ctl.EventMessage {
			line, err := br.ReadBytes('\n')
			if err != nil {
				t.Fatalf("recv: %v", err)
			}
			var m struct {
				ctl.EventMessage
				OK bool `json:"ok"`
			}
			json.Unmarshal(line, &m)
			if m.Event.Kind == "" && !m.OK {
				t.Fatalf("got %s", line)
			}
			return m.EventMessage
		}
		io.WriteString(b, `{"id":1,"op":"login","args":{"user":"olive","password":"officer pw","purpose":"patrol"}}`+"\n")
		recv()
		io.WriteString(b, `{"id":2,"op":"watch"}`+"\n")
		recv()

		// The client reads nothing while the unit publishes: Publish
		// returns because the server takes every event at once.
		const reads = 300
		var wantAlerts []string
		for i := range reads {
			if i%100 == 0 {
				id := fmt.Sprintf("a%d", i/100)
				h.Publish(alertEvent(id, "P"+id))
				wantAlerts = append(wantAlerts, id)
			}
			h.Publish(readEvent(fmt.Sprintf("R%d", i)))
		}
		h.Publish(alertEvent("last", "LAST"))
		wantAlerts = append(wantAlerts, "last")
		synctest.Wait()

		var gotReads, dropped int
		var gotAlerts []string
		lastRead := -1
		for len(gotAlerts) == 0 || gotAlerts[len(gotAlerts)-1] != "last" {
			m := recv()
			if m.ID != 2 {
				t.Errorf("event for watch %d, want 2", m.ID)
			}
			switch m.Event.Kind {
			case ctl.KindRead:
				gotReads++
				var n int
				fmt.Sscanf(m.Event.Read.Plate, "R%d", &n)
				if n <= lastRead {
					t.Errorf("read %d after read %d", n, lastRead)
				}
				lastRead = n
			case ctl.KindDropped:
				dropped += m.Event.Dropped
			case ctl.KindAlert:
				gotAlerts = append(gotAlerts, m.Event.Alert.ID)
			}
		}
		if !slices.Equal(gotAlerts, wantAlerts) {
			t.Errorf("alerts: got %q, want %q", gotAlerts, wantAlerts)
		}
		if gotReads+dropped != reads || dropped == 0 || gotReads > 8+1 {
			t.Errorf("got %d reads and %d dropped, want %d in all, most of them dropped", gotReads, dropped, reads)
		}
		if lastRead != reads-1 {
			t.Errorf("newest read delivered: R%d, want R%d", lastRead, reads-1)
		}
		b.Close()
		<-done
		cancel()
		end := log.last(t)
		if want := fmt.Sprintf("%d reads, %d alerts, 0 dispositions delivered; %d reads dropped", gotReads, len(wantAlerts), dropped); end.Action != ctl.ActionWatchEnd || end.Object != want {
			t.Errorf("audit: got %s %q, want %s %q", end.Action, end.Object, ctl.ActionWatchEnd, want)
		}
	})
}

// TestSlowWatchConsumer checks the client's own buffer: a program that does
// not drain the channel does not stall the connection.
func TestSlowWatchConsumer(t *testing.T) {
	users := writeUsers(t, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		h := &ctltest.Handler{}
		srv, _ := ctl.New(ctl.Config{Users: users, Handler: h, Audit: func(record.Audit) {}, WatchBuffer: 1000})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := net.Pipe()
		go srv.ServeConn(ctx, a)
		c := ctl.NewClient(b)
		defer c.Close()
		if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "officer pw", Purpose: "patrol"}); err != nil {
			t.Fatal(err)
		}
		_, events, err := c.Watch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const reads = 2 * ctl.DefaultWatchBuffer
		for i := range reads {
			h.Publish(readEvent(fmt.Sprintf("R%d", i)))
		}
		h.Publish(alertEvent("a1", "A1"))
		synctest.Wait()
		// The connection still answers while the channel is full.
		if _, err := c.Status(ctx); err != nil {
			t.Fatal(err)
		}
		var got []string
		n, dropped := 0, 0
		for ev := range events {
			switch ev.Kind {
			case ctl.KindRead:
				n++
			case ctl.KindDropped:
				dropped += ev.Dropped
			case ctl.KindAlert:
				got = append(got, ev.Alert.ID)
			}
			if ev.Kind == ctl.KindAlert {
				break
			}
		}
		if n+dropped != reads || dropped == 0 || !slices.Equal(got, []string{"a1"}) {
			t.Errorf("got %d reads, %d dropped, alerts %q; want %d reads in all and a1", n, dropped, got, reads)
		}
		if !strings.HasPrefix(fmt.Sprint(c.Err()), "<nil>") {
			t.Errorf("connection ended: %v", c.Err())
		}
	})
}

// TestWatcherCutOff checks that a watcher that reads nothing while alerts
// pile up past the hard bound is disconnected rather than held in memory.
func TestWatcherCutOff(t *testing.T) {
	users := writeUsers(t, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		h := &ctltest.Handler{}
		srv, _ := ctl.New(ctl.Config{Users: users, Handler: h, Audit: func(record.Audit) {}, WatchBuffer: 1})
		a, b := net.Pipe()
		done := make(chan struct{})
		go func() {
			srv.ServeConn(context.Background(), a)
			close(done)
		}()
		br := bufio.NewReader(b)
		io.WriteString(b, `{"id":1,"op":"login","args":{"user":"olive","password":"officer pw","purpose":"patrol"}}`+"\n")
		br.ReadBytes('\n')
		io.WriteString(b, `{"id":2,"op":"watch"}`+"\n")
		br.ReadBytes('\n')
		for i := range 40 {
			h.Publish(alertEvent(fmt.Sprint(i), "P"))
		}
		<-done // ServeConn returned: the connection was cut
		if n := h.Watchers(); n != 0 {
			t.Errorf("watchers: got %d, want 0", n)
		}
		b.Close()
	})
}
