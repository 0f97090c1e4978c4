package unit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"alprd/firmware/pipeline"
	"alprd/firmware/record"
	"alprd/firmware/spool"
	"alprd/firmware/uplink"
	"alprd/hal/pins"
)

// selfTester checks every part of the unit, shows the verdict on the status
// LED and reports it to HQ on the selftest topic.
type selfTester struct {
	svc *services
	hw  *pins.Set
	p   *pipeline.Pipeline
}

// earliest is a time the unit's clock cannot be before once it is set: the
// firmware did not exist earlier.
var earliest = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// run checks every part and returns the report.
func (t *selfTester) run(reason string) record.SelfTest {
	s := t.svc
	now := time.Now()
	rep := record.SelfTest{V: 1, ID: record.NewID(), Device: s.cfg.Device, Firmware: Version, Time: record.Millis(now.UTC()), Reason: reason, OK: true}
	add := func(name string, fatal, ok bool, format string, a ...any) {
		rep.Checks = append(rep.Checks, record.Check{Name: name, OK: ok, Fatal: fatal && !ok, Detail: fmt.Sprintf(format, a...)})
		rep.OK = rep.OK && ok
	}

	last := t.p.LastFrame()
	stall := s.cfg.Watchdog.Stall.Duration
	add("camera", true, !last.IsZero() && now.Sub(last) < stall, "last frame %s ago (limit %s)", age(now, last), stall)

	switch s.cfg.Illuminator.Mode {
	case "off":
		add("illuminator", false, true, "off by configuration")
	case "on":
		add("illuminator", false, t.hw.Illuminator.IsOn(), "steady on: output %v", t.hw.Illuminator.IsOn())
	default:
		err := t.hw.Illuminator.Strobe(100 * time.Microsecond)
		add("illuminator", false, err == nil, "strobe pulse: %v", errText(err))
	}

	st := t.p.Stats()
	add("ocr", true, st.Processed > 0, "%d frames read, %d reads", st.Processed, st.Reads)

	probe := []byte(now.Format(time.RFC3339Nano))
	err := s.vault.WriteFile("selftest", probe)
	var back []byte
	if err == nil {
		back, err = s.vault.ReadFile("selftest")
	}
	sp := s.sp.Stats()
	add("storage", true, err == nil && bytes.Equal(back, probe), "sealed write and read back: %v; spool %d pending, %d reads dropped", errText(err), sp.Pending, sp.Dropped[spool.Read])

	add("clock", true, now.After(earliest), "%s", now.UTC().Format(time.RFC3339))

	add("link", false, s.up.Connected(), "broker %s connected: %v; %d messages waiting", s.cfg.MQTT.Broker, s.up.Connected(), sp.Pending)

	hs := s.hot.Status()
	fresh := hs.Version > 0 && now.Sub(hs.Created) <= s.cfg.Hotlist.MaxAge.Duration
	detail := "no list from HQ"
	if hs.Version > 0 {
		detail = fmt.Sprintf("version %d, %.1f h old (limit %.0f h), %d entries, %d manual", hs.Version, now.Sub(hs.Created).Hours(), s.cfg.Hotlist.MaxAge.Hours(), hs.Entries, hs.Manual)
	}
	add("hotlist", false, fresh, "%s", detail)
	return rep
}

// show puts the verdict on the status LED: solid when every check passed,
// a double blink when the unit works degraded, a fast blink on a fault.
func (t *selfTester) show(rep record.SelfTest) {
	p := pins.Solid
	for _, c := range rep.Checks {
		if c.Fatal {
			p = pins.FastBlink
			break
		}
		if !c.OK {
			p = pins.DoubleBlink
		}
	}
	if err := t.hw.LED.Pattern(p); err != nil {
		t.svc.log.Error("status LED", "err", err)
	}
}

// report runs the self-test, shows it and sends it to HQ.
func (t *selfTester) report(reason string) record.SelfTest {
	rep := t.run(reason)
	t.show(rep)
	if rep.OK {
		t.svc.log.Info("self-test passed", "reason", reason)
	} else {
		t.svc.log.Warn("self-test failed", "reason", reason, "checks", rep.Checks)
	}
	b, _ := json.Marshal(rep)
	if err := t.svc.out.send(uplink.Selftest, spool.Audit, b); err != nil {
		t.svc.log.Error("self-test report not stored", "err", err)
	}
	return rep
}

// atStart runs the self-test once the first frames went through (or after
// a minute without), then keeps the LED showing the unit's state.
func (t *selfTester) atStart(ctx context.Context) {
	t.hw.LED.Pattern(pins.SlowBlink)
	deadline := time.Now().Add(time.Minute)
	for t.p.Stats().Processed == 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.report("start")
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return now.Sub(t).Round(time.Millisecond).String()
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
