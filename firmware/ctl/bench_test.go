package ctl_test

import (
	"context"
	"fmt"
	"testing"

	"alprd/firmware/ctl"
)

// BenchmarkStatus measures one request and its response over the socket.
func BenchmarkStatus(b *testing.B) {
	f := serveB(b)
	c, err := ctl.Dial(context.Background(), f.socket)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: password("olive"), Purpose: "bench"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatchEvent measures an event from the Handler to a watching
// client.
func BenchmarkWatchEvent(b *testing.B) {
	f := serveB(b)
	c, err := ctl.Dial(context.Background(), f.socket)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: password("olive"), Purpose: "bench"}); err != nil {
		b.Fatal(err)
	}
	_, events, err := c.Watch(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ev := alertEvent("a", "7ABC123") // alerts: never dropped, so each is received
	i := 0
	for b.Loop() {
		ev.Alert.ID = fmt.Sprint(i)
		i++
		f.h.Publish(ev)
		<-events
	}
}
