package unit

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/envelope"
	"alprd/firmware/record"
	"alprd/firmware/uplink"
)

// hqSide is headquarters as the tests see it: a subscriber to every topic of
// the test unit that opens each envelope (a message that does not open fails
// the test) and keeps the payloads in arrival order.
type hqSide struct {
	t      testing.TB
	c      paho.Client
	opener *envelope.Opener

	mu     sync.Mutex
	msgs   []hqMsg
	states []string
}

type hqMsg struct {
	kind    string // the topic's last level
	epoch   uint32
	payload []byte // opened
}

func newHQ(t testing.TB, broker string, opener *envelope.Opener) *hqSide {
	t.Helper()
	h := &hqSide{t: t, opener: opener}
	h.c = paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID("test-hq").SetOrderMatters(true))
	if tok := h.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("hq connect: %v", tok.Error())
	}
	t.Cleanup(func() { h.c.Disconnect(50) })
	tok := h.c.Subscribe("alpr/v1/test-unit/+", 1, func(_ paho.Client, m paho.Message) { h.receive(m.Topic(), m.Payload()) })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("hq subscribe: %v", tok.Error())
	}
	return h
}

func (h *hqSide) receive(topic string, b []byte) {
	kind := topic[strings.LastIndex(topic, "/")+1:]
	h.mu.Lock()
	defer h.mu.Unlock()
	if kind == uplink.State {
		var sm uplink.StateMessage
		json.Unmarshal(b, &sm)
		h.states = append(h.states, sm.State)
		return
	}
	hdr, payload, err := h.opener.Open(b)
	if err != nil {
		h.t.Errorf("hq: %s: %v", topic, err)
		return
	}
	if hdr.Device != "test-unit" {
		h.t.Errorf("hq: %s: envelope from %q", topic, hdr.Device)
	}
	h.msgs = append(h.msgs, hqMsg{kind, hdr.Epoch, payload})
}

// publish sends a message to the unit on alpr/v1/test-unit/<suffix>.
func (h *hqSide) publish(suffix string, retained bool, payload []byte) {
	h.c.Publish("alpr/v1/test-unit/"+suffix, 1, retained, payload).WaitTimeout(5 * time.Second)
}

// all returns the opened messages so far.
func (h *hqSide) all() []hqMsg {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hqMsg(nil), h.msgs...)
}

// payloads returns the opened payloads of one kind.
func (h *hqSide) payloads(kind string) []string {
	var out []string
	for _, m := range h.all() {
		if m.kind == kind {
			out = append(out, string(m.payload))
		}
	}
	return out
}

// has reports whether a payload of kind contains every one of subs.
func (h *hqSide) has(kind string, subs ...string) bool {
	for _, p := range h.payloads(kind) {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(p, s)
		}
		if ok {
			return true
		}
	}
	return false
}

// reads decodes the reads received.
func (h *hqSide) reads() []record.Read {
	var rs []record.Read
	for _, p := range h.payloads(uplink.Reads) {
		r, err := record.Decode([]byte(p))
		if err != nil {
			h.t.Errorf("hq: read: %v", err)
			continue
		}
		rs = append(rs, r)
	}
	return rs
}

// wait polls cond for up to 30 s and fails the test if it never holds.
func (h *hqSide) wait(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("hq: no %s within 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitReads waits up to 10 s for n reads, then a little longer so that a
// straggler beyond n would show.
func (h *hqSide) waitReads(n int) []record.Read {
	deadline := time.Now().Add(10 * time.Second)
	for len(h.payloads(uplink.Reads)) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	return h.reads()
}

// stateLog returns the state messages, waiting up to 5 s for "offline".
func (h *hqSide) stateLog() []string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.Lock()
		st := append([]string(nil), h.states...)
		h.mu.Unlock()
		if (len(st) > 0 && st[len(st)-1] == "offline") || time.Now().After(deadline) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}
