package ctl_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/ctl/ctltest"
	"alprd/firmware/record"
)

// TestLoginDelay checks that failed logins are answered ever later, per
// connection and per user, and that a success forgives the user.
func TestLoginDelay(t *testing.T) {
	users := writeUsers(t, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		log := &auditLog{}
		srv, err := ctl.New(ctl.Config{Users: users, Handler: &ctltest.Handler{}, Audit: log.add,
			LoginDelay: time.Second, MaxLoginDelay: 8 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		conn := func() *ctl.Client {
			a, b := net.Pipe()
			go srv.ServeConn(ctx, a)
			c := ctl.NewClient(b)
			t.Cleanup(func() { c.Close() })
			return c
		}
		try := func(c *ctl.Client, user, pw string) (time.Duration, error) {
			start := time.Now()
			_, err := c.Login(ctx, ctl.LoginArgs{User: user, Password: pw, Purpose: "patrol"})
			return time.Since(start), err
		}
		c1 := conn()
		for i, want := range []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second} {
			if got, err := try(c1, "olive", "wrong"); got != want || !errors.Is(err, ctl.ErrAuth) {
				t.Errorf("connection 1, failure %d: answered after %v (%v), want %v", i+1, got, err, want)
			}
		}
		// A new connection: olive's fourth failure, and a capped fifth.
		c2 := conn()
		for i, want := range []time.Duration{8 * time.Second, 8 * time.Second} {
			if got, _ := try(c2, "olive", "wrong"); got != want {
				t.Errorf("connection 2, olive's failure %d: answered after %v, want %v", i+4, got, want)
			}
		}
		// Another user on a fresh connection starts at the bottom.
		if got, _ := try(conn(), "sue", "wrong"); got != time.Second {
			t.Errorf("sue's first failure: answered after %v, want 1s", got)
		}
		// Unknown users are delayed as well.
		c3 := conn()
		try(c3, "nobody", "x")
		if got, _ := try(c3, "nobody", "x"); got != 2*time.Second {
			t.Errorf("unknown user's second failure: answered after %v, want 2s", got)
		}
		// Success is not delayed and forgives the user.
		c4 := conn()
		if got, err := try(c4, "olive", "officer pw"); got != 0 || err != nil {
			t.Errorf("olive's login: answered after %v (%v), want at once", got, err)
		}
		if got, _ := try(conn(), "olive", "wrong"); got != time.Second {
			t.Errorf("olive's failure after a success: answered after %v, want 1s", got)
		}
		// Forgotten after a quiet quarter of an hour.
		time.Sleep(16 * time.Minute)
		if got, _ := try(conn(), "sue", "wrong"); got != time.Second {
			t.Errorf("sue's failure after 16 min: answered after %v, want 1s", got)
		}
		cancel()
	})
}

// TestLoginTimeout checks that a connection that does not log in is closed.
func TestLoginTimeout(t *testing.T) {
	users := writeUsers(t, t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		srv, _ := ctl.New(ctl.Config{Users: users, Handler: &ctltest.Handler{}, Audit: func(record.Audit) {}, LoginTimeout: time.Minute})
		a, b := net.Pipe()
		done := make(chan struct{})
		go func() {
			srv.ServeConn(context.Background(), a)
			close(done)
		}()
		start := time.Now()
		// Blank lines do not keep it open.
		for range 2 {
			time.Sleep(20 * time.Second)
			b.Write([]byte("\n"))
		}
		<-done
		if got := time.Since(start); got != time.Minute {
			t.Errorf("closed after %v, want 1m", got)
		}
		b.Close()
	})
}
