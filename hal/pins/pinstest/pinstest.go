// Package pinstest provides fake GPIO pins and a pins.Set built on them, for
// tests and the simulator board.
//
// Pin is modelled on periph's gpio/gpiotest.Pin (same exported fields: N, L,
// P, EdgesChan, D, F and the embedded Mutex) so that tests read the same.
// gpiotest itself is not used because it needs github.com/jonboulle/clockwork,
// a module alprd does not require; this Pin uses the time package, so it also
// runs on the fake clock of testing/synctest.
package pinstest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"

	"alprd/hal/pins"
)

// Write is one Out call on a Pin.
type Write struct {
	T time.Time  // time.Now() when Out was called
	L gpio.Level // level written
}

// Pin is a fake gpio.PinIO. Tests inject events by changing its fields
// (holding the Mutex) or with its helper methods.
type Pin struct {
	// Immutable after creation.
	N   string
	Num int

	// Grab the Mutex before reading or changing the fields below.
	sync.Mutex
	L         gpio.Level      // level, for input and output; an edge received sets it
	P         gpio.Pull       // pull set by In
	E         gpio.Edge       // edge detection set by In
	EdgesChan chan gpio.Level // send a level to fake an edge; In needs it non-nil for edge detection
	D         gpio.Duty       // PWM duty
	F         physic.Frequency
	Writes    []Write // every Out, oldest first
	Err       error   // if not nil, In, Out and PWM fail with it
}

// NewPin returns a pin called name, low, with a buffered EdgesChan.
func NewPin(name string) *Pin {
	return &Pin{N: name, Num: -1, EdgesChan: make(chan gpio.Level, 16)}
}

// Level returns the pin's level.
func (p *Pin) Level() gpio.Level {
	p.Lock()
	defer p.Unlock()
	return p.L
}

// SetLevel sets the pin's level without an edge, as a slow change that edge
// detection missed.
func (p *Pin) SetLevel(l gpio.Level) {
	p.Lock()
	defer p.Unlock()
	p.L = l
}

// History returns a copy of Writes.
func (p *Pin) History() []Write {
	p.Lock()
	defer p.Unlock()
	return append([]Write(nil), p.Writes...)
}

// Edge fakes an edge to level l: the next WaitForEdge returns true and sets
// the level to l. It blocks while EdgesChan is full.
func (p *Pin) Edge(l gpio.Level) {
	p.Lock()
	ch := p.EdgesChan
	p.Unlock()
	ch <- l
}

// String implements conn.Resource.
func (p *Pin) String() string { return fmt.Sprintf("%s(%d)", p.N, p.Num) }

// Halt implements conn.Resource. It does nothing.
func (p *Pin) Halt() error { return nil }

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.N }

// Number implements pin.Pin.
func (p *Pin) Number() int { return p.Num }

// Function implements pin.Pin.
func (p *Pin) Function() string { return string(p.Func()) }

// Func implements pin.PinFunc.
func (p *Pin) Func() pin.Func {
	p.Lock()
	defer p.Unlock()
	if p.E != gpio.NoEdge || p.P != gpio.PullNoChange {
		return gpio.IN
	}
	return gpio.OUT
}

// SupportedFuncs implements pin.PinFunc.
func (p *Pin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN, gpio.OUT} }

// SetFunc implements pin.PinFunc. It is not supported.
func (p *Pin) SetFunc(f pin.Func) error { return errors.New("pinstest: SetFunc not supported") }

// In implements gpio.PinIn. Like gpiotest, a pull-up sets the level high and
// a pull-down low, and buffered edges are dropped.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.Lock()
	defer p.Unlock()
	if p.Err != nil {
		return p.Err
	}
	if edge != gpio.NoEdge && p.EdgesChan == nil {
		return errors.New("pinstest: edge detection needs EdgesChan")
	}
	p.P, p.E = pull, edge
	switch pull {
	case gpio.PullUp:
		p.L = gpio.High
	case gpio.PullDown:
		p.L = gpio.Low
	}
	for {
		select {
		case <-p.EdgesChan:
		default:
			return nil
		}
	}
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level { return p.Level() }

// WaitForEdge implements gpio.PinIn: it waits for a level on EdgesChan, sets
// L to it and returns true, or returns false after timeout (-1: no timeout).
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	p.Lock()
	ch := p.EdgesChan
	p.Unlock()
	var expired <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case l := <-ch:
		p.SetLevel(l)
		return true
	case <-expired:
		return false
	}
}

// Pull implements gpio.PinIn.
func (p *Pin) Pull() gpio.Pull {
	p.Lock()
	defer p.Unlock()
	return p.P
}

// DefaultPull implements gpio.PinIn.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullDown }

// Out implements gpio.PinOut and records the write in Writes.
func (p *Pin) Out(l gpio.Level) error {
	p.Lock()
	defer p.Unlock()
	if p.Err != nil {
		return p.Err
	}
	p.L = l
	p.Writes = append(p.Writes, Write{T: time.Now(), L: l})
	return nil
}

// PWM implements gpio.PinOut.
func (p *Pin) PWM(duty gpio.Duty, f physic.Frequency) error {
	p.Lock()
	defer p.Unlock()
	if p.Err != nil {
		return p.Err
	}
	p.D, p.F = duty, f
	return nil
}

var (
	_ gpio.PinIO  = (*Pin)(nil)
	_ pin.PinFunc = (*Pin)(nil)
)

// Pins are the fake pins under a Set made by New, by role.
type Pins struct {
	Illuminator *Pin
	LED         *Pin
	Buzzer      *Pin
	Tamper      *Pin
}

// Names of the fake pins, as in the sim board profile.
const (
	IlluminatorPin = "SIM_IR"
	LEDPin         = "SIM_LED"
	BuzzerPin      = "SIM_BUZZER"
	TamperPin      = "SIM_TAMPER"
)

// New returns an initialised Set over fake pins, and the pins. The outputs are
// low and the tamper input reads low (switch closed, enclosure shut); fake an
// opening with p.Tamper.Edge(gpio.High). The Writes of Init are cleared.
func New() (*pins.Set, *Pins) {
	p := &Pins{
		Illuminator: NewPin(IlluminatorPin),
		LED:         NewPin(LEDPin),
		Buzzer:      NewPin(BuzzerPin),
		Tamper:      NewPin(TamperPin),
	}
	s := pins.NewSet(p.Illuminator, p.LED, p.Buzzer, p.Tamper)
	if err := s.Init(); err != nil {
		panic(fmt.Sprintf("pinstest: init fake pins: %v", err)) // cannot happen: Err is nil
	}
	p.Tamper.SetLevel(gpio.Low)
	for _, q := range []*Pin{p.Illuminator, p.LED, p.Buzzer} {
		q.Lock()
		q.Writes = nil
		q.Unlock()
	}
	return s, p
}
