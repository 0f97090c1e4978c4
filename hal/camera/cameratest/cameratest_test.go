package cameratest

import (
	"context"
	"errors"
	"fmt"
	"image"
	"testing"
	"testing/synctest"
	"time"

	"alprd/hal/camera"
)

// next runs s.Next in a goroutine and returns a channel with its result.
func next(ctx context.Context, s *Source) <-chan result {
	c := make(chan result, 1)
	go func() {
		f, err := s.Next(ctx)
		c <- result{f, err}
	}()
	return c
}

type result struct {
	f   camera.Frame
	err error
}

func TestSourceDeliversInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		if err := s.Open(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		boom := errors.New("boom")
		steps := []struct {
			send     func()
			wantSeq  uint64
			wantTime time.Time
			wantErr  error
		}{
			{func() { s.Frames <- Frame(4, 2, 7) }, 1, time.Now().UTC(), nil},
			{func() { s.Frames <- camera.Frame{Seq: 10, Time: at, Gray: Gray(1, 1, 0)} }, 10, at, nil},
			{func() { s.Frames <- Frame(1, 1, 0) }, 11, time.Now().UTC(), nil},
			{func() { s.Errs <- boom }, 0, time.Time{}, boom},
			{s.Lose, 0, time.Time{}, camera.ErrLost},
		}
		for i, st := range steps {
			c := next(t.Context(), s)
			st.send()
			r := <-c
			if !errors.Is(r.err, st.wantErr) || (st.wantErr == nil) != (r.err == nil) {
				t.Fatalf("step %d: got error %v, want %v", i, r.err, st.wantErr)
			}
			if r.f.Seq != st.wantSeq || !r.f.Time.Equal(st.wantTime) {
				t.Errorf("step %d: got seq %d time %v, want %d %v", i, r.f.Seq, r.f.Time, st.wantSeq, st.wantTime)
			}
		}
	})
}

func TestSourceLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		if _, err := s.Next(t.Context()); !errors.Is(err, camera.ErrClosed) {
			t.Fatalf("next before open: got %v, want camera.ErrClosed", err)
		}
		refused := errors.New("refused")
		s.FailOpen(refused)
		if err := s.Open(t.Context()); !errors.Is(err, refused) {
			t.Fatalf("open: got %v, want %v", err, refused)
		}
		s.FailOpen(nil)
		if err := s.Open(t.Context()); err != nil {
			t.Fatalf("open: got %v, want nil", err)
		}
		if err := s.Open(t.Context()); err == nil {
			t.Error("open while open: got nil error, want one")
		}

		c := next(t.Context(), s)
		synctest.Wait()
		s.Close()
		if r := <-c; !errors.Is(r.err, camera.ErrClosed) {
			t.Errorf("waiting next after close: got %v, want camera.ErrClosed", r.err)
		}
		s.Close()
		if got, want := [2]int{s.Opens(), s.Closes()}, [2]int{3, 2}; got != want {
			t.Errorf("got opens, closes %v, want %v", got, want)
		}

		if err := s.Open(t.Context()); err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		ctx, cancel := context.WithCancel(t.Context())
		c = next(ctx, s)
		synctest.Wait()
		cancel()
		if r := <-c; !errors.Is(r.err, context.Canceled) {
			t.Errorf("cancelled next: got %v, want context.Canceled", r.err)
		}
	})
}

func TestGray(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		fill uint8
	}{{3, 2, 0}, {5, 1, 200}, {0, 0, 9}} {
		t.Run(fmt.Sprintf("%dx%d fill %d", tc.w, tc.h, tc.fill), func(t *testing.T) {
			g := Gray(tc.w, tc.h, tc.fill)
			if g.Rect != image.Rect(0, 0, tc.w, tc.h) {
				t.Errorf("got bounds %v, want %v", g.Rect, image.Rect(0, 0, tc.w, tc.h))
			}
			for i, p := range g.Pix {
				if p != tc.fill {
					t.Fatalf("got pixel %d = %d, want %d", i, p, tc.fill)
				}
			}
		})
	}
}
