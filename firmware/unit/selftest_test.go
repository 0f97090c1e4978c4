package unit

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"alprd/firmware/mosquittotest"
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

	hq := newHQ(t, broker, u.kit.Opener)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var fake *pinstest.Pins
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- RunWith(ctx, u.cfg, testLogger(t), Options{Pins: func(p *pinstest.Pins) { fake = p }, Started: func(*pipeline.Pipeline) { close(started) }})
	}()
	<-started
	hq.wait("self-test report", func() bool { return len(hq.payloads("selftest")) > 0 })
	var st record.SelfTest
	json.Unmarshal([]byte(hq.payloads("selftest")[0]), &st)
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
	hq.wait("tamper event", func() bool { return hq.has("events", `"type":"tamper"`) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
