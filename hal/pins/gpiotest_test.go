package pins_test

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"alprd/hal/pins"
)

// TestRolesOverPeriphGPIOTest drives every role through periph's own fake pin,
// gpiotest.Pin, so the roles are known to work with any gpio.PinIO, not only
// with pinstest's fake.
func TestRolesOverPeriphGPIOTest(t *testing.T) {
	ir := &gpiotest.Pin{N: "IR", Num: 18}
	led := &gpiotest.Pin{N: "LED", Num: 23}
	buz := &gpiotest.Pin{N: "BUZ", Num: 24}
	tam := &gpiotest.Pin{N: "TAMPER", Num: 25, EdgesChan: make(chan gpio.Level, 4)}
	set := pins.NewSet(ir, led, buz, tam)
	if err := set.Init(); err != nil {
		t.Fatalf("Init: %v", err)
	}
	level := func(p *gpiotest.Pin) gpio.Level { p.Lock(); defer p.Unlock(); return p.L }

	if err := set.Illuminator.On(); err != nil {
		t.Fatal(err)
	}
	if got := level(ir); got != gpio.High {
		t.Errorf("illuminator after On: got %v, want High", got)
	}
	if err := set.Illuminator.Strobe(time.Millisecond); err != nil {
		t.Fatalf("Strobe: %v", err)
	}
	if got := level(ir); got != gpio.Low {
		t.Errorf("illuminator after Strobe: got %v, want Low", got)
	}
	set.Illuminator.On()
	set.LED.Set(true)
	if got := level(led); got != gpio.High {
		t.Errorf("LED after Set(true): got %v, want High", got)
	}
	if tam.P != gpio.PullUp {
		t.Errorf("tamper pull: got %v, want PullUp", tam.P)
	}

	// The enclosure is shut: the switch holds the input low against the
	// pull-up (which gpiotest models by setting L high in In).
	tam.Lock()
	tam.L = gpio.Low
	tam.Unlock()

	// The enclosure opens: the switch releases and the pull-up reads high.
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan bool, 4)
	done := make(chan error, 1)
	go func() { done <- set.Tamper.Watch(ctx, func(opened bool) { events <- opened }) }()
	if got := <-events; got {
		t.Errorf("tamper at start: got opened, want shut")
	}
	tam.Lock()
	tam.L = gpio.High
	tam.Unlock()
	tam.EdgesChan <- gpio.High
	select {
	case got := <-events:
		if !got {
			t.Error("tamper after the edge: got shut, want opened")
		}
	case <-time.After(10 * time.Second):
		t.Error("tamper: no event after the edge")
	}
	cancel()
	<-done

	// Shutdown leaves every output low.
	if err := set.Halt(); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	for name, p := range map[string]*gpiotest.Pin{"illuminator": ir, "led": led, "buzzer": buz} {
		if got := level(p); got != gpio.Low {
			t.Errorf("%s after Halt: got %v, want Low", name, got)
		}
	}
}
