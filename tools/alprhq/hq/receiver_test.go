package hq

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/envelope"
	"alprd/firmware/mosquittotest"
	"alprd/firmware/record"
)

// wait bounds every wait for the broker or the receiver: a guard against a
// hung test, never a measurement.
const wait = 20 * time.Second

// fixture is a broker, HQ's keys, units' keys, a database file, a client
// publishing as the units and one watching the acks.
type fixture struct {
	t       *testing.T
	url     string
	hqKeys  envelope.HQKeyMap
	devices envelope.DeviceKeyMap
	signers map[string]*ecdsa.PrivateKey
	db      string
	units   mqtt.Client
	acks    chan ackSeen
}

type ackSeen struct {
	device string
	seq    uint64
}

func newFixture(t *testing.T, devices ...string) *fixture {
	t.Helper()
	k, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, url: mosquittotest.Start(t).URL(), hqKeys: envelope.HQKeyMap{1: k},
		devices: envelope.DeviceKeyMap{}, signers: map[string]*ecdsa.PrivateKey{},
		db: filepath.Join(t.TempDir(), "hq.db"), acks: make(chan ackSeen, 100)}
	for _, d := range devices {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		f.signers[d] = key
		f.devices[d] = &key.PublicKey
	}
	f.units = f.connect("units", nil)
	f.connect("ack-watcher", func(c mqtt.Client) {
		tok := c.Subscribe(DefaultPrefix+"/+/ack", 1, func(_ mqtt.Client, m mqtt.Message) {
			var a ackMessage
			if err := json.Unmarshal(m.Payload(), &a); err != nil || a.V != 1 {
				t.Errorf("ack on %s: %q is not {\"v\":1,\"seq\":N}", m.Topic(), m.Payload())
				return
			}
			f.acks <- ackSeen{strings.Split(m.Topic(), "/")[2], a.Seq}
		})
		if !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("subscribe to acks: %v", tok.Error())
		}
	})
	return f
}

// connect returns a connected paho client, disconnected when the test ends.
func (f *fixture) connect(id string, then func(mqtt.Client)) mqtt.Client {
	f.t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(f.url).SetClientID(id))
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		f.t.Fatalf("connect %s: %v", id, tok.Error())
	}
	f.t.Cleanup(func() { c.Disconnect(100) })
	if then != nil {
		then(c)
	}
	return c
}

// seal returns device's envelope of payload, sealed to epoch (HQ's key of
// epoch 1 unless another key is given).
func (f *fixture) seal(device string, kind envelope.Kind, seq uint64, payload []byte, opts ...func(*envelope.SealerConfig)) []byte {
	f.t.Helper()
	cfg := envelope.SealerConfig{Device: device, Epoch: 1, HQKey: f.hqKeys[1].PublicKey(), Signer: f.signers[device], Now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := envelope.NewSealer(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := s.Seal(kind, seq, payload)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// publish publishes as a unit does: QoS 1, waiting for the broker's PUBACK.
func (f *fixture) publish(device, level string, payload []byte, retained bool) {
	f.t.Helper()
	tok := f.units.Publish(DefaultPrefix+"/"+device+"/"+level, 1, retained, payload)
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		f.t.Fatalf("publish: %v", tok.Error())
	}
}

// readMsg publishes a read of seq as device.
func (f *fixture) readMsg(device string, seq uint64) record.Read {
	f.t.Helper()
	rd := testRead(device, record.NewID(), time.Now())
	f.publish(device, "reads", f.seal(device, envelope.KindRead, seq, mustJSON(f.t, rd)), false)
	return rd
}

// nextAck returns the next ack published.
func (f *fixture) nextAck() ackSeen {
	f.t.Helper()
	select {
	case a := <-f.acks:
		return a
	case <-time.After(wait):
		f.t.Fatalf("no ack within %v", wait)
	}
	return ackSeen{}
}

// ackReaches reads acks until device's reaches seq; a higher one fails.
func (f *fixture) ackReaches(device string, seq uint64) {
	f.t.Helper()
	for {
		a := f.nextAck()
		if a.device != device {
			continue
		}
		if a.seq > seq {
			f.t.Fatalf("ack %d for %s, want at most %d", a.seq, device, seq)
		}
		if a.seq == seq {
			return
		}
	}
}

// running is a Receiver running on the fixture's broker and database.
type running struct {
	f        *fixture
	r        *Receiver
	store    *Store
	outcomes chan outcome
	stop     func()
}

type outcome struct {
	device, what string
	seq          uint64
}

func (f *fixture) start() *running {
	f.t.Helper()
	store, err := OpenStore(f.t.Context(), f.db)
	if err != nil {
		f.t.Fatal(err)
	}
	r, err := NewReceiver(Config{Broker: f.url, ClientID: "hq-test", HQKeys: f.hqKeys, Devices: f.devices,
		Store: store, Log: discard(), AckInterval: 20 * time.Millisecond})
	if err != nil {
		f.t.Fatal(err)
	}
	run := &running{f: f, r: r, store: store, outcomes: make(chan outcome, 100)}
	r.observe = func(device string, seq uint64, what string) { run.outcomes <- outcome{device, what, seq} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stopped := false
	run.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("Run: %v", err)
		}
		store.Close()
	}
	f.t.Cleanup(run.stop)
	select {
	case <-r.ready:
	case err := <-done:
		f.t.Fatalf("Run returned before subscribing: %v", err)
	case <-time.After(wait):
		f.t.Fatalf("receiver not subscribed within %v", wait)
	}
	return run
}

// expect waits for the receiver's next outcome and checks it.
func (run *running) expect(device string, seq uint64, what string) {
	run.f.t.Helper()
	select {
	case o := <-run.outcomes:
		if o != (outcome{device, what, seq}) {
			run.f.t.Fatalf("outcome %+v, want %+v", o, outcome{device, what, seq})
		}
	case <-time.After(wait):
		run.f.t.Fatalf("no outcome within %v, want %s %d %s", wait, device, seq, what)
	}
}

func (run *running) count(q string, args ...any) int {
	run.f.t.Helper()
	var n int
	if err := run.store.db.QueryRowContext(run.f.t.Context(), q, args...).Scan(&n); err != nil {
		run.f.t.Fatal(err)
	}
	return n
}

func TestReceiveStoresEveryKind(t *testing.T) {
	f := newFixture(t, "unit-a")
	run := f.start()

	rd := f.readMsg("unit-a", 1)
	run.expect("unit-a", 1, "stored")
	if a := f.nextAck(); a != (ackSeen{"unit-a", 1}) {
		t.Fatalf("ack %+v, want unit-a 1", a)
	}

	var (
		id, plate, doc string
		at             int64
		conf, lat, lon float64
		crop           []byte
	)
	err := run.store.db.QueryRowContext(t.Context(), `SELECT id, time, plate, confidence, lat, lon, crop, json FROM reads WHERE device = ? AND seq = ?`,
		"unit-a", 1).Scan(&id, &at, &plate, &conf, &lat, &lon, &crop, &doc)
	if err != nil {
		t.Fatal(err)
	}
	if id != rd.ID || at != time.Time(rd.Time).UnixMilli() || plate != rd.Plate || conf != rd.Confidence ||
		lat != rd.Position.Lat || lon != rd.Position.Lon || !bytes.Equal(crop, rd.Crop) {
		t.Errorf("stored read (%s, %d, %s, %v, %v, %v, %x), want (%s, %d, %s, %v, %v, %v, %x)", id, at, plate, conf, lat, lon, crop,
			rd.ID, time.Time(rd.Time).UnixMilli(), rd.Plate, rd.Confidence, rd.Position.Lat, rd.Position.Lon, rd.Crop)
	}
	var back record.Read
	if err := json.Unmarshal([]byte(doc), &back); err != nil {
		t.Fatalf("stored JSON: %v", err)
	}
	if strings.Contains(doc, "crop_jpeg") || back.Camera != rd.Camera || back.Raw != rd.Raw || back.FrameSeq != rd.FrameSeq ||
		len(back.Candidates) != 1 || back.Box != rd.Box || back.Firmware != rd.Firmware {
		t.Errorf("stored JSON %s: want the record without crop_jpeg", doc)
	}

	now := record.Millis(time.Now())
	for _, m := range []struct {
		level   string
		kind    envelope.Kind
		payload any
		table   string
	}{
		{"alerts", envelope.KindAlert, record.Alert{V: 1, ID: "a1", Device: "unit-a", Time: now, Notice: record.Notice, Match: record.MatchExact, Read: rd,
			Entry: record.HotEntry{Plate: rd.Plate, Case: "C-17"}}, "alerts"},
		{"audit", envelope.KindAudit, record.Audit{V: 1, ID: "u1", Device: "unit-a", Time: now, User: "ofc1", Action: "login", Purpose: "patrol", Result: "ok"}, "audit"},
		{"events", envelope.KindEvent, map[string]any{"type": "disposition", "v": 1, "alert": "a1", "outcome": record.Confirmed}, "events"},
		{"health", envelope.KindHealth, record.Health{V: 1, Device: "unit-a", Time: now, Status: "ok"}, "health"},
		{"selftest", envelope.KindSelftest, map[string]any{"ok": true}, "selftest"},
	} {
		seq := uint64(m.kind) // 2 to 6
		f.publish("unit-a", m.level, f.seal("unit-a", m.kind, seq, mustJSON(t, m.payload)), false)
		run.expect("unit-a", seq, "stored")
		if n := run.count(`SELECT count(*) FROM `+m.table+` WHERE device = ? AND seq = ?`, "unit-a", seq); n != 1 {
			t.Errorf("%s: %d rows for seq %d, want 1", m.table, n, seq)
		}
	}
	f.ackReaches("unit-a", 6)

	// A unit coming online is sent its current ack again.
	f.publish("unit-a", "state", []byte(`{"v":1,"state":"online","firmware":"v0.1.0"}`), true)
	run.expect("unit-a", 0, "state")
	if a := f.nextAck(); a != (ackSeen{"unit-a", 6}) {
		t.Errorf("ack after online %+v, want unit-a 6", a)
	}
	c := run.r.Counters()
	for _, k := range []string{"read", "alert", "audit", "event", "health", "selftest"} {
		if c.Stored[k] != 1 {
			t.Errorf("counters: stored %s %d, want 1", k, c.Stored[k])
		}
	}
	if c.Acks < 2 || c.Duplicates != 0 || len(c.Refused) != 0 {
		t.Errorf("counters %+v: want at least 2 acks, no duplicate, no refusal", c)
	}
}

func TestReceiveDuplicate(t *testing.T) {
	f := newFixture(t, "unit-a")
	run := f.start()
	env := f.seal("unit-a", envelope.KindRead, 1, mustJSON(t, testRead("unit-a", "r1", time.Now())))
	f.publish("unit-a", "reads", env, false)
	run.expect("unit-a", 1, "stored")
	f.ackReaches("unit-a", 1)
	f.publish("unit-a", "reads", env, false)
	run.expect("unit-a", 1, "duplicate")
	// The same (device, seq) in a new envelope is a duplicate too.
	f.readMsg("unit-a", 1)
	run.expect("unit-a", 1, "duplicate")
	if n := run.count(`SELECT count(*) FROM reads`); n != 1 {
		t.Errorf("%d reads stored, want 1", n)
	}
	if got := run.r.Counters().Duplicates; got != 2 {
		t.Errorf("duplicates %d, want 2", got)
	}
	// A unit resending has missed the ack: it is sent again.
	f.ackReaches("unit-a", 1)
}

func TestReceiveOutOfOrder(t *testing.T) {
	f := newFixture(t, "unit-a")
	run := f.start()
	f.readMsg("unit-a", 3)
	run.expect("unit-a", 3, "stored")
	f.readMsg("unit-a", 1)
	run.expect("unit-a", 1, "stored")
	// Acks only grow: had 3 been acknowledged, 1 would never be.
	if a := f.nextAck(); a != (ackSeen{"unit-a", 1}) {
		t.Fatalf("first ack %+v, want unit-a 1", a)
	}
	f.readMsg("unit-a", 2)
	run.expect("unit-a", 2, "stored")
	if a := f.nextAck(); a != (ackSeen{"unit-a", 3}) {
		t.Fatalf("ack %+v, want unit-a 3", a)
	}
}

func TestReceiveDroppedRange(t *testing.T) {
	f := newFixture(t, "unit-a")
	run := f.start()
	f.readMsg("unit-a", 1)
	run.expect("unit-a", 1, "stored")
	f.ackReaches("unit-a", 1)
	f.readMsg("unit-a", 6)
	run.expect("unit-a", 6, "stored")
	// firmware/unit's sender keeps this event with the audit records (which
	// its spool never drops) and publishes it on the audit topic.
	f.publish("unit-a", "audit", f.seal("unit-a", envelope.KindEvent, 7, []byte(`{"v":1,"type":"dropped","ranges":[[2,3],[5,5]]}`)), false)
	run.expect("unit-a", 7, "stored")
	if n := run.count(`SELECT count(*) FROM events WHERE device = 'unit-a' AND seq = 7 AND type = 'dropped'`); n != 1 {
		t.Errorf("dropped event: %d rows in events, want 1", n)
	}
	if got := run.r.Counters().OtherTopic; got != 1 {
		t.Errorf("counters: other topic %d, want 1", got)
	}
	if a := f.nextAck(); a != (ackSeen{"unit-a", 3}) { // 2 and 3 dropped, 4 missing
		t.Fatalf("ack %+v, want unit-a 3", a)
	}
	f.readMsg("unit-a", 4)
	run.expect("unit-a", 4, "stored")
	if a := f.nextAck(); a != (ackSeen{"unit-a", 7}) {
		t.Fatalf("ack %+v, want unit-a 7", a)
	}
	if n := run.count(`SELECT count(*) FROM dropped WHERE device = 'unit-a'`); n != 2 {
		t.Errorf("%d dropped ranges stored, want 2", n)
	}
}

func TestReceiveRefused(t *testing.T) {
	f := newFixture(t, "unit-a", "unit-b")
	run := f.start()
	stranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherHQ, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		t.Fatal(err)
	}
	readJSON := mustJSON(t, testRead("unit-a", "r1", time.Now()))
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		if i < 0 {
			i += len(c)
		}
		c[i] ^= 0x01
		return c
	}
	good := f.seal("unit-a", envelope.KindRead, 1, readJSON)
	h, err := envelope.ParseHeader(good)
	if err != nil {
		t.Fatal(err)
	}
	headerLen := 22 + len(h.Device) + 8
	withKey := func(epoch uint32, k hpke.PublicKey) func(*envelope.SealerConfig) {
		return func(c *envelope.SealerConfig) { c.Epoch, c.HQKey = epoch, k }
	}
	tests := []struct {
		name, topicDevice, level string
		payload                  []byte
		want                     string
	}{
		{"flipped ciphertext byte", "unit-a", "reads", flip(good, headerLen+70), ReasonSignature},
		{"flipped signature byte", "unit-a", "reads", flip(good, -1), ReasonSignature},
		{"flipped sequence byte", "unit-a", "reads", flip(good, 20), ReasonSignature},
		{"truncated", "unit-a", "reads", good[:headerLen+10], ReasonFormat},
		{"not an envelope", "unit-a", "reads", []byte(`{"v":1}`), ReasonFormat},
		{"device B on A's topic", "unit-a", "reads", f.seal("unit-b", envelope.KindRead, 1, readJSON), ReasonTopicDevice},
		{"unknown device", "unit-x", "reads", func() []byte {
			f.signers["unit-x"] = stranger
			return f.seal("unit-x", envelope.KindRead, 1, readJSON)
		}(), ReasonUnknownDevice},
		{"signed by another key", "unit-a", "reads", func() []byte {
			f.signers["unit-a"], stranger = stranger, f.signers["unit-a"]
			defer func() { f.signers["unit-a"], stranger = stranger, f.signers["unit-a"] }()
			return f.seal("unit-a", envelope.KindRead, 1, readJSON)
		}(), ReasonSignature},
		{"unknown epoch", "unit-a", "reads", f.seal("unit-a", envelope.KindRead, 1, readJSON, withKey(9, otherHQ.PublicKey())), ReasonUnknownEpoch},
		{"sealed to another key of the epoch", "unit-a", "reads", f.seal("unit-a", envelope.KindRead, 1, readJSON, withKey(1, otherHQ.PublicKey())), ReasonDecrypt},
		{"sequence 0", "unit-a", "reads", f.seal("unit-a", envelope.KindRead, 0, readJSON), ReasonFormat},
	}
	for _, tt := range tests {
		f.publish(tt.topicDevice, tt.level, tt.payload, false)
		run.expect(tt.topicDevice, 0, tt.want)
	}
	if n := run.count(`SELECT count(*) FROM received`); n != 0 {
		t.Errorf("%d messages received, want 0", n)
	}
	if n := run.count(`SELECT count(*) FROM reads`); n != 0 {
		t.Errorf("%d reads stored, want 0", n)
	}
	wantReasons := map[string]int{}
	for _, tt := range tests {
		wantReasons[tt.want]++
	}
	c := run.r.Counters()
	for reason, n := range wantReasons {
		if got := run.count(`SELECT count(*) FROM refused WHERE reason = ?`, reason); got != n {
			t.Errorf("refused table: %d rows of %s, want %d", got, reason, n)
		}
		if c.Refused[reason] != uint64(n) {
			t.Errorf("counters: refused %s %d, want %d", reason, c.Refused[reason], n)
		}
	}
	if got := run.count(`SELECT count(*) FROM refused WHERE device = 'unit-b'`); got != 0 {
		t.Errorf("%d refusals charged to unit-b, whose envelope was posted by unit-a; want 0", got)
	}

	// The genuine message still goes through; then a payload that is not a
	// read is refused but counted as received: the ack passes it.
	f.publish("unit-a", "reads", good, false)
	run.expect("unit-a", 1, "stored")
	f.publish("unit-a", "reads", f.seal("unit-a", envelope.KindRead, 2, []byte(`{"v":1,"id":`)), false)
	run.expect("unit-a", 2, ReasonPayload)
	f.ackReaches("unit-a", 2)
	if n := run.count(`SELECT count(*) FROM reads`); n != 1 {
		t.Errorf("%d reads stored, want 1", n)
	}
}

func TestReceiveRestartKeepsState(t *testing.T) {
	f := newFixture(t, "unit-a")
	run := f.start()
	f.readMsg("unit-a", 1)
	run.expect("unit-a", 1, "stored")
	f.readMsg("unit-a", 3)
	run.expect("unit-a", 3, "stored")
	f.ackReaches("unit-a", 1)
	run.stop()

	run = f.start()
	f.readMsg("unit-a", 3)
	run.expect("unit-a", 3, "duplicate")
	f.readMsg("unit-a", 1)
	run.expect("unit-a", 1, "duplicate")
	f.readMsg("unit-a", 2)
	run.expect("unit-a", 2, "stored")
	f.ackReaches("unit-a", 3)
	if n := run.count(`SELECT count(*) FROM reads`); n != 3 {
		t.Errorf("%d reads stored, want 3", n)
	}
}

func TestReceiveWhileStopped(t *testing.T) {
	// The session is persistent: what units publish while HQ is down is
	// delivered when it comes back.
	f := newFixture(t, "unit-a")
	run := f.start()
	run.stop()
	f.readMsg("unit-a", 1)
	f.readMsg("unit-a", 2)
	run = f.start()
	got := map[uint64]bool{}
	for range 2 {
		select {
		case o := <-run.outcomes:
			if o.what != "stored" {
				t.Fatalf("outcome %+v, want stored", o)
			}
			got[o.seq] = true
		case <-time.After(wait):
			t.Fatalf("queued messages not delivered within %v", wait)
		}
	}
	if !got[1] || !got[2] {
		t.Errorf("stored %v, want 1 and 2", got)
	}
	f.ackReaches("unit-a", 2)
}
