package pinstest

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"alprd/board"
)

func TestNamesMatchSimProfile(t *testing.T) {
	sim, err := board.Lookup("sim")
	if err != nil {
		t.Fatal(err)
	}
	_, p := New()
	tests := []struct {
		role board.Role
		pin  *Pin
	}{
		{board.Illuminator, p.Illuminator},
		{board.StatusLED, p.LED},
		{board.Buzzer, p.Buzzer},
		{board.Tamper, p.Tamper},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			if got, want := tt.pin.Name(), sim.Pins[tt.role]; got != want {
				t.Errorf("pin name: got %s, want %s (sim profile)", got, want)
			}
		})
	}
}

func TestWaitForEdge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPin("X")
		if err := p.In(gpio.PullUp, gpio.BothEdges); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if p.WaitForEdge(50 * time.Millisecond) {
			t.Error("WaitForEdge with no edge: got true, want false")
		}
		if got, want := time.Since(start), 50*time.Millisecond; got != want {
			t.Errorf("WaitForEdge waited %v, want %v", got, want)
		}
		p.Edge(gpio.Low)
		if !p.WaitForEdge(-1) {
			t.Error("WaitForEdge with an edge: got false, want true")
		}
		if got := p.Read(); got != gpio.Low {
			t.Errorf("level after edge: got %v, want %v", got, gpio.Low)
		}
	})
}

func TestInFlushesEdgesAndAppliesPull(t *testing.T) {
	tests := []struct {
		pull gpio.Pull
		want gpio.Level
	}{
		{gpio.PullUp, gpio.High},
		{gpio.PullDown, gpio.Low},
	}
	for _, tt := range tests {
		t.Run(tt.pull.String(), func(t *testing.T) {
			p := NewPin("X")
			p.Edge(!tt.want)
			if err := p.In(tt.pull, gpio.BothEdges); err != nil {
				t.Fatal(err)
			}
			if got := p.Read(); got != tt.want {
				t.Errorf("level: got %v, want %v", got, tt.want)
			}
			if got := len(p.EdgesChan); got != 0 {
				t.Errorf("buffered edges after In: got %d, want 0", got)
			}
		})
	}
}

func TestErrInjection(t *testing.T) {
	p := NewPin("X")
	broken := errors.New("broken")
	p.Err = broken
	if err := p.Out(gpio.High); !errors.Is(err, broken) {
		t.Errorf("Out: got %v, want %v", err, broken)
	}
	if err := p.In(gpio.PullUp, gpio.NoEdge); !errors.Is(err, broken) {
		t.Errorf("In: got %v, want %v", err, broken)
	}
	if got := len(p.History()); got != 0 {
		t.Errorf("writes: got %d, want 0", got)
	}
}

func TestInNeedsEdgesChan(t *testing.T) {
	p := &Pin{N: "X"}
	if err := p.In(gpio.PullUp, gpio.RisingEdge); err == nil {
		t.Error("In with edges and no EdgesChan: got nil error, want one")
	}
}
