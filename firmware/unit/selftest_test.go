package unit

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"periph.io/x/conn/v3/gpio"

	"alprd/firmware/internal/mosquittotest"
	"alprd/firmware/pipeline"
	"alprd/firmware/record"
	"alprd/hal/pins/pinstest"
)

// TestSelfTestAndTamper: at start the unit checks every part and reports it
// on selftest (no hot list yet: not OK, but nothing fatal, so the LED
// double-blinks); opening the enclosure is reported to HQ at once and turns
// the LED to the fault pattern.
func TestSelfTestAndTamper(t *testing.T) {
	broker := mosquittotest.Start(t).Addr
	frames, _ := synthFrames(t, 2, 11)
	u := testConfig(t, broker, frames)
	u.cfg.Camera.Loop = true
	u.cfg.Camera.FPS = 4

	hq := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID("hq-test"))
	if tok := hq.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer hq.Disconnect(50)
	var mu sync.Mutex
	var tests []record.SelfTest
	var events []string
	hq.Subscribe("alpr/v1/test-unit/+", 1, func(_ paho.Client, m paho.Message) {
		kind := m.Topic()[strings.LastIndex(m.Topic(), "/")+1:]
		if kind != "selftest" && kind != "events" {
			return
		}
		_, p, err := u.kit.Opener.Open(m.Payload())
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if kind == "events" {
			events = append(events, string(p))
			return
		}
		var st record.SelfTest
		json.Unmarshal(p, &st)
		tests = append(tests, st)
	}).WaitTimeout(10 * time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var fake *pinstest.Pins
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- RunWith(ctx, u.cfg, testLogger(t), Options{Pins: func(p *pinstest.Pins) { fake = p }, Started: func(*pipeline.Pipeline) { close(started) }})
	}()
	<-started
	waitFor(t, &mu, func() bool { return len(tests) > 0 })
	mu.Lock()
	st := tests[0]
	mu.Unlock()
	byName := map[string]record.Check{}
	for _, c := range st.Checks {
		byName[c.Name] = c
	}
	for _, name := range []string{"camera", "illuminator", "ocr", "storage", "clock", "link"} {
		if c, ok := byName[name]; !ok || !c.OK {
			t.Errorf("check %s = %+v, want OK", name, c)
		}
	}
	if c := byName["hotlist"]; c.OK || c.Fatal || st.OK {
		t.Errorf("hotlist check %+v, report OK %v: want a failed, non-fatal check without a list", c, st.OK)
	}
	if st.Reason != "start" || st.Device != "test-unit" {
		t.Errorf("report %+v", st)
	}
	if got := fake.LED.History(); len(got) == 0 {
		t.Error("the status LED was never driven")
	}

	fake.Tamper.Edge(gpio.High)
	waitFor(t, &mu, func() bool {
		for _, e := range events {
			if strings.Contains(e, `"type":"tamper"`) {
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// waitFor polls cond (under mu) for up to 30 s.
func waitFor(t *testing.T, mu *sync.Mutex, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
