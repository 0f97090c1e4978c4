package hq

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"alprd/firmware/envelope"
)

// DefaultPrefix is the units' topic prefix.
const DefaultPrefix = "alpr/v1"

// DefaultAckInterval is the shortest time between two acks to one device.
const DefaultAckInterval = 200 * time.Millisecond

// upLevels are the topic levels units publish below <prefix>/<device>/.
var upLevels = []string{"state", "health", "selftest", "reads", "alerts", "audit", "events"}

// Refusal reasons, as counted, logged and stored in the refused table.
const (
	ReasonFormat        = "format"         // not an envelope, or sequence 0 or above 2^63-1
	ReasonUnknownDevice = "unknown_device" // no certificate for the device
	ReasonSignature     = "signature"      // not signed by the device's key
	ReasonUnknownEpoch  = "unknown_epoch"  // no HQ key of the epoch
	ReasonDecrypt       = "decrypt"        // signed, but cannot be decrypted
	ReasonTopicDevice   = "topic_device"   // header's device is not the topic's
	ReasonPayload       = "payload"        // authentic, but not its kind's JSON
)

// Reasons lists the refusal reasons.
var Reasons = []string{ReasonFormat, ReasonUnknownDevice, ReasonSignature, ReasonUnknownEpoch,
	ReasonDecrypt, ReasonTopicDevice, ReasonPayload}

// Config is what a Receiver needs.
type Config struct {
	Broker      string      // tcp://host:port or ssl://host:port
	TLS         *tls.Config // client certificate and CA, for ssl://; nil for tcp://
	ClientID    string      // MQTT client id; the session (and queued messages) is kept under it
	TopicPrefix string      // default DefaultPrefix
	HQKeys      envelope.HQKeys
	Devices     envelope.DeviceKeys
	Store       *Store
	Log         *slog.Logger
	AckInterval time.Duration // default DefaultAckInterval
}

// Counters are a Receiver's counts since it started.
type Counters struct {
	Stored      map[string]uint64 // messages stored, by kind ("read", "alert", ...)
	Duplicates  uint64            // (device, seq) already received
	Refused     map[string]uint64 // by reason (Reasons)
	OtherTopic  uint64            // stored by their kind although on another kind's topic
	Acks        uint64            // acknowledgements published
	StoreErrors uint64            // failed database writes (retried)
}

// Receiver receives the units' messages: see the package documentation.
type Receiver struct {
	cfg    Config
	opener *envelope.Opener
	log    *slog.Logger

	tracker *tracker // owned by the worker (and Run before it starts)
	acker   *acker

	stored      [envelope.KindState + 1]atomic.Uint64
	countMu     sync.Mutex
	refused     map[string]uint64 // by reason
	duplicates  atomic.Uint64
	otherTopic  atomic.Uint64
	storeErrors atomic.Uint64
	logs        logLimiter

	client mqtt.Client
	queue  chan inbound

	mu        sync.Mutex // guards closed and handlers.Add
	closed    bool
	stop      chan struct{}
	handlers  sync.WaitGroup // paho's calls into onMessage and onConnect
	ready     chan struct{}  // closed once subscribed
	readyOnce sync.Once

	// observe, when set (by tests), is told each message's outcome:
	// "stored", "duplicate", "state" or a refusal reason.
	observe func(device string, seq uint64, outcome string)
}

// inbound is a message handed from paho to the worker; ack is its PUBACK.
type inbound struct {
	topic   string
	payload []byte
	ack     func()
}

// NewReceiver checks cfg and returns a Receiver; it does no I/O.
func NewReceiver(cfg Config) (*Receiver, error) {
	if cfg.Broker == "" || cfg.ClientID == "" || cfg.HQKeys == nil || cfg.Devices == nil || cfg.Store == nil || cfg.Log == nil {
		return nil, errors.New("hq: receiver: broker, client id, HQ keys, devices, store and log are required")
	}
	if cfg.TopicPrefix == "" {
		cfg.TopicPrefix = DefaultPrefix
	}
	if cfg.AckInterval <= 0 {
		cfg.AckInterval = DefaultAckInterval
	}
	r := &Receiver{
		cfg:     cfg,
		opener:  envelope.NewOpener(cfg.HQKeys, cfg.Devices),
		log:     cfg.Log,
		tracker: newTracker(),
		refused: make(map[string]uint64),
		queue:   make(chan inbound),
		stop:    make(chan struct{}),
		ready:   make(chan struct{}),
	}
	r.acker = newAcker(r.publishAck, cfg.AckInterval, cfg.Log)
	return r, nil
}

// Counters returns the counts so far. It is safe to call at any time.
func (r *Receiver) Counters() Counters {
	c := Counters{Stored: map[string]uint64{}, Refused: map[string]uint64{},
		Duplicates: r.duplicates.Load(), OtherTopic: r.otherTopic.Load(), Acks: r.acker.sent.Load(), StoreErrors: r.storeErrors.Load()}
	for k := envelope.KindRead; k <= envelope.KindState; k++ {
		if n := r.stored[k].Load(); n > 0 {
			c.Stored[k.String()] = n
		}
	}
	r.countMu.Lock()
	defer r.countMu.Unlock()
	maps.Copy(c.Refused, r.refused)
	return c
}

// Run loads the acknowledgement state from the store, connects to the
// broker (retrying, with paho's backoff, until it succeeds; reconnecting
// after every loss) and receives until ctx is done. It then stops taking
// messages, publishes the acks still due and disconnects; messages not yet
// stored stay unacknowledged and come again on the next run (the session is
// persistent). It returns an error only when the store cannot be read at
// start. A Receiver runs once.
func (r *Receiver) Run(ctx context.Context) error {
	if err := r.cfg.Store.loadProgress(ctx, r.tracker); err != nil {
		return err
	}
	for dev, p := range r.tracker.devs {
		r.acker.set(dev, p.contig)
	}
	r.client = mqtt.NewClient(r.options())

	ackCtx, stopAcks := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.acker.run(ackCtx) })
	wg.Go(func() { r.work(ctx) })

	r.log.Info("hq: connecting", "broker", r.cfg.Broker, "client_id", r.cfg.ClientID, "devices", len(r.tracker.devs))
	r.client.Connect() // with ConnectRetry it keeps trying until Disconnect

	<-ctx.Done()
	r.mu.Lock()
	r.closed = true
	close(r.stop)
	r.mu.Unlock()
	r.handlers.Wait()
	stopAcks()
	wg.Wait() // the worker has finished its message, the acker its publish
	r.acker.flush()
	r.client.Disconnect(250)
	return nil
}

func (r *Receiver) options() *mqtt.ClientOptions {
	opts := mqtt.NewClientOptions().
		AddBroker(r.cfg.Broker).
		SetClientID(r.cfg.ClientID).
		SetCleanSession(false). // the broker queues QoS 1 messages while HQ is away
		SetOrderMatters(false). // handlers may block: they hand over to the worker
		SetAutoAckDisabled(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(2 * time.Second).
		SetMaxReconnectInterval(30 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetStore(copyStore{mqtt.NewMemoryStore()}).
		// With a persistent session the broker may deliver before the
		// subscription is renewed: the default handler takes those.
		SetDefaultPublishHandler(r.onMessage).
		SetOnConnectHandler(r.onConnect).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			r.log.Warn("hq: connection lost", "err", err)
		})
	if r.cfg.TLS != nil {
		opts.SetTLSConfig(r.cfg.TLS)
	}
	return opts
}

// enter registers a call from paho, or reports false after Run stopped.
func (r *Receiver) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.handlers.Add(1)
	return true
}

// onConnect (re)subscribes and re-sends the acks: paho calls it on a
// goroutine of its own after every connection.
func (r *Receiver) onConnect(c mqtt.Client) {
	if !r.enter() {
		return
	}
	defer r.handlers.Done()
	r.log.Info("hq: connected", "broker", r.cfg.Broker)
	filters := make(map[string]byte, len(upLevels))
	for _, l := range upLevels {
		filters[r.cfg.TopicPrefix+"/+/"+l] = 1
	}
	tok := c.SubscribeMultiple(filters, r.onMessage)
	if !tok.WaitTimeout(ackTimeout) {
		r.log.Error("hq: subscribe: no SUBACK", "in", ackTimeout)
	} else if err := tok.Error(); err != nil {
		r.log.Error("hq: subscribe failed", "err", err)
	} else {
		r.readyOnce.Do(func() { close(r.ready) })
	}
	r.acker.nudgeAll()
}

// onMessage is paho's handler, called on its own goroutine per message
// (OrderMatters false): it hands the message to the worker, waiting as long
// as the worker is busy; the broker's in-flight window bounds how many wait.
func (r *Receiver) onMessage(_ mqtt.Client, m mqtt.Message) {
	if !r.enter() {
		return // not acknowledged: the broker sends it again next session
	}
	defer r.handlers.Done()
	select {
	case r.queue <- inbound{m.Topic(), m.Payload(), m.Ack}:
	case <-r.stop:
	}
}

// work stores messages one at a time (SQLite has one writer) until ctx is
// done, acknowledging each to the broker once its outcome is committed.
func (r *Receiver) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-r.queue:
			if ctx.Err() != nil {
				return // not acknowledged: sent again next session
			}
			if r.process(ctx, in.topic, in.payload) {
				in.ack()
			}
		}
	}
}

// process handles one message and reports whether its outcome (stored,
// duplicate, refused, ignored) is final, so that it may be acknowledged:
// false only when ctx ended while the database kept failing.
func (r *Receiver) process(ctx context.Context, topic string, payload []byte) bool {
	now := time.Now()
	device, level, ok := r.splitTopic(topic)
	if !ok {
		return true // not a unit's up topic: not ours
	}
	if level == "state" {
		return r.processState(ctx, device, payload, now)
	}
	h, err := envelope.ParseHeader(payload)
	if err != nil {
		return r.refuse(ctx, device, ReasonFormat, now, len(payload), 0, err)
	}
	if h.Device != device {
		return r.refuse(ctx, device, ReasonTopicDevice, now, len(payload), 0,
			fmt.Errorf("hq: envelope of device %q on the topic of %q", h.Device, device))
	}
	h, body, err := r.opener.Open(payload)
	if err != nil {
		return r.refuse(ctx, device, openReason(err), now, len(payload), 0, err)
	}
	if h.Seq == 0 || h.Seq > math.MaxInt64 {
		return r.refuse(ctx, device, ReasonFormat, now, len(payload), 0, fmt.Errorf("hq: sequence %d out of range", h.Seq))
	}
	if k, err := envelope.ParseKind(level); err != nil || k != h.Kind {
		// The signed kind decides, not the topic: the unit's sender
		// publishes its "dropped" events (kind event) on the audit topic.
		r.otherTopic.Add(1)
		if n, ok := r.logs.allow("other_topic", now); ok {
			r.log.Warn("hq: message on another kind's topic, stored by its kind", "device", device, "seq", h.Seq, "kind", h.Kind, "topic", level, "suppressed", n)
		}
	}
	rw := &row{device: device, seq: h.Seq, kind: h.Kind.String(), at: now, size: len(payload)}
	if err := decode(rw, h.Kind, body); err != nil {
		rw.refused, rw.table, rw.cols, rw.vals, rw.dropped = ReasonPayload, "", nil, nil, nil
		r.logRefusal(device, ReasonPayload, len(payload), h.Seq, err)
	}
	rw.contig = r.tracker.next(device, rw.seq, rw.dropped)
	var dup bool
	if !r.retry(ctx, func() (err error) { dup, err = r.cfg.Store.put(ctx, rw); return err }) {
		return false
	}
	if dup {
		r.duplicates.Add(1)
		r.acker.nudge(device)
		r.note(device, rw.seq, "duplicate")
		return true
	}
	before := r.tracker.contig(device)
	if c := r.tracker.add(device, rw.seq, rw.dropped); c > before {
		r.acker.advance(device, c)
	}
	if rw.refused != "" {
		r.countRefused(ReasonPayload)
		r.note(device, rw.seq, ReasonPayload)
	} else {
		r.stored[h.Kind].Add(1)
		r.note(device, rw.seq, "stored")
	}
	return true
}

func (r *Receiver) note(device string, seq uint64, outcome string) {
	if r.observe != nil {
		r.observe(device, seq, outcome)
	}
}

// retry runs op until it succeeds, backing off from 100 ms to 5 s between
// failures, and reports false when ctx ended first.
func (r *Receiver) retry(ctx context.Context, op func() error) bool {
	backoff := 100 * time.Millisecond
	for {
		err := op()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.storeErrors.Add(1)
		r.log.Error("hq: database write failed, retrying", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// refuse counts, logs and stores a refusal whose sequence stays missing.
// device is the topic's, which any client allowed on the topic chose: it is
// cut to a sane length.
func (r *Receiver) refuse(ctx context.Context, device, reason string, at time.Time, size int, seq uint64, why error) bool {
	if len(device) > 2*envelope.MaxDeviceLen {
		device = strings.ToValidUTF8(device[:2*envelope.MaxDeviceLen], "?")
	}
	r.logRefusal(device, reason, size, seq, why)
	if !r.retry(ctx, func() error { return r.cfg.Store.refuse(ctx, device, reason, at, size, seq) }) {
		return false
	}
	r.countRefused(reason)
	r.note(device, seq, reason)
	return true
}

func (r *Receiver) logRefusal(device, reason string, size int, seq uint64, why error) {
	if n, ok := r.logs.allow(reason, time.Now()); ok {
		r.log.Warn("hq: message refused", "device", device, "reason", reason, "size", size, "seq", seq, "err", why, "suppressed", n)
	}
}

// stateMessage is the retained clear payload of <prefix>/<device>/state.
type stateMessage struct {
	V     int    `json:"v"`
	State string `json:"state"`
}

// processState stores a known unit's retained state and, when it came
// online, sends it its current ack. A cleared retained message is ignored.
func (r *Receiver) processState(ctx context.Context, device string, payload []byte, now time.Time) bool {
	if len(payload) == 0 {
		return true
	}
	if _, ok := r.cfg.Devices.DeviceKey(device); !ok {
		return r.refuse(ctx, device, ReasonUnknownDevice, now, len(payload), 0, errors.New("hq: state of an unknown device"))
	}
	var st stateMessage
	if len(payload) > 4096 || json.Unmarshal(payload, &st) != nil || st.State == "" {
		return r.refuse(ctx, device, ReasonFormat, now, len(payload), 0, errors.New("hq: state: bad JSON"))
	}
	if !r.retry(ctx, func() error { return r.cfg.Store.setState(ctx, device, string(payload), now) }) {
		return false
	}
	r.log.Info("hq: unit state", "device", device, "state", st.State)
	if st.State == "online" {
		r.acker.nudge(device)
	}
	r.note(device, 0, "state")
	return true
}

// splitTopic returns the device and level of <prefix>/<device>/<level>
// for the up levels.
func (r *Receiver) splitTopic(topic string) (device, level string, ok bool) {
	rest, ok := strings.CutPrefix(topic, r.cfg.TopicPrefix+"/")
	if !ok {
		return "", "", false
	}
	device, level, ok = strings.Cut(rest, "/")
	if !ok || device == "" {
		return "", "", false
	}
	for _, l := range upLevels {
		if l == level {
			return device, level, true
		}
	}
	return "", "", false
}

func openReason(err error) string {
	switch {
	case errors.Is(err, envelope.ErrUnknownDevice):
		return ReasonUnknownDevice
	case errors.Is(err, envelope.ErrSignature):
		return ReasonSignature
	case errors.Is(err, envelope.ErrUnknownEpoch):
		return ReasonUnknownEpoch
	case errors.Is(err, envelope.ErrDecrypt):
		return ReasonDecrypt
	default:
		return ReasonFormat
	}
}

func (r *Receiver) countRefused(reason string) {
	r.countMu.Lock()
	defer r.countMu.Unlock()
	r.refused[reason]++
}

// ackMessage is the payload of <prefix>/<device>/ack.
type ackMessage struct {
	V   int    `json:"v"`
	Seq uint64 `json:"seq"`
}

// ackTimeout bounds the wait for the broker's PUBACK of an ack.
const ackTimeout = 10 * time.Second

// publishAck makes one attempt to publish device's ack.
func (r *Receiver) publishAck(device string, seq uint64) error {
	if !r.client.IsConnectionOpen() {
		return errOffline
	}
	b, _ := json.Marshal(ackMessage{V: 1, Seq: seq})
	tok := r.client.Publish(r.cfg.TopicPrefix+"/"+device+"/ack", 1, false, b)
	if !tok.WaitTimeout(ackTimeout) {
		return fmt.Errorf("hq: ack %s %d: no PUBACK in %v", device, seq, ackTimeout)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("hq: ack %s %d: %w", device, seq, err)
	}
	return nil
}

// logLimiter lets one log line per reason through every logEvery and counts
// the others.
type logLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
	skip map[string]int
}

const logEvery = 10 * time.Second

// allow reports whether to log reason now, and how many were suppressed
// since the last one logged.
func (l *logLimiter) allow(reason string, now time.Time) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last, l.skip = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := l.last[reason]; ok && now.Sub(t) < logEvery {
		l.skip[reason]++
		return 0, false
	}
	n := l.skip[reason]
	l.last[reason], l.skip[reason] = now, 0
	return n, true
}

// copyStore is paho's memory store holding its own copies of publish
// packets: paho sets the DUP flag of stored packets when it resends them
// after a reconnect, while its writer may still be sending the same packet
// (eclipse-paho/paho.mqtt.golang#703; firmware/uplink does the same).
type copyStore struct{ mqtt.Store }

func (s copyStore) Put(key string, p packets.ControlPacket) { s.Store.Put(key, clonePacket(p)) }

func (s copyStore) Get(key string) packets.ControlPacket { return clonePacket(s.Store.Get(key)) }

func clonePacket(p packets.ControlPacket) packets.ControlPacket {
	if pp, ok := p.(*packets.PublishPacket); ok {
		c := *pp
		return &c
	}
	return p
}
