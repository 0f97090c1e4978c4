package hq

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// published is one ack a fake publisher saw, at its (bubble) time.
type published struct {
	device string
	seq    uint64
	at     time.Duration // since the test started
}

type fakePub struct {
	mu    sync.Mutex
	start time.Time
	got   []published
	fail  error
}

func (p *fakePub) publish(device string, seq uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.got = append(p.got, published{device, seq, time.Since(p.start)})
	return nil
}

func (p *fakePub) take() []published {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.got
	p.got = nil
	return got
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestAckerCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 200 * time.Millisecond
		pub := &fakePub{start: time.Now()}
		a := newAcker(pub.publish, interval, discard())
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { a.run(ctx) })

		check := func(step string, want ...published) {
			t.Helper()
			synctest.Wait()
			got := pub.take()
			slices.SortFunc(got, func(x, y published) int { return strings.Compare(x.device, y.device) })
			if !slices.Equal(got, want) {
				t.Errorf("%s: published %v, want %v", step, got, want)
			}
		}

		a.advance("a", 1)
		check("first advance", published{"a", 1, 0})
		a.advance("a", 2)
		a.advance("a", 3)
		a.advance("b", 7)
		check("within the interval", published{"b", 7, 0})
		time.Sleep(interval)
		check("end of the interval", published{"a", 3, interval})
		time.Sleep(5 * interval)
		check("nothing new")
		a.advance("a", 3)
		check("no advance")
		a.nudge("a")
		check("nudge", published{"a", 3, 6 * interval})
		a.nudge("c")
		check("nudge of a device without ack")
		a.nudgeAll()
		check("nudge all, b at once", published{"b", 7, 6 * interval})
		time.Sleep(interval)
		check("nudge all, a after its interval", published{"a", 3, 7 * interval})
		if got := a.sent.Load(); got != 6 {
			t.Errorf("sent = %d, want 6", got)
		}

		a.advance("a", 4)
		cancel()
		wg.Wait()
		a.flush()
		check("flush", published{"a", 4, 7 * interval})
	})
}

func TestAckerRetriesFailedPublish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pub := &fakePub{start: time.Now(), fail: errOffline}
		a := newAcker(pub.publish, 200*time.Millisecond, discard())
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { a.run(ctx) })

		a.advance("a", 1)
		synctest.Wait()
		time.Sleep(a.interval) // still offline
		synctest.Wait()
		pub.mu.Lock()
		pub.fail = nil // back online
		pub.mu.Unlock()
		synctest.Wait()
		if got := pub.take(); len(got) != 0 {
			t.Errorf("published %v while offline, want nothing", got)
		}
		time.Sleep(a.interval)
		synctest.Wait()
		if got, want := pub.take(), []published{{"a", 1, 2 * a.interval}}; !slices.Equal(got, want) {
			t.Errorf("published %v, want %v", got, want)
		}

		pub.mu.Lock()
		pub.fail = errors.New("broken")
		pub.mu.Unlock()
		a.advance("a", 2)
		time.Sleep(a.interval) // due, and fails
		synctest.Wait()
		pub.mu.Lock()
		pub.fail = nil
		pub.mu.Unlock()
		time.Sleep(a.retry - time.Nanosecond)
		synctest.Wait()
		if got := pub.take(); len(got) != 0 {
			t.Errorf("published %v before the retry delay, want nothing", got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got, want := pub.take(), []published{{"a", 2, 3*a.interval + a.retry}}; !slices.Equal(got, want) {
			t.Errorf("after a failure published %v, want %v", got, want)
		}
		cancel()
		wg.Wait()
	})
}
