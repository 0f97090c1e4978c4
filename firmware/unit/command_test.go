package unit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/command"
	"alprd/firmware/envelope"
	"alprd/firmware/internal/mosquittotest"
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
	opener := envelope.NewOpener(envelope.HQKeyMap{1: oldKey, 2: newKey}, envelope.DeviceKeyMap{"test-unit": u.kit.Device})

	hq := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID("hq-test"))
	if tok := hq.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer hq.Disconnect(50)
	var mu sync.Mutex
	var results []command.Result
	var reasons []string // self-test reasons
	epochs := map[uint32]int{}
	hq.Subscribe("alpr/v1/test-unit/+", 1, func(_ paho.Client, m paho.Message) {
		kind := m.Topic()[strings.LastIndex(m.Topic(), "/")+1:]
		if kind == "state" {
			return
		}
		h, err := envelope.ParseHeader(m.Payload())
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			return
		}
		mu.Lock()
		epochs[h.Epoch]++
		mu.Unlock()
		_, p, err := opener.Open(m.Payload())
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch kind {
		case "events":
			var r command.Result
			if json.Unmarshal(p, &r); r.Type == "command" {
				results = append(results, r)
			}
		case "selftest":
			var st record.SelfTest
			json.Unmarshal(p, &st)
			reasons = append(reasons, st.Reason)
		}
	}).WaitTimeout(10 * time.Second)

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
	send := func(name string, b []byte) {
		hq.Publish("alpr/v1/test-unit/cmd/"+name, 1, false, b).WaitTimeout(5 * time.Second)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- RunWith(ctx, u.cfg, testLogger(t), Options{Started: func(*pipeline.Pipeline) { close(started) }})
	}()
	<-started
	waitFor(t, &mu, func() bool { return len(reasons) > 0 }) // the start self-test: the unit is subscribed

	selftest := sign("selftest", 5, "test-unit", nil)
	send("selftest", selftest)
	waitFor(t, &mu, func() bool { return len(results) >= 1 })
	send("selftest", selftest) // replayed
	forged := []byte(strings.Replace(string(sign("selftest", 6, "test-unit", nil)), `"seq\":6`, `"seq\":7`, 1))
	send("selftest", forged)
	send("selftest", sign("selftest", 8, "other-unit", nil))
	waitFor(t, &mu, func() bool { return len(results) >= 4 })
	send("rotate-key", sign("rotate-key", 9, "test-unit", command.RotateKeyArgs{Epoch: 2, PublicKey: string(newPub)}))
	waitFor(t, &mu, func() bool { return len(results) >= 5 })
	send("selftest", sign("selftest", 10, "test-unit", nil)) // its report is sealed to epoch 2
	waitFor(t, &mu, func() bool { return epochs[2] > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []struct {
		ok     bool
		reason string
	}{{true, ""}, {false, "replayed"}, {false, "bad-signature"}, {false, "wrong-device"}, {true, ""}}
	for i, w := range want {
		r := results[i]
		if r.OK != w.ok || (w.reason != "" && r.Reason != w.reason) {
			t.Errorf("result %d = %+v, want ok %v reason %q", i, r, w.ok, w.reason)
		}
	}
	if len(reasons) < 2 || reasons[1] != "command" {
		t.Errorf("self-test reasons %v, want start then command", reasons)
	}
}
