package pins

import (
	"context"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Debounce is how long the tamper switch must stay still after an edge before
// its level is believed.
const Debounce = 20 * time.Millisecond

// maxSettle bounds the debounce of a switch that keeps bouncing (or a noisy
// line): after this long the level is read anyway.
const maxSettle = 10 * Debounce

// pollEvery is the WaitForEdge timeout in Watch: how often it checks ctx and
// re-reads the level, in case an edge was lost.
const pollEvery = 100 * time.Millisecond

// Tamper is the enclosure switch on an input with the internal pull-up. The
// switch connects the pin to ground while the enclosure is shut, so the pin
// reads low when shut and high when open; a cut wire also reads open.
type Tamper struct {
	pin gpio.PinIn

	mu       sync.Mutex
	watching bool
}

// NewTamper returns the tamper switch on p. It does no I/O: call Init.
func NewTamper(p gpio.PinIn) *Tamper {
	return &Tamper{pin: p}
}

// Init makes the pin an input with the pull-up and edge detection on both
// edges.
func (t *Tamper) Init() error {
	if err := t.pin.In(gpio.PullUp, gpio.BothEdges); err != nil {
		return fmt.Errorf("pins: tamper %s init: %w", t.pin.Name(), err)
	}
	return nil
}

// Opened reads the pin: true (high) when the enclosure is open.
func (t *Tamper) Opened() bool { return t.pin.Read() == gpio.High }

// Watch calls fn once with the current state, then after every change of
// state, until ctx is done; then it returns ctx.Err(), within about 100 ms.
// A change counts once the switch has been still for Debounce, so bounces and
// glitches shorter than that are not reported. fn runs on Watch's goroutine
// and should return quickly. Only one Watch may run at a time: another returns
// an error at once.
func (t *Tamper) Watch(ctx context.Context, fn func(opened bool)) error {
	t.mu.Lock()
	if t.watching {
		t.mu.Unlock()
		return fmt.Errorf("pins: tamper %s watch: already watching", t.pin.Name())
	}
	t.watching = true
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.watching = false
		t.mu.Unlock()
	}()

	last := t.Opened()
	fn(last)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		edge := t.pin.WaitForEdge(pollEvery)
		if !edge && t.Opened() == last {
			continue
		}
		// Something moved: wait until the edges stop for Debounce.
		deadline := time.Now().Add(maxSettle)
		for ctx.Err() == nil && time.Now().Before(deadline) && t.pin.WaitForEdge(Debounce) {
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if now := t.Opened(); now != last {
			last = now
			fn(now)
		}
	}
}

// String returns "tamper(PIN)".
func (t *Tamper) String() string { return "tamper(" + t.pin.Name() + ")" }

// Halt does nothing: an input drives nothing. A Watch stops with its context.
func (t *Tamper) Halt() error { return nil }
