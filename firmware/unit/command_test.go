package unit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alprd/firmware/command"
	"alprd/firmware/envelope"
	"alprd/firmware/mosquittotest"
	"alprd/firmware/pipeline"
	"alprd/firmware/record"
)

// TestCommands: HQ asks for a self-test (the report comes on selftest,
// reason "command"); the same command again, a forged one and one for
// another unit are refused and reported on events; a rotate-key command
// makes the unit seal to HQ's new key, which HQ opens with the new epoch.
func TestCommands(t *testing.T) {
	broker := mosquittotest.Start(t).Addr
	frames, _ := synthFrames(t, 2, 11)
	u := testConfig(t, broker, frames)
	u.cfg.Camera.Loop = true
	u.cfg.Camera.FPS = 4

	newKey, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		t.Fatal(err)
	}
	newPub, _ := envelope.MarshalHQPublicKey(newKey.PublicKey())
	oldPEM, err := os.ReadFile(filepath.Join(u.kit.Root, "hq-keys", "epoch-1.key"))
	if err != nil {
		t.Fatal(err)
	}
	oldKey, err := envelope.ParseHQPrivateKey(oldPEM)
	if err != nil {
		t.Fatal(err)
	}

	u.kit.Opener = envelope.NewOpener(envelope.HQKeyMap{1: oldKey, 2: newKey}, envelope.DeviceKeyMap{"test-unit": u.kit.Device})
	hq := newHQ(t, broker, u.kit.Opener)
	results := func() []command.Result {
		var rs []command.Result
		for _, p := range hq.payloads("events") {
			var r command.Result
			if json.Unmarshal([]byte(p), &r); r.Type == "command" {
				rs = append(rs, r)
			}
		}
		return rs
	}
	selftests := func() []record.SelfTest {
		var sts []record.SelfTest
		for _, p := range hq.payloads("selftest") {
			var st record.SelfTest
			json.Unmarshal([]byte(p), &st)
			sts = append(sts, st)
		}
		return sts
	}

	sign := func(name string, seq uint64, device string, args any) []byte {
		now := time.Now()
		c := command.Command{Device: device, Name: name, Seq: seq, Issued: now, Expires: now.Add(time.Hour)}
		if args != nil {
			c.Args, _ = json.Marshal(args)
		}
		b, err := command.Sign(c, u.kit.Signing)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	send := func(name string, b []byte) { hq.publish("cmd/"+name, false, b) }

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- RunWith(ctx, u.cfg, testLogger(t), Options{Started: func(*pipeline.Pipeline) { close(started) }})
	}()
	<-started
	hq.wait("start self-test", func() bool { return len(selftests()) > 0 }) // the unit is subscribed

	selftest := sign("selftest", 5, "test-unit", nil)
	send("selftest", selftest)
	hq.wait("command results", func() bool { return len(results()) >= 1 })
	send("selftest", selftest) // replayed
	forged := []byte(strings.Replace(string(sign("selftest", 6, "test-unit", nil)), `"seq\":6`, `"seq\":7`, 1))
	send("selftest", forged)
	send("selftest", sign("selftest", 8, "other-unit", nil))
	hq.wait("command results", func() bool { return len(results()) >= 4 })
	send("rotate-key", sign("rotate-key", 9, "test-unit", command.RotateKeyArgs{Epoch: 2, PublicKey: string(newPub)}))
	hq.wait("command results", func() bool { return len(results()) >= 5 })
	send("selftest", sign("selftest", 10, "test-unit", nil)) // its report is sealed to epoch 2
	hq.wait("a message sealed to epoch 2", func() bool {
		for _, m := range hq.all() {
			if m.epoch == 2 {
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	want := []struct {
		ok     bool
		reason string
	}{{true, ""}, {false, "replayed"}, {false, "bad-signature"}, {false, "wrong-device"}, {true, ""}}
	for i, w := range want {
		r := results()[i]
		if r.OK != w.ok || (w.reason != "" && r.Reason != w.reason) {
			t.Errorf("result %d = %+v, want ok %v reason %q", i, r, w.ok, w.reason)
		}
	}
	if sts := selftests(); len(sts) < 2 || sts[0].Reason != "start" || sts[1].Reason != "command" {
		t.Errorf("self-tests %+v, want one at start then one on command", sts)
	}
}
