package pins_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"alprd/board"
	"alprd/hal/pins"
	"alprd/hal/pins/pinstest"
)

// step is an expected write: its offset from the start of the test and level.
type step struct {
	at time.Duration
	l  gpio.Level
}

func steps(h []pinstest.Write, t0 time.Time) []step {
	var s []step
	for _, w := range h {
		s = append(s, step{w.T.Sub(t0), w.L})
	}
	return s
}

func TestIlluminatorOnOff(t *testing.T) {
	tests := []struct {
		name string
		ops  []func(*pins.Illuminator) error
		want gpio.Level
	}{
		{"init", nil, gpio.Low},
		{"on", []func(*pins.Illuminator) error{(*pins.Illuminator).On}, gpio.High},
		{"on off", []func(*pins.Illuminator) error{(*pins.Illuminator).On, (*pins.Illuminator).Off}, gpio.Low},
		{"on halt", []func(*pins.Illuminator) error{(*pins.Illuminator).On, (*pins.Illuminator).Halt}, gpio.Low},
		{"off on", []func(*pins.Illuminator) error{(*pins.Illuminator).Off, (*pins.Illuminator).On}, gpio.High},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := pinstest.New()
			for _, op := range tt.ops {
				if err := op(s.Illuminator); err != nil {
					t.Fatalf("op: got error %v, want nil", err)
				}
			}
			if got := p.Illuminator.Level(); got != tt.want {
				t.Errorf("level: got %v, want %v", got, tt.want)
			}
			if got, want := s.Illuminator.IsOn(), tt.want == gpio.High; got != want {
				t.Errorf("IsOn: got %v, want %v", got, want)
			}
		})
	}
}

func TestIlluminatorStrobe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pinstest.New()
		t0 := time.Now()
		done := make(chan error)
		go func() { done <- s.Illuminator.Strobe(8 * time.Millisecond) }()
		synctest.Wait()
		if got := p.Illuminator.Level(); got != gpio.High {
			t.Errorf("level during strobe: got %v, want %v", got, gpio.High)
		}
		if !s.Illuminator.IsOn() {
			t.Errorf("IsOn during strobe: got false, want true")
		}
		if err := <-done; err != nil {
			t.Fatalf("Strobe: got error %v, want nil", err)
		}
		got := steps(p.Illuminator.History(), t0)
		want := []step{{0, gpio.High}, {8 * time.Millisecond, gpio.Low}}
		if !slices.Equal(got, want) {
			t.Errorf("writes: got %v, want %v", got, want)
		}
	})
}

func TestIlluminatorStrobeInterrupted(t *testing.T) {
	tests := []struct {
		name string
		op   func(*pins.Illuminator) error
		want gpio.Level
	}{
		{"off", (*pins.Illuminator).Off, gpio.Low},
		{"halt", (*pins.Illuminator).Halt, gpio.Low},
		{"on", (*pins.Illuminator).On, gpio.High},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, p := pinstest.New()
				done := make(chan error)
				go func() { done <- s.Illuminator.Strobe(500 * time.Millisecond) }()
				time.Sleep(time.Millisecond)
				if err := tt.op(s.Illuminator); err != nil {
					t.Fatalf("op: got error %v, want nil", err)
				}
				if err := <-done; !errors.Is(err, pins.ErrInterrupted) {
					t.Errorf("Strobe: got error %v, want ErrInterrupted", err)
				}
				time.Sleep(time.Second) // the interrupted strobe must not write again
				if got := p.Illuminator.Level(); got != tt.want {
					t.Errorf("level: got %v, want %v", got, tt.want)
				}
			})
		})
	}
}

func TestIlluminatorStrobeBadDuration(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Millisecond, pins.MaxStrobe + 1} {
		t.Run(d.String(), func(t *testing.T) {
			s, p := pinstest.New()
			err := s.Illuminator.Strobe(d)
			if err == nil || !strings.HasPrefix(err.Error(), "pins: illuminator SIM_IR strobe ") {
				t.Errorf("Strobe(%v): got error %v, want pins: illuminator SIM_IR strobe ...", d, err)
			}
			if got := len(p.Illuminator.History()); got != 0 {
				t.Errorf("writes: got %d, want 0", got)
			}
		})
	}
}

func TestOutputWriteError(t *testing.T) {
	broken := errors.New("broken line")
	tests := []struct {
		name string
		op   func(*pins.Set) error
		pin  func(*pinstest.Pins) *pinstest.Pin
		want string
	}{
		{"illuminator on", func(s *pins.Set) error { return s.Illuminator.On() },
			func(p *pinstest.Pins) *pinstest.Pin { return p.Illuminator }, "pins: illuminator SIM_IR on: broken line"},
		{"led set", func(s *pins.Set) error { return s.LED.Set(true) },
			func(p *pinstest.Pins) *pinstest.Pin { return p.LED }, "pins: status_led SIM_LED set on: broken line"},
		{"buzzer beep", func(s *pins.Set) error { return s.Buzzer.Beep(context.Background(), pins.Chirp) },
			func(p *pinstest.Pins) *pinstest.Pin { return p.Buzzer }, "pins: buzzer SIM_BUZZER beep chirp: broken line"},
		{"tamper init", func(s *pins.Set) error { return s.Tamper.Init() },
			func(p *pinstest.Pins) *pinstest.Pin { return p.Tamper }, "pins: tamper SIM_TAMPER init: broken line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := pinstest.New()
			q := tt.pin(p)
			q.Lock()
			q.Err = broken
			q.Unlock()
			err := tt.op(s)
			if !errors.Is(err, broken) {
				t.Errorf("got error %v, want it to wrap %v", err, broken)
			}
			if err != nil && err.Error() != tt.want {
				t.Errorf("got error text %q, want %q", err, tt.want)
			}
		})
	}
}

func TestLEDPattern(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		p    pins.Pattern
		want []step // writes in the first 1.25 s
	}{
		{"solid", pins.Solid, []step{{0, gpio.High}, {0, gpio.High}}},
		{"off", pins.Off, []step{{0, gpio.Low}, {0, gpio.Low}}},
		{"slow blink", pins.SlowBlink, []step{
			{0, gpio.High}, {0, gpio.High}, {500 * ms, gpio.Low}, {1000 * ms, gpio.High},
		}},
		{"double blink", pins.DoubleBlink, []step{
			{0, gpio.High}, {0, gpio.High}, {100 * ms, gpio.Low}, {200 * ms, gpio.High}, {300 * ms, gpio.Low},
			{1000 * ms, gpio.High}, {1100 * ms, gpio.Low}, {1200 * ms, gpio.High},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, p := pinstest.New()
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				t0 := time.Now()
				if err := s.LED.Pattern(tt.p); err != nil {
					t.Fatalf("Pattern: got error %v, want nil", err)
				}
				go func() { done <- s.LED.Run(ctx) }()
				time.Sleep(1250 * time.Millisecond)
				if got := s.LED.Current().Name; got != tt.p.Name {
					t.Errorf("Current: got %s, want %s", got, tt.p.Name)
				}
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("Run: got error %v, want context.Canceled", err)
				}
				if got := steps(p.LED.History(), t0); !slices.Equal(got, tt.want) {
					t.Errorf("writes: got %v, want %v", got, tt.want)
				}
			})
		})
	}
}

func TestLEDPatternChangeAndHalt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pinstest.New()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.LED.Run(ctx) }()
		if err := s.LED.Pattern(pins.FastBlink); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond) // off phase of the first blink
		if got := p.LED.Level(); got != gpio.Low {
			t.Errorf("level at 150 ms of fast blink: got %v, want %v", got, gpio.Low)
		}
		if err := s.LED.Pattern(pins.SlowBlink); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := p.LED.Level(); got != gpio.High {
			t.Errorf("level right after switching to slow blink: got %v, want %v", got, gpio.High)
		}
		if err := s.LED.Halt(); err != nil {
			t.Fatal(err)
		}
		n := len(p.LED.History())
		time.Sleep(3 * time.Second)
		if got := p.LED.Level(); got != gpio.Low {
			t.Errorf("level after Halt: got %v, want %v", got, gpio.Low)
		}
		if got := s.LED.Current().Name; got != "off" {
			t.Errorf("Current after Halt: got %s, want off", got)
		}
		for _, w := range p.LED.History()[n:] {
			if w.L != gpio.Low {
				t.Errorf("write after Halt: got %v, want only %v", w.L, gpio.Low)
			}
		}
		if err := s.LED.Run(ctx); err == nil || !strings.Contains(err.Error(), "already running") {
			t.Errorf("second Run: got error %v, want already running", err)
		}
		cancel()
		<-done
	})
}

func TestLEDPatternInvalid(t *testing.T) {
	tests := []struct {
		name string
		p    pins.Pattern
	}{
		{"empty", pins.Pattern{Name: "empty"}},
		{"negative", pins.Pattern{Name: "neg", Steps: []pins.Step{{On: true, D: -time.Second}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := pinstest.New()
			if err := s.LED.Pattern(tt.p); err == nil {
				t.Errorf("Pattern(%s): got nil error, want one", tt.name)
			}
			if got := s.LED.Current().Name; got != "off" {
				t.Errorf("Current: got %s, want off", got)
			}
		})
	}
}

func TestBuzzerBeep(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		p    pins.Pattern
		want []step
	}{
		{"chirp", pins.Chirp, []step{{0, gpio.High}, {80 * ms, gpio.Low}}},
		{"double beep", pins.DoubleBeep, []step{
			{0, gpio.High}, {150 * ms, gpio.Low}, {250 * ms, gpio.High}, {400 * ms, gpio.Low},
		}},
		{"long beep", pins.LongBeep, []step{{0, gpio.High}, {time.Second, gpio.Low}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, p := pinstest.New()
				t0 := time.Now()
				if err := s.Buzzer.Beep(t.Context(), tt.p); err != nil {
					t.Fatalf("Beep: got error %v, want nil", err)
				}
				if got := steps(p.Buzzer.History(), t0); !slices.Equal(got, tt.want) {
					t.Errorf("writes: got %v, want %v", got, tt.want)
				}
				if s.Buzzer.IsOn() {
					t.Error("IsOn after Beep: got true, want false")
				}
			})
		})
	}
}

func TestBuzzerBeepRefusesHeld(t *testing.T) {
	s, p := pinstest.New()
	err := s.Buzzer.Beep(context.Background(), pins.Solid)
	if err == nil || !strings.Contains(err.Error(), "holds a level") {
		t.Errorf("Beep(Solid): got error %v, want holds a level", err)
	}
	if got := p.Buzzer.Level(); got != gpio.Low {
		t.Errorf("level: got %v, want %v", got, gpio.Low)
	}
}

func TestBuzzerBeepCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pinstest.New()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		err := s.Buzzer.Beep(ctx, pins.LongBeep)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Beep: got error %v, want context.DeadlineExceeded", err)
		}
		if got := p.Buzzer.Level(); got != gpio.Low {
			t.Errorf("level: got %v, want %v", got, gpio.Low)
		}
	})
}

func TestSetHalt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pinstest.New()
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { _ = s.LED.Run(ctx) })
		if err := s.Illuminator.On(); err != nil {
			t.Fatal(err)
		}
		if err := s.LED.Pattern(pins.FastBlink); err != nil {
			t.Fatal(err)
		}
		beep := make(chan error)
		go func() { beep <- s.Buzzer.Beep(ctx, pins.LongBeep) }()
		strobe := make(chan error)
		time.Sleep(10 * time.Millisecond)
		go func() { strobe <- s.Illuminator.Strobe(500 * time.Millisecond) }()
		synctest.Wait()
		for name, q := range map[string]*pinstest.Pin{"illuminator": p.Illuminator, "led": p.LED, "buzzer": p.Buzzer} {
			if got := q.Level(); got != gpio.High {
				t.Errorf("%s level before Halt: got %v, want %v", name, got, gpio.High)
			}
		}

		if err := s.Halt(); err != nil {
			t.Fatalf("Halt: got error %v, want nil", err)
		}
		if err := <-beep; !errors.Is(err, pins.ErrInterrupted) {
			t.Errorf("Beep: got error %v, want ErrInterrupted", err)
		}
		if err := <-strobe; !errors.Is(err, pins.ErrInterrupted) {
			t.Errorf("Strobe: got error %v, want ErrInterrupted", err)
		}
		time.Sleep(2 * time.Second)
		for name, q := range map[string]*pinstest.Pin{"illuminator": p.Illuminator, "led": p.LED, "buzzer": p.Buzzer} {
			if got := q.Level(); got != gpio.Low {
				t.Errorf("%s level after Halt: got %v, want %v", name, got, gpio.Low)
			}
		}
		if s.Illuminator.IsOn() || s.LED.IsOn() || s.Buzzer.IsOn() {
			t.Errorf("IsOn after Halt: got illuminator %v, led %v, buzzer %v, want all false",
				s.Illuminator.IsOn(), s.LED.IsOn(), s.Buzzer.IsOn())
		}
		cancel()
		wg.Wait()
	})
}

func TestSetHaltJoinsErrors(t *testing.T) {
	s, p := pinstest.New()
	broken := errors.New("broken line")
	p.LED.Lock()
	p.LED.Err = broken
	p.LED.Unlock()
	if err := s.Illuminator.On(); err != nil {
		t.Fatal(err)
	}
	err := s.Halt()
	if !errors.Is(err, broken) {
		t.Errorf("Halt: got error %v, want it to wrap %v", err, broken)
	}
	if got := p.Illuminator.Level(); got != gpio.Low {
		t.Errorf("illuminator level after failed Halt: got %v, want %v", got, gpio.Low)
	}
}

func TestSetHaltNilFields(t *testing.T) {
	var s pins.Set
	if err := s.Halt(); err != nil {
		t.Errorf("Halt of an empty Set: got error %v, want nil", err)
	}
}

// tamperEvents records Watch callbacks.
type tamperEvents struct {
	mu sync.Mutex
	ev []bool
}

func (e *tamperEvents) add(opened bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ev = append(e.ev, opened)
}

func (e *tamperEvents) get() []bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.ev)
}

func TestTamperWatch(t *testing.T) {
	tests := []struct {
		name   string
		inject func(p *pinstest.Pin)
		want   []bool // callbacks after the initial one (false)
	}{
		{"nothing", func(p *pinstest.Pin) {}, nil},
		{"open", func(p *pinstest.Pin) { p.Edge(gpio.High) }, []bool{true}},
		{"bouncy open", func(p *pinstest.Pin) {
			p.Edge(gpio.High)
			p.Edge(gpio.Low)
			p.Edge(gpio.High)
			time.Sleep(5 * time.Millisecond)
			p.Edge(gpio.Low)
			p.Edge(gpio.High)
		}, []bool{true}},
		{"glitch", func(p *pinstest.Pin) {
			p.Edge(gpio.High)
			time.Sleep(5 * time.Millisecond)
			p.Edge(gpio.Low)
		}, nil},
		{"open then shut", func(p *pinstest.Pin) {
			p.Edge(gpio.High)
			time.Sleep(time.Second)
			p.Edge(gpio.Low)
		}, []bool{true, false}},
		{"missed edge", func(p *pinstest.Pin) { p.SetLevel(gpio.High) }, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, p := pinstest.New()
				if s.Tamper.Opened() {
					t.Fatal("Opened at start: got true, want false (enclosure shut)")
				}
				ctx, cancel := context.WithCancel(t.Context())
				var ev tamperEvents
				done := make(chan error)
				go func() { done <- s.Tamper.Watch(ctx, ev.add) }()
				synctest.Wait()
				if got, want := ev.get(), []bool{false}; !slices.Equal(got, want) {
					t.Errorf("callbacks at start: got %v, want %v", got, want)
				}
				tt.inject(p.Tamper)
				time.Sleep(time.Second)
				if got, want := ev.get(), append([]bool{false}, tt.want...); !slices.Equal(got, want) {
					t.Errorf("callbacks: got %v, want %v", got, want)
				}
				if err := s.Tamper.Watch(ctx, ev.add); err == nil || !strings.Contains(err.Error(), "already watching") {
					t.Errorf("second Watch: got error %v, want already watching", err)
				}
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("Watch: got error %v, want context.Canceled", err)
				}
			})
		})
	}
}

func TestTamperInitConfiguresPullUpAndEdges(t *testing.T) {
	_, p := pinstest.New()
	p.Tamper.Lock()
	defer p.Tamper.Unlock()
	if p.Tamper.P != gpio.PullUp {
		t.Errorf("pull: got %v, want %v", p.Tamper.P, gpio.PullUp)
	}
	if p.Tamper.E != gpio.BothEdges {
		t.Errorf("edge: got %v, want %v", p.Tamper.E, gpio.BothEdges)
	}
}

func TestTamperOpenedLevel(t *testing.T) {
	tests := []struct {
		l    gpio.Level
		want bool
	}{
		{gpio.Low, false},
		{gpio.High, true},
	}
	for _, tt := range tests {
		t.Run(tt.l.String(), func(t *testing.T) {
			s, p := pinstest.New()
			p.Tamper.SetLevel(tt.l)
			if got := s.Tamper.Opened(); got != tt.want {
				t.Errorf("Opened at %v: got %v, want %v", tt.l, got, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	sim, err := board.Lookup("sim")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		names    map[board.Role]string
		notExist bool
		want     string
	}{
		{"sim pins are not on the host", sim.Pins, true, "pins: open illuminator pin SIM_IR: file does not exist"},
		{"missing role", map[board.Role]string{board.Illuminator: "GPIO18"}, false, "pins: open: no pin named for role status_led"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := pins.Open(tt.names)
			if err != nil && strings.HasPrefix(err.Error(), "pins: open: host init:") {
				t.Skipf("periph host init fails here: %v", err)
			}
			if s != nil {
				t.Errorf("Open: got a Set, want nil")
			}
			if got := errors.Is(err, os.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(%v, os.ErrNotExist): got %v, want %v", err, got, tt.notExist)
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("Open: got error %v, want %q", err, tt.want)
			}
		})
	}
}
