package ctl_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"alprd/firmware/ctl"
	"alprd/firmware/ctl/ctltest"
	"alprd/firmware/record"
)

// A daemon serves the control socket; a console logs in, watches and
// disposes of an alert.
func Example() {
	dir, _ := os.MkdirTemp("", "ctl")
	defer os.RemoveAll(dir)
	line, _ := ctl.UserLine("olive", ctl.RoleOfficer, "correct horse", 1000) // 0: the default 600,000
	os.WriteFile(filepath.Join(dir, "users"), []byte(line+"\n"), 0o600)

	h := &ctltest.Handler{} // the daemon implements ctl.Handler
	srv, err := ctl.New(ctl.Config{
		Socket:  filepath.Join(dir, "ctl.sock"),
		Users:   filepath.Join(dir, "users"),
		Device:  "unit-7",
		Handler: h,
		Audit:   func(a record.Audit) { fmt.Println("audit:", a.User, a.Action, a.Object, a.Result) },
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- srv.Serve(ctx) }()

	c, err := ctl.Dial(ctx, filepath.Join(dir, "ctl.sock"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "correct horse", Purpose: "patrol"}); err != nil {
		log.Fatal(err)
	}
	wctx, unwatch := context.WithCancel(ctx)
	_, events, err := c.Watch(wctx)
	if err != nil {
		log.Fatal(err)
	}
	h.Publish(ctl.Event{Kind: ctl.KindAlert, Alert: &record.Alert{ID: "a1", Notice: record.Notice}})
	ev := <-events
	d, err := c.Dispose(ctx, ev.Alert.ID, record.Confirmed, "stopped, verified by radio")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("disposed:", d.Alert, d.Outcome, "by", d.By)
	ev = <-events // every console learns of it
	fmt.Println("event:", ev.Kind, ev.Disposition.Alert)
	unwatch()
	for range events {
	}
	c.Close()
	stop()
	<-served
	// Output:
	// audit: olive login  ok
	// audit: olive watch reads,alerts ok
	// audit: olive alert.dispose a1 ok
	// disposed: a1 confirmed by olive
	// event: disposition a1
	// audit: olive watch.end 0 reads, 1 alerts, 1 dispositions delivered; 0 reads dropped ok
	// audit: olive unwatch  ok
}
