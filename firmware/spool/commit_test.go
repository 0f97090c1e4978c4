package spool

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestGroupCommit(t *testing.T) {
	const interval = 10 * time.Millisecond
	tests := []struct {
		name        string
		count       int
		first       int // appends committed together first (0: none)
		then        int // appends started together afterwards
		wantCommits uint64
		wantWait    time.Duration // how long the later appends take
	}{
		{"lone appender does not wait", 100, 0, 1, 0, 0},
		{"as many as the previous batch do not wait", 100, 4, 4, 1, 0},
		{"fewer than the previous batch wait CommitInterval", 100, 4, 1, 1, interval},
		{"CommitCount splits a batch", 2, 5, 1, 3, 0},
		{"CommitCount flushes without waiting", 3, 3, 3, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sp := mustOpen(t, t.TempDir(), Options{CommitCount: tt.count, CommitInterval: interval})
				defer mustClose(t, sp)
				build := func(seq uint64) ([]byte, error) { return payloadFor(seq, 100), nil }

				if tt.first > 0 {
					// The first append's build holds back the others, so
					// that they are all ready when it finishes.
					gate := make(chan struct{})
					var wg sync.WaitGroup
					wg.Go(func() {
						sp.Append(Read, func(seq uint64) ([]byte, error) { <-gate; return build(seq) })
					})
					synctest.Wait()
					for i := 1; i < tt.first; i++ {
						wg.Go(func() { sp.Append(Read, build) })
					}
					synctest.Wait()
					close(gate)
					wg.Wait()
					if got := sp.Stats().Commits; got != tt.wantCommits {
						t.Errorf("first %d appends: %d commits, want %d", tt.first, got, tt.wantCommits)
					}
				}

				start := time.Now()
				var mu sync.Mutex
				var longest time.Duration
				var wg sync.WaitGroup
				for i := 0; i < tt.then; i++ {
					wg.Go(func() {
						if _, err := sp.Append(Read, build); err != nil {
							t.Errorf("Append: %v", err)
						}
						mu.Lock()
						longest = max(longest, time.Since(start))
						mu.Unlock()
					})
				}
				wg.Wait()
				if longest != tt.wantWait {
					t.Errorf("later appends took %v, want %v", longest, tt.wantWait)
				}
				if got := sp.Stats().Appended; got != uint64(tt.first+tt.then) {
					t.Errorf("Appended = %d, want %d", got, tt.first+tt.then)
				}
			})
		})
	}
}

func TestWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := mustOpen(t, t.TempDir(), Options{})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		returned := func() (error, bool) {
			synctest.Wait()
			select {
			case err := <-done:
				return err, true
			default:
				return nil, false
			}
		}

		go func() { done <- sp.Wait(ctx, 0) }()
		if _, ok := returned(); ok {
			t.Fatal("Wait returned before any record was appended")
		}
		notify := sp.Notify()
		mustAppend(t, sp, Read, 10)
		if err, ok := returned(); !ok || err != nil {
			t.Errorf("Wait after an append: returned %v with %v, want nil", ok, err)
		}
		select {
		case <-notify:
		default:
			t.Error("Notify channel still open after an append")
		}

		// A record at or below after does not wake it; the context does.
		go func() { done <- sp.Wait(ctx, 1) }()
		if _, ok := returned(); ok {
			t.Fatal("Wait(1) returned with only record 1 stored")
		}
		cancel()
		if err, ok := returned(); !ok || !errors.Is(err, context.Canceled) {
			t.Errorf("Wait after cancel: returned %v with %v, want %v", ok, err, context.Canceled)
		}

		// Close wakes it too.
		go func() { done <- sp.Wait(context.Background(), 1) }()
		if _, ok := returned(); ok {
			t.Fatal("Wait(1) returned early")
		}
		mustClose(t, sp)
		if err, ok := returned(); !ok || !errors.Is(err, ErrClosed) {
			t.Errorf("Wait after Close: returned %v with %v, want %v", ok, err, ErrClosed)
		}
	})
}
