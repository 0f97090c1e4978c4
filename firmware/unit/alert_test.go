package unit

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"alprd/firmware/command"
	"alprd/firmware/hotlist"
	"alprd/firmware/mosquittotest"
	"alprd/firmware/record"
)

// TestHotlistAlert: HQ pushes a signed hot list (retained, on cmd/hotlist)
// naming one of the plates the camera will see; the unit raises an alert for
// it, which HQ receives and opens, with the notice and the entry, ahead of
// the read it is about; a list with a broken signature is refused and
// reported.
func TestHotlistAlert(t *testing.T) {
	broker := mosquittotest.Start(t).Addr
	frames, truth := synthFrames(t, 3, 7)
	u := testConfig(t, broker, frames)
	u.cfg.Camera.FPS = 1 // time for the list to arrive before the plates pass
	wanted := truth[2]

	hq := newHQ(t, broker, u.kit.Opener)

	now := time.Now().UTC()
	var body bytes.Buffer
	hotlist.WriteBody(&body, []hotlist.Row{{Op: hotlist.OpAdd, Entry: record.HotEntry{
		Plate: wanted, Type: "AA", Reason: "Amber alert", Case: "AA-2026-7", Agency: "CA0010000", EnteredBy: "hq", Entered: record.Millis(now),
	}}})
	file, err := hotlist.Sign(hotlist.Header{Kind: hotlist.KindSnapshot, Version: 7, Created: now}, body.Bytes(), u.kit.Signing)
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(bytes.Clone(file), []byte("Amber alert"), []byte("Amber alarm"), 1)
	hq.publish("cmd/hotlist", true, hotlistCommand(t, u, 1, file))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunWith(ctx, u.cfg, testLogger(t), Options{}) }()
	hq.wait("hot list event", func() bool { return hq.has("events", `"type":"hotlist.applied"`) })
	// A command correctly signed, carrying a list whose own signature fails.
	hq.publish("cmd/hotlist", false, hotlistCommand(t, u, 2, forged))
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	hq.wait("refusal of the forged list", func() bool { return hq.has("events", `"type":"hotlist.refused"`) })

	var alerts []record.Alert
	var order []string // "alert:<read id>" and "read:<read id>" as they arrived
	for _, m := range hq.all() {
		switch m.kind {
		case "alerts":
			var a record.Alert
			json.Unmarshal(m.payload, &a)
			alerts = append(alerts, a)
			order = append(order, "alert:"+a.Read.ID)
		case "reads":
			r, _ := record.Decode(m.payload)
			order = append(order, "read:"+r.ID)
		}
	}
	if len(alerts) == 0 {
		t.Fatalf("no alert for %s; arrivals %v", wanted, order)
	}
	a := alerts[0]
	if a.Notice != record.Notice || a.Entry.Case != "AA-2026-7" || a.Entry.Type != "AA" || a.Entry.Source != record.SourceHQ || a.Read.ID == "" {
		t.Errorf("alert = notice %q entry %+v read %q", a.Notice, a.Entry, a.Read.ID)
	}
	ia, ir := -1, -1
	for i, o := range order {
		if o == "alert:"+a.Read.ID && ia < 0 {
			ia = i
		}
		if o == "read:"+a.Read.ID && ir < 0 {
			ir = i
		}
	}
	if ia < 0 || ir < 0 || ia > ir {
		t.Errorf("alert at %d, its read at %d in %v: want the alert first", ia, ir, order)
	}
}

// hotlistCommand is HQ's signed command pushing a hot list file.
func hotlistCommand(t *testing.T, u testUnit, seq uint64, file []byte) []byte {
	t.Helper()
	args, _ := json.Marshal(command.HotlistArgs{File: file})
	now := time.Now()
	b, err := command.Sign(command.Command{Device: u.cfg.Device, Name: command.NameHotlist, Seq: seq, Issued: now, Expires: now.Add(time.Hour), Args: args}, u.kit.Signing)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
