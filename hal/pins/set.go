package pins

import (
	"errors"
	"fmt"
	"os"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"alprd/board"
)

// Set is every GPIO device of the unit.
type Set struct {
	Illuminator *Illuminator
	LED         *LED
	Buzzer      *Buzzer
	Tamper      *Tamper
}

// NewSet returns the devices on the given pins. It does no I/O: call Init.
func NewSet(illuminator, led, buzzer gpio.PinOut, tamper gpio.PinIn) *Set {
	return &Set{
		Illuminator: NewIlluminator(illuminator),
		LED:         NewLED(led),
		Buzzer:      NewBuzzer(buzzer),
		Tamper:      NewTamper(tamper),
	}
}

// Init initialises every device: outputs low, tamper input configured. It
// stops at the first error.
func (s *Set) Init() error {
	for _, f := range []func() error{s.Illuminator.Init, s.LED.Init, s.Buzzer.Init, s.Tamper.Init} {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// Halt halts every device that is not nil, even if one fails, leaving the
// illuminator, LED and buzzer off. It returns the errors joined.
func (s *Set) Halt() error {
	var errs []error
	if s.Illuminator != nil {
		errs = append(errs, s.Illuminator.Halt())
	}
	if s.LED != nil {
		errs = append(errs, s.LED.Halt())
	}
	if s.Buzzer != nil {
		errs = append(errs, s.Buzzer.Halt())
	}
	if s.Tamper != nil {
		errs = append(errs, s.Tamper.Halt())
	}
	return errors.Join(errs...)
}

// Open finds the real pins named in names (periph names, as in a board
// profile's Pins) and returns the initialised Set. It initialises periph's
// host drivers first. A pin that is not on this host gives an error naming
// the role and pin and wrapping os.ErrNotExist; other errors mean the
// hardware is there but unusable.
func Open(names map[board.Role]string) (*Set, error) {
	for _, r := range board.Roles() {
		if names[r] == "" {
			return nil, fmt.Errorf("pins: open: no pin named for role %s", r)
		}
	}
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("pins: open: host init: %w", err)
	}
	found := make(map[board.Role]gpio.PinIO, len(names))
	for _, r := range board.Roles() {
		name := names[r]
		p := gpioreg.ByName(name)
		if p == nil {
			return nil, fmt.Errorf("pins: open %s pin %s: %w", r, name, os.ErrNotExist)
		}
		found[r] = p
	}
	s := NewSet(found[board.Illuminator], found[board.StatusLED], found[board.Buzzer], found[board.Tamper])
	if err := s.Init(); err != nil {
		return nil, errors.Join(err, s.Halt())
	}
	return s, nil
}
