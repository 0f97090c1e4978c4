package pins

import (
	"context"
	"fmt"

	"periph.io/x/conn/v3/gpio"
)

// Buzzer is an active (self-oscillating) buzzer on an active-high output:
// high = sounding. Tones are not generated; patterns switch it on and off.
type Buzzer struct {
	out output
}

// NewBuzzer returns the buzzer on p. It does no I/O: call Init.
func NewBuzzer(p gpio.PinOut) *Buzzer {
	return &Buzzer{out: output{pin: p, role: "buzzer"}}
}

// Init drives the pin low: silent.
func (b *Buzzer) Init() error { return b.out.set(false, "init") }

// Beep plays p once and blocks until it is over; the buzzer is silent when
// Beep returns. A newer Beep or Halt cuts it short and makes it return
// ErrInterrupted; ctx being done cuts it short and makes it return ctx.Err().
// Patterns that hold a level (a step with D == 0, like Solid) are refused so
// that the buzzer cannot be left sounding.
func (b *Buzzer) Beep(ctx context.Context, p Pattern) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("pins: buzzer %s beep: %w", b.out.pin.Name(), err)
	}
	if p.holds() {
		return fmt.Errorf("pins: buzzer %s beep: pattern %q holds a level, want timed steps only", b.out.pin.Name(), p.Name)
	}
	return b.out.play(ctx, p.Steps, "beep "+p.Name)
}

// IsOn reports whether the buzzer is sounding.
func (b *Buzzer) IsOn() bool { return b.out.isOn() }

// String returns "buzzer(PIN)".
func (b *Buzzer) String() string { return "buzzer(" + b.out.pin.Name() + ")" }

// Halt silences the buzzer and stops any Beep in progress.
func (b *Buzzer) Halt() error { return b.out.set(false, "halt") }
