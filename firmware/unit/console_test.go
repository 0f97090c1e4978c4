package unit

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/mosquittotest"
	"alprd/firmware/record"
)

// TestConsole drives the unit through its control socket as alprctl does:
// an officer logs in with a purpose and a case, watches the reads, adds a
// hot list entry by hand for a car that has just passed (the retro-check
// raises an alert for it), disposes of the alert; HQ receives the alert, the
// disposition, the manual entry and an audit record per request; the entry
// is still there after a restart.
func TestConsole(t *testing.T) {
	broker := mosquittotest.Start(t).Addr
	frames, _ := synthFrames(t, 2, 11)
	u := testConfig(t, broker, frames)
	u.cfg.Camera.Loop = true
	u.cfg.Camera.FPS = 2
	line, err := ctl.UserLine("officer7", ctl.RoleOfficer, "correct horse", 1000)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(u.cfg.Console.Users, []byte(line+"\n"), 0o600)

	hq := newHQ(t, broker, u.kit.Opener)

	run := func(body func(c *ctl.Client)) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- RunWith(ctx, u.cfg, testLogger(t), Options{}) }()
		var c *ctl.Client
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if c, err = ctl.Dial(ctx, u.cfg.Console.Socket); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		if _, err := c.Login(ctx, ctl.LoginArgs{User: "officer7", Password: "correct horse", Purpose: "patrol", Case: "SHIFT-12"}); err != nil {
			t.Fatalf("login: %v", err)
		}
		body(c)
		c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	}

	var alertID, plate string
	run(func(c *ctl.Client) {
		ctx := t.Context()
		_, events, err := c.Watch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for ev := range events {
			if ev.Kind == ctl.KindRead && ev.Read != nil && len(ev.Read.Plate) >= 5 {
				plate = ev.Read.Plate
				if _, err := os.Stat(ev.CropPath); err != nil {
					t.Errorf("crop %q: %v", ev.CropPath, err)
				}
				break
			}
		}
		if plate == "" {
			t.Fatal("no read on the watch stream")
		}
		if _, err := c.AddEntry(ctx, record.HotEntry{Plate: plate, Type: "AA", Reason: "Amber alert, child seen in a grey sedan", Case: "AA-77",
			Expires: record.Millis(time.Now().Add(time.Hour))}); err != nil {
			t.Fatalf("add entry: %v", err)
		}
		for ev := range events {
			if ev.Kind == ctl.KindAlert && ev.Alert.Entry.Plate == plate {
				alertID = ev.Alert.ID
				if ev.Alert.Notice != record.Notice || ev.Alert.Entry.Source != record.SourceManual || ev.Alert.Entry.EnteredBy != "officer7" {
					t.Errorf("alert %+v", ev.Alert)
				}
				break
			}
		}
		if alertID == "" {
			t.Fatal("no alert for the manual entry")
		}
		d, err := c.Dispose(ctx, alertID, record.Confirmed, "vehicle stopped, child safe")
		if err != nil {
			t.Fatalf("dispose: %v", err)
		}
		if d.By != "officer7" || d.Outcome != record.Confirmed {
			t.Errorf("disposition %+v", d)
		}
		if _, err := c.Dispose(ctx, alertID, record.Misread, ""); err == nil {
			t.Error("second disposition of the same alert accepted")
		}
	})

	// The entry survives a restart.
	run(func(c *ctl.Client) {
		es, err := c.Entries(t.Context(), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Plate != plate || es[0].Case != "AA-77" || es[0].EnteredBy != "officer7" {
			t.Errorf("entries after restart: %+v", es)
		}
	})

	hq.wait("the alert, the disposition and the manual entry", func() bool {
		return hq.has("alerts", alertID) && hq.has("events", `"type":"disposition"`, `"outcome":"confirmed"`) &&
			hq.has("events", `"type":"hotlist.manual"`) && hq.has("audit", `"action":"hotlist.list"`)
	})
	for _, action := range []string{ctl.OpLogin, ctl.OpWatch, ctl.OpHotlistAdd, ctl.OpAlertDispose, ctl.OpHotlistList} {
		found := false
		for _, p := range hq.payloads("audit") {
			var a record.Audit
			json.Unmarshal([]byte(p), &a)
			if a.Action == action && a.User == "officer7" && a.Purpose == "patrol" && a.Case == "SHIFT-12" {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit record of %s by officer7 for patrol SHIFT-12 in %v", action, hq.payloads("audit"))
		}
	}
}
