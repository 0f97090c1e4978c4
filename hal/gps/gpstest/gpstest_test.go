package gpstest

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"alprd/hal/gps"
)

func TestSource(t *testing.T) {
	f := gps.Fix{Lat: 1, Lon: 2, Source: "gps"}
	tests := []struct {
		name   string
		do     func(*Source)
		want   gps.Fix
		wantOK bool
	}{
		{"new", func(*Source) {}, gps.Fix{}, false},
		{"set", func(s *Source) { s.Set(f) }, f, true},
		{"lose", func(s *Source) { s.Set(f); s.Lose() }, f, false},
		{"clear", func(s *Source) { s.Set(f); s.Clear() }, gps.Fix{}, false},
		{"set again", func(s *Source) { s.Set(f); s.Lose(); s.Set(f) }, f, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			tt.do(s)
			got, ok := s.Position()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Position: got %+v, %v, want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSourceRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if got := s.Runs(); got != 1 {
			t.Errorf("Runs: got %d, want 1", got)
		}
		unplugged := errors.New("unplugged")
		s.Fail <- unplugged
		if err := <-done; !errors.Is(err, unplugged) {
			t.Errorf("Run after Fail: got %v, want %v", err, unplugged)
		}
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel: got %v, want context.Canceled", err)
		}
	})
}
