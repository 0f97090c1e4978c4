package pins

import (
	"context"
	"errors"
	"fmt"

	"periph.io/x/conn/v3/gpio"
)

// LED is the status LED on an active-high output: high = lit. It shows a
// Pattern, repeated by the goroutine that calls Run.
type LED struct {
	out output
	// Guarded by out.mu.
	pattern Pattern
	running bool
}

// NewLED returns the status LED on p, with pattern Off. It does no I/O: call
// Init, and Run for timed patterns.
func NewLED(p gpio.PinOut) *LED {
	return &LED{out: output{pin: p, role: "status_led"}, pattern: Off}
}

// Init drives the pin low and sets pattern Off.
func (l *LED) Init() error { return l.setPattern(Off, "init") }

// Set lights the LED or puts it out, held: it is Pattern(Solid) or
// Pattern(Off).
func (l *LED) Set(on bool) error {
	if on {
		return l.setPattern(Solid, "set on")
	}
	return l.setPattern(Off, "set off")
}

// Pattern makes the LED show p from its first step, repeating it until the
// next Set, Pattern or Halt. It writes the first step's level at once; the
// timing of the following steps needs Run. A step with D == 0 ends the
// sequence and holds its level.
func (l *LED) Pattern(p Pattern) error {
	return l.setPattern(p, "pattern "+p.Name)
}

func (l *LED) setPattern(p Pattern, op string) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("pins: status_led %s %s: %w", l.out.pin.Name(), op, err)
	}
	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	l.out.takeLocked()
	l.pattern = p
	return l.out.writeLocked(p.Steps[0].On, op)
}

// Current returns the pattern the LED shows.
func (l *LED) Current() Pattern {
	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	return l.pattern
}

// IsOn reports whether the LED is lit at this moment.
func (l *LED) IsOn() bool { return l.out.isOn() }

// Run drives the current pattern's timing, starting each new pattern from its
// first step, until ctx is done; then it returns ctx.Err() and leaves the LED
// as it is (call Halt to put it out). It returns early with an error if the
// pin cannot be written, or if another Run is already going.
func (l *LED) Run(ctx context.Context) error {
	l.out.mu.Lock()
	if l.running {
		l.out.mu.Unlock()
		return fmt.Errorf("pins: status_led %s run: already running", l.out.pin.Name())
	}
	l.running = true
	if l.out.stop == nil {
		l.out.takeLocked()
	}
	l.out.mu.Unlock()
	defer func() {
		l.out.mu.Lock()
		l.running = false
		l.out.mu.Unlock()
	}()

	for {
		l.out.mu.Lock()
		p, gen, stop := l.pattern, l.out.gen, l.out.stop
		l.out.mu.Unlock()

		err := l.show(ctx, p, gen, stop)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, ErrInterrupted) {
			return err
		}
	}
}

// show plays p over and over while generation gen owns the pin. It returns
// ErrInterrupted when the pattern changes.
func (l *LED) show(ctx context.Context, p Pattern, gen uint64, stop <-chan struct{}) error {
	op := "pattern " + p.Name
	for i := 0; ; i = (i + 1) % len(p.Steps) {
		s := p.Steps[i]
		if err := l.out.writeIf(gen, s.On, op); err != nil {
			return err
		}
		if s.D == 0 {
			select {
			case <-stop:
				return ErrInterrupted
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := wait(ctx, stop, s.D); err != nil {
			return err
		}
	}
}

// String returns "status_led(PIN)".
func (l *LED) String() string { return "status_led(" + l.out.pin.Name() + ")" }

// Halt puts the LED out and sets pattern Off; a Run keeps going, showing Off.
func (l *LED) Halt() error { return l.setPattern(Off, "halt") }
