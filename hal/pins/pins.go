// Package pins drives the unit's GPIO devices by role, over periph.io's gpio
// interfaces: the IR Illuminator, the status LED, the Buzzer (outputs, active
// high) and the enclosure Tamper switch (input with pull-up, high = open).
//
// Each device is built with a constructor that does no I/O (NewIlluminator,
// NewLED, NewBuzzer, NewTamper) and made ready with Init, which drives
// outputs low and configures the input. Open does both for real hardware,
// finding the pins by name after periph's host.Init; hal/pins/pinstest builds
// a Set over fake pins for tests and the simulator.
//
// Every device has Halt, which leaves it inert: the illuminator, LED and
// buzzer off and any pattern or pulse stopped. All methods are safe for
// concurrent use.
package pins

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// ErrInterrupted is returned by a blocking pulse (Illuminator.Strobe,
// Buzzer.Beep) that another call on the same device cut short: Halt, Off, On
// or a newer pulse. The newer call owns the pin; the interrupted one does not
// touch it again.
var ErrInterrupted = errors.New("pins: interrupted")

// Step is one part of a Pattern: the output's level and how long it is held.
// A zero D holds the level until the pattern is changed.
type Step struct {
	On bool
	D  time.Duration
}

// Pattern is an on/off sequence. An LED repeats it until given another; a
// buzzer plays it once. A step with D == 0 ends the sequence and holds its
// level (Solid, Off). The predefined patterns are shared: do not modify them.
type Pattern struct {
	Name  string // for logs, e.g. "slow-blink"
	Steps []Step
}

// String returns the pattern's name.
func (p Pattern) String() string { return p.Name }

// validate reports a pattern that cannot be played.
func (p Pattern) validate() error {
	if len(p.Steps) == 0 {
		return fmt.Errorf("pattern %q: no steps", p.Name)
	}
	for i, s := range p.Steps {
		if s.D < 0 {
			return fmt.Errorf("pattern %q: step %d: negative duration %v", p.Name, i, s.D)
		}
	}
	return nil
}

// holds reports whether the pattern ends in a held level rather than timing out.
func (p Pattern) holds() bool {
	for _, s := range p.Steps {
		if s.D == 0 {
			return true
		}
	}
	return false
}

// Patterns for the status LED and the buzzer. The LED meanings are the
// house convention; the buzzer ones are for alerts.
var (
	// Off is dark, held.
	Off = Pattern{"off", []Step{{false, 0}}}
	// Solid is lit, held: running normally.
	Solid = Pattern{"solid", []Step{{true, 0}}}
	// SlowBlink is 0.5 s on, 0.5 s off: starting up or self-test running.
	SlowBlink = Pattern{"slow-blink", []Step{{true, 500 * time.Millisecond}, {false, 500 * time.Millisecond}}}
	// FastBlink is 0.1 s on, 0.1 s off: fault.
	FastBlink = Pattern{"fast-blink", []Step{{true, 100 * time.Millisecond}, {false, 100 * time.Millisecond}}}
	// DoubleBlink is two 0.1 s flashes each second: running but degraded
	// (no GPS fix, camera retrying).
	DoubleBlink = Pattern{"double-blink", []Step{
		{true, 100 * time.Millisecond}, {false, 100 * time.Millisecond},
		{true, 100 * time.Millisecond}, {false, 700 * time.Millisecond},
	}}

	// Chirp is one 80 ms beep: acknowledgement.
	Chirp = Pattern{"chirp", []Step{{true, 80 * time.Millisecond}}}
	// DoubleBeep is two 150 ms beeps: hit on a watch list.
	DoubleBeep = Pattern{"double-beep", []Step{
		{true, 150 * time.Millisecond}, {false, 100 * time.Millisecond}, {true, 150 * time.Millisecond},
	}}
	// LongBeep is one 1 s beep: high-priority alert or tamper.
	LongBeep = Pattern{"long-beep", []Step{{true, time.Second}}}
)

// output is an active-high GPIO output shared by the devices. Every change of
// owner (a set, a new pulse or pattern) starts a new generation and closes
// the previous generation's stop channel, so whoever was driving the pin
// before stops touching it.
type output struct {
	pin  gpio.PinOut
	role string // "illuminator", for errors

	mu    sync.Mutex
	level bool
	gen   uint64
	stop  chan struct{} // closed when gen moves on; nil before the first take
}

// takeLocked starts a new generation and returns it with its stop channel.
// o.mu must be held.
func (o *output) takeLocked() (uint64, <-chan struct{}) {
	if o.stop != nil {
		close(o.stop)
	}
	o.stop = make(chan struct{})
	o.gen++
	return o.gen, o.stop
}

// writeLocked drives the pin. o.mu must be held.
func (o *output) writeLocked(on bool, op string) error {
	if err := o.pin.Out(gpio.Level(on)); err != nil {
		return fmt.Errorf("pins: %s %s %s: %w", o.role, o.pin.Name(), op, err)
	}
	o.level = on
	return nil
}

// set takes the pin and drives it to on.
func (o *output) set(on bool, op string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.takeLocked()
	return o.writeLocked(on, op)
}

// writeIf drives the pin if generation gen still owns it, and returns
// ErrInterrupted if not.
func (o *output) writeIf(gen uint64, on bool, op string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gen != gen {
		return ErrInterrupted
	}
	return o.writeLocked(on, op)
}

// isOn reports the level last written.
func (o *output) isOn() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.level
}

// play takes the pin and plays steps once, then drives it low. Steps with
// D == 0 are not allowed here. It returns ErrInterrupted when another call
// takes the pin, and ctx.Err() (after driving the pin low) when ctx is done.
func (o *output) play(ctx context.Context, steps []Step, op string) error {
	o.mu.Lock()
	gen, stop := o.takeLocked()
	o.mu.Unlock()
	for _, s := range steps {
		if err := o.writeIf(gen, s.On, op); err != nil {
			return err
		}
		if err := wait(ctx, stop, s.D); err != nil {
			if errors.Is(err, ErrInterrupted) {
				return err
			}
			if werr := o.writeIf(gen, false, op); werr != nil && !errors.Is(werr, ErrInterrupted) {
				return errors.Join(err, werr)
			}
			return err
		}
	}
	return o.writeIf(gen, false, op)
}

// wait sleeps d, or returns ErrInterrupted when stop is closed, or ctx.Err().
func wait(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-stop:
		return ErrInterrupted
	case <-ctx.Done():
		return ctx.Err()
	}
}
