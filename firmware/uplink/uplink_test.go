package uplink_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/mosquittotest"
	"alprd/firmware/uplink"
)

// These tests run against a real Mosquitto, over loopback. Waits are bounded
// by generous deadlines, never assumed to be short: the machine may be busy.
const patience = 30 * time.Second

const device = "unit-7"

// TestMain checks that the tests leave no paho client or proxy goroutine
// behind once every uplink and subscriber is closed.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if left := waitLeftovers(patience); left != "" {
			fmt.Fprintf(os.Stderr, "goroutines left behind:\n%s\n", left)
			code = 1
		}
	}
	os.Exit(code)
}

func waitLeftovers(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "eclipse/paho.mqtt.golang") || strings.Contains(g, "uplink_test.(*proxy)") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newUplink(t *testing.T, broker string) *uplink.MQTT {
	t.Helper()
	u := uplink.New(uplink.Config{
		Broker:      "tcp://" + broker,
		TopicPrefix: "alpr/v1",
		Device:      device,
		Firmware:    "v1.2.3",
		KeepAlive:   5 * time.Second,
		Timeout:     2 * time.Second,
	})
	t.Cleanup(func() { u.Close() })
	return u
}

func waitConnected(t *testing.T, u *uplink.MQTT, want bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for u.Connected() != want {
		if time.Now().After(deadline) {
			t.Fatalf("Connected: got %v after %v, want %v", !want, patience, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var clientIDs atomic.Int64

// subscriber is a paho client standing in for headquarters.
type subscriber struct {
	c    paho.Client
	msgs chan paho.Message
}

// subscribe connects a subscriber to broker and subscribes to filter with
// QoS 1; it disconnects when the test ends.
func subscribe(t *testing.T, broker, filter string) *subscriber {
	t.Helper()
	s, err := dialSubscriber(broker, filter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

func dialSubscriber(broker, filter string) (*subscriber, error) {
	s := &subscriber{msgs: make(chan paho.Message, 1000)}
	s.c = paho.NewClient(paho.NewClientOptions().
		AddBroker("tcp://" + broker).
		SetClientID(fmt.Sprintf("hq-%d", clientIDs.Add(1))).
		SetAutoReconnect(false).
		SetOrderMatters(true))
	if tok := s.c.Connect(); !tok.WaitTimeout(patience) || tok.Error() != nil {
		s.c.Disconnect(0)
		return nil, fmt.Errorf("subscriber connect: %v", tok.Error())
	}
	tok := s.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { s.msgs <- m })
	if !tok.WaitTimeout(patience) || tok.Error() != nil {
		s.close()
		return nil, fmt.Errorf("subscribe %s: %v", filter, tok.Error())
	}
	return s, nil
}

func (s *subscriber) close() { s.c.Disconnect(100) }

// next returns the next message, failing the test after patience.
func (s *subscriber) next(t *testing.T) paho.Message {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(patience):
		t.Fatalf("no message in %v", patience)
		return nil
	}
}

// payloads returns the payloads of the next n messages.
func (s *subscriber) payloads(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	for range n {
		got = append(got, string(s.next(t).Payload()))
	}
	return got
}

// retainedState returns the retained state of the device as a new
// subscriber sees it within wait, or false when there is none.
func retainedState(t *testing.T, broker string, wait time.Duration) (uplink.StateMessage, bool) {
	t.Helper()
	s, err := dialSubscriber(broker, uplink.Topic("alpr/v1", device, uplink.State))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	select {
	case m := <-s.msgs:
		if !m.Retained() {
			return uplink.StateMessage{}, false
		}
		var st uplink.StateMessage
		if err := json.Unmarshal(m.Payload(), &st); err != nil {
			t.Fatalf("state %s: %v", m.Payload(), err)
		}
		if m.Qos() != 1 {
			t.Errorf("state: got QoS %d, want 1", m.Qos())
		}
		return st, true
	case <-time.After(wait):
		return uplink.StateMessage{}, false
	}
}

// waitState waits until a new subscriber sees the retained state want.
func waitState(t *testing.T, broker, want string) uplink.StateMessage {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		st, ok := retainedState(t, broker, time.Second)
		if ok && st.State == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("retained state: got %+v (retained %v), want %q", st, ok, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxy forwards TCP connections to a target. cut drops the connections it
// carries, as a network would, and hold makes it refuse new ones.
type proxy struct {
	Addr   string
	target string
	l      net.Listener
	wg     sync.WaitGroup

	mu    sync.Mutex
	held  bool
	conns map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{Addr: l.Addr().String(), target: target, l: l, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		l.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		held := p.held
		p.mu.Unlock()
		if held {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		p.wg.Go(func() { pipe(up, c) })
		p.wg.Go(func() { pipe(c, up) })
	}
}

func (p *proxy) hold(b bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = b
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestTopic(t *testing.T) {
	tests := []struct{ prefix, device, kind, want string }{
		{"alpr/v1", "unit-7", uplink.Reads, "alpr/v1/unit-7/reads"},
		{"alpr/v1", "unit-7", uplink.State, "alpr/v1/unit-7/state"},
		{"fleet/alpr", "u1", uplink.Health, "fleet/alpr/u1/health"},
	}
	for _, tt := range tests {
		if got := uplink.Topic(tt.prefix, tt.device, tt.kind); got != tt.want {
			t.Errorf("Topic(%q, %q, %q): got %q, want %q", tt.prefix, tt.device, tt.kind, got, tt.want)
		}
	}
	u := uplink.New(uplink.Config{TopicPrefix: "alpr/v1", Device: "unit-7"})
	if got, want := u.Topic(uplink.Alerts), "alpr/v1/unit-7/alerts"; got != want {
		t.Errorf("MQTT.Topic: got %q, want %q", got, want)
	}
}

// TestPublish: each kind arrives on its topic with QoS 1, not retained.
func TestPublish(t *testing.T) {
	t.Parallel()
	b := mosquittotest.Start(t)
	sub := subscribe(t, b.Addr, "alpr/v1/"+device+"/+")
	u := newUplink(t, b.Addr)
	u.Start()

	sent := []struct{ kind, payload string }{
		{uplink.Reads, `{"v":1,"plate":"AB123"}`},
		{uplink.Alerts, `{"v":1,"hit":"AB123"}`},
		{uplink.Health, `{"v":1,"cpu":0.5}`},
		{uplink.Events, `{"v":1,"event":"door"}`},
		{uplink.Reads, `{"v":1,"plate":"XY987"}`},
	}
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	for _, m := range sent {
		if err := u.Publish(ctx, m.kind, []byte(m.payload)); err != nil {
			t.Fatalf("Publish %s: %v", m.kind, err)
		}
	}
	for i := 0; i < len(sent); {
		m := sub.next(t)
		if m.Topic() == u.Topic(uplink.State) {
			continue // the unit's birth
		}
		want := sent[i]
		if got, wantTopic := m.Topic(), "alpr/v1/"+device+"/"+want.kind; got != wantTopic {
			t.Errorf("message %d: topic got %q, want %q", i, got, wantTopic)
		}
		if got := string(m.Payload()); got != want.payload {
			t.Errorf("message %d: payload got %s, want %s", i, got, want.payload)
		}
		if m.Qos() != 1 {
			t.Errorf("message %d: QoS got %d, want 1", i, m.Qos())
		}
		if m.Retained() {
			t.Errorf("message %d: retained, want not", i)
		}
		i++
	}
}

// TestState: the unit's retained state is online with its firmware while it
// is connected, offline after Close.
func TestState(t *testing.T) {
	t.Parallel()
	b := mosquittotest.Start(t)
	u := newUplink(t, b.Addr)
	before := time.Now()
	u.Start()

	st := waitState(t, b.Addr, "online")
	if st.V != 1 || st.Firmware != "v1.2.3" {
		t.Errorf("online state: got v %d firmware %q, want 1, %q", st.V, st.Firmware, "v1.2.3")
	}
	at, err := time.Parse(time.RFC3339, st.Time)
	if err != nil {
		t.Errorf("online state time: %v", err)
	} else if at.Before(before.Truncate(time.Second)) || at.After(time.Now()) || at.Location() != time.UTC {
		t.Errorf("online state time: got %v, want UTC between %v and now", at, before.UTC())
	}

	if err := u.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close waited for the broker's acknowledgement: no polling needed.
	st, ok := retainedState(t, b.Addr, patience)
	if !ok || st != (uplink.StateMessage{V: 1, State: "offline"}) {
		t.Errorf("state after Close: got %+v (retained %v), want retained {V:1 State:offline}", st, ok)
	}
}

// TestLastWill: when the unit's connection drops without a goodbye, the
// broker publishes its will, state offline; when the unit is back it is
// online again.
func TestLastWill(t *testing.T) {
	t.Parallel()
	b := mosquittotest.Start(t)
	px := newProxy(t, b.Addr)
	u := newUplink(t, px.Addr)
	u.Start()
	waitState(t, b.Addr, "online")

	px.hold(true)
	px.cut()
	st := waitState(t, b.Addr, "offline")
	if st != (uplink.StateMessage{V: 1, State: "offline"}) {
		t.Errorf("will: got %+v, want {V:1 State:offline}", st)
	}
	waitConnected(t, u, false)

	px.hold(false)
	waitConnected(t, u, true)
	if st := waitState(t, b.Addr, "online"); st.Firmware != "v1.2.3" {
		t.Errorf("state after reconnecting: got %+v, want online with firmware v1.2.3", st)
	}
}

// TestBrokerOutage: Publish called while the broker is down waits and
// retries, and once the broker is back every message of a sequence arrives,
// in order.
func TestBrokerOutage(t *testing.T) {
	t.Parallel()
	b := mosquittotest.Start(t)
	// The unit reaches the broker through a proxy, so that the test can hold
	// it back after the restart until headquarters has subscribed again.
	px := newProxy(t, b.Addr)
	u := newUplink(t, px.Addr)
	u.Start()
	waitConnected(t, u, true)
	hq := subscribe(t, b.Addr, u.Topic(uplink.Reads))

	ctx, cancel := context.WithTimeout(t.Context(), 3*patience)
	defer cancel()
	msg := func(i int) string { return fmt.Sprintf(`{"seq":%d}`, i) }
	var want []string
	for i := range 3 {
		if err := u.Publish(ctx, uplink.Reads, []byte(msg(i))); err != nil {
			t.Fatalf("Publish before the outage: %v", err)
		}
		want = append(want, msg(i))
	}
	if got := hq.payloads(t, 3); !slices.Equal(got, want) {
		t.Fatalf("before the outage: got %v, want %v", got, want)
	}

	px.hold(true)
	b.Stop()
	waitConnected(t, u, false)

	const n = 5
	results := make(chan error, n)
	go func() {
		for i := 3; i < 3+n; i++ {
			results <- u.Publish(ctx, uplink.Reads, []byte(msg(i)))
		}
	}()
	select {
	case err := <-results:
		t.Fatalf("Publish returned %v while the broker was down, want it waiting", err)
	case <-time.After(time.Second):
	}

	b.Restart(t)
	hq = subscribe(t, b.Addr, u.Topic(uplink.Reads)) // the old session died with the broker
	px.hold(false)
	for i := range n {
		select {
		case err := <-results:
			if err != nil {
				t.Fatalf("Publish %d after the outage: %v", 3+i, err)
			}
		case <-time.After(2 * patience):
			t.Fatalf("Publish %d: not done %v after the broker came back", 3+i, 2*patience)
		}
	}

	// QoS 1 allows a duplicate; nothing may be missing or out of order.
	want = want[:0]
	for i := 3; i < 3+n; i++ {
		want = append(want, msg(i))
	}
	var got []string
	for len(got) < n {
		p := string(hq.next(t).Payload())
		if slices.Contains(got, p) {
			t.Logf("duplicate %s", p)
			continue
		}
		got = append(got, p)
	}
	if !slices.Equal(got, want) {
		t.Errorf("after the outage: got %v, want %v", got, want)
	}
}

// TestPublishOffline: a Publish that cannot reach the broker returns when
// its ctx ends, with ctx's error.
func TestPublishOffline(t *testing.T) {
	t.Parallel()
	u := newUplink(t, deadAddr(t))
	u.Start()
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		want    error
		atLeast time.Duration
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 700*time.Millisecond)
		}, context.DeadlineExceeded, 700 * time.Millisecond},
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			err := u.Publish(ctx, uplink.Reads, []byte("{}"))
			took := time.Since(start)
			if !errors.Is(err, tt.want) {
				t.Errorf("Publish: got %v, want %v", err, tt.want)
			}
			if !errors.Is(err, uplink.ErrOffline) {
				t.Errorf("Publish: got %v, want it to wrap %v", err, uplink.ErrOffline)
			}
			if took < tt.atLeast || took > patience {
				t.Errorf("Publish returned after %v, want between %v and %v", took, tt.atLeast, patience)
			}
		})
	}
}

// TestClose: Close may be called more than once, and Publish after it fails
// at once with ErrClosed.
func TestClose(t *testing.T) {
	t.Parallel()
	b := mosquittotest.Start(t)
	tests := []struct {
		name  string
		start func(t *testing.T) *uplink.MQTT
	}{
		{"connected", func(t *testing.T) *uplink.MQTT {
			u := newUplink(t, b.Addr)
			u.Start()
			waitConnected(t, u, true)
			return u
		}},
		{"never connected", func(t *testing.T) *uplink.MQTT {
			u := newUplink(t, deadAddr(t))
			u.Start()
			return u
		}},
		{"not started", func(t *testing.T) *uplink.MQTT { return newUplink(t, b.Addr) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.start(t)
			for i := range 2 {
				if err := u.Close(); err != nil {
					t.Errorf("Close %d: %v", i+1, err)
				}
			}
			if u.Connected() {
				t.Error("Connected after Close: got true, want false")
			}
			ctx, cancel := context.WithTimeout(t.Context(), patience)
			defer cancel()
			if err := u.Publish(ctx, uplink.Reads, []byte("{}")); !errors.Is(err, uplink.ErrClosed) {
				t.Errorf("Publish after Close: got %v, want %v", err, uplink.ErrClosed)
			}
			if ctx.Err() != nil {
				t.Error("Publish after Close waited for its ctx, want it to return at once")
			}
		})
	}
}
