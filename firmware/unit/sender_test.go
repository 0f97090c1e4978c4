package unit

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"alprd/firmware/envelope"
	"alprd/firmware/spool"
	"alprd/firmware/uplink"
)

// gatedUplink records what is published; while closed (the broker out of
// reach) every Publish waits.
type gatedUplink struct {
	mu     sync.Mutex
	open   chan struct{}
	topics []string
	seqs   []uint64
}

func (u *gatedUplink) Publish(ctx context.Context, kind string, payload []byte) error {
	select {
	case <-u.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	h, err := envelope.ParseHeader(payload)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.topics = append(u.topics, kind)
	u.seqs = append(u.seqs, h.Seq)
	return nil
}

func (u *gatedUplink) Close() error { return nil }

func (u *gatedUplink) published() ([]string, []uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.topics...), append([]uint64(nil), u.seqs...)
}

func testOutbox(t *testing.T) spoolOutbox {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.Options{CommitInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	hq, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sealer, err := envelope.NewSealer(envelope.SealerConfig{Device: "u1", Epoch: 1, HQKey: hq.PublicKey(), Signer: dev})
	if err != nil {
		t.Fatal(err)
	}
	out := spoolOutbox{sp: sp, sealer: &atomic.Pointer[envelope.Sealer]{}}
	out.sealer.Store(sealer)
	return out
}

// TestAlertAheadOfBacklog: reads pile up while the broker is away; an alert
// raised after them is published first when it comes back, then the reads in
// order; HQ's acknowledgement trims the spool.
func TestAlertAheadOfBacklog(t *testing.T) {
	out := testOutbox(t)
	up := &gatedUplink{open: make(chan struct{})}
	s := &sender{sp: out.sp, out: out, up: up, log: testLogger(t)}
	for i := range 5 {
		if err := out.Send(t.Context(), uplink.Reads, fmt.Appendf(nil, `{"read":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// The sender holds read 1, waiting for the broker; the alert comes now.
	if err := out.Send(t.Context(), uplink.Alerts, []byte(`{"alert":1}`)); err != nil {
		t.Fatal(err)
	}
	close(up.open)
	deadline := time.Now().Add(30 * time.Second)
	for !s.caughtUp() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	topics, seqs := up.published()
	// Read 1 may already have been in Publish when the alert arrived; the
	// alert goes before every other read of the backlog.
	want := []string{"alerts", "reads", "reads", "reads", "reads", "reads"}
	wantSeqs := []uint64{6, 1, 2, 3, 4, 5}
	if topics[0] == "reads" {
		want = []string{"reads", "alerts", "reads", "reads", "reads", "reads"}
		wantSeqs = []uint64{1, 6, 2, 3, 4, 5}
	}
	if fmt.Sprint(topics) != fmt.Sprint(want) || fmt.Sprint(seqs) != fmt.Sprint(wantSeqs) {
		t.Fatalf("published %v %v, want %v %v", topics, seqs, want, wantSeqs)
	}

	s.onAck("", []byte(`{"v":1,"seq":6}`))
	if st := out.sp.Stats(); st.Acked != 6 || st.Pending != 0 {
		t.Errorf("after ack: acked %d pending %d, want 6 and 0", st.Acked, st.Pending)
	}
	s.onAck("", []byte(`{"v":1,"seq":99}`)) // beyond what was sent: refused
	s.onAck("", []byte(`not json`))
	if st := out.sp.Stats(); st.Acked != 6 {
		t.Errorf("bad acks moved the cursor to %d", st.Acked)
	}
}

// TestResendWhenAckStalls: records published but never acknowledged by HQ
// are published again after the resend interval.
func TestResendWhenAckStalls(t *testing.T) {
	out := testOutbox(t)
	up := &gatedUplink{open: make(chan struct{})}
	close(up.open)
	s := &sender{sp: out.sp, out: out, up: up, log: testLogger(t), resend: 200 * time.Millisecond}
	out.Send(t.Context(), uplink.Reads, []byte(`{}`))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.run(ctx); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, seqs := up.published(); len(seqs) >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if _, seqs := up.published(); len(seqs) < 2 || seqs[0] != 1 || seqs[1] != 1 {
		t.Errorf("published %v, want sequence 1 twice", seqs)
	}
}

// TestSenderWindow: no more than window bulk records go out beyond HQ's
// acknowledgement; an acknowledgement lets the next ones go; alerts are
// never held back.
func TestSenderWindow(t *testing.T) {
	out := testOutbox(t)
	up := &gatedUplink{open: make(chan struct{})}
	close(up.open)
	s := &sender{sp: out.sp, out: out, up: up, log: testLogger(t), window: 2}
	for range 5 {
		out.Send(t.Context(), uplink.Reads, []byte(`{}`))
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitSeqs := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, seqs := up.published()
			if fmt.Sprint(seqs) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("published %v, want %s", seqs, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitSeqs("[1 2]")
	out.Send(t.Context(), uplink.Alerts, []byte(`{}`)) // sequence 6
	waitSeqs("[1 2 6]")
	s.onAck("", []byte(`{"v":1,"seq":2}`))
	waitSeqs("[1 2 6 3 4]")
	s.onAck("", []byte(`{"v":1,"seq":4}`))
	waitSeqs("[1 2 6 3 4 5]")
}
