package pins

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// MaxStrobe is the longest pulse Strobe accepts. Exposures are milliseconds;
// a longer pulse is a bug, and IR LEDs driven hard for a strobe overheat if
// held on.
const MaxStrobe = time.Second

// Illuminator is the IR illuminator, on an active-high output (the pin drives
// the LED driver; high = light on).
type Illuminator struct {
	out output
}

// NewIlluminator returns the illuminator on p. It does no I/O: call Init.
func NewIlluminator(p gpio.PinOut) *Illuminator {
	return &Illuminator{out: output{pin: p, role: "illuminator"}}
}

// Init drives the pin low: illuminator off.
func (i *Illuminator) Init() error { return i.out.set(false, "init") }

// On turns the illuminator on and leaves it on (continuous mode). It cuts
// short a Strobe in progress.
func (i *Illuminator) On() error { return i.out.set(true, "on") }

// Off turns the illuminator off. It cuts short a Strobe in progress.
func (i *Illuminator) Off() error { return i.out.set(false, "off") }

// Strobe lights the illuminator for d, then turns it off. It blocks for d:
// call it when the exposure starts, from the goroutine that times exposures.
// 0 < d <= MaxStrobe. It returns ErrInterrupted if On, Off, Halt or another
// Strobe took over meanwhile (the illuminator is then as that call left it).
// The illuminator is off after Strobe returns nil.
func (i *Illuminator) Strobe(d time.Duration) error {
	if d <= 0 || d > MaxStrobe {
		return fmt.Errorf("pins: illuminator %s strobe %v: want 0 < d <= %v", i.out.pin.Name(), d, MaxStrobe)
	}
	return i.out.play(context.Background(), []Step{{true, d}}, "strobe")
}

// IsOn reports whether the illuminator is lit (on, or during a strobe).
func (i *Illuminator) IsOn() bool { return i.out.isOn() }

// String returns "illuminator(PIN)".
func (i *Illuminator) String() string { return "illuminator(" + i.out.pin.Name() + ")" }

// Halt turns the illuminator off and stops any strobe.
func (i *Illuminator) Halt() error { return i.out.set(false, "halt") }
