// Package uplink carries the unit's messages to headquarters.
//
// Uplink is the interface the pipeline publishes through; MQTT is its
// implementation over paho (QoS 1, retained birth/death state with a last will).
// Encryption and the durable spool slot in behind the same interface.
package uplink

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Message kinds, the last level of the topic alpr/v1/<device>/<kind>.
const (
	Reads  = "reads"
	Alerts = "alerts"
	Health = "health"
	Events = "events"
	Audit  = "audit"
	// Selftest carries the unit's self-test reports.
	Selftest = "selftest"
	State    = "state"
	// Ack is HQ's acknowledgement, down: {"v":1,"seq":N}.
	Ack = "ack"
)

// Uplink sends messages to headquarters.
type Uplink interface {
	// Publish sends payload as a message of the given kind and blocks until the
	// broker acknowledged it, retrying with backoff; it gives up only when ctx
	// is done, returning an error that wraps ctx.Err() (and the last attempt's
	// error).
	Publish(ctx context.Context, kind string, payload []byte) error
	// Close says goodbye (state offline) and disconnects.
	Close() error
}

// Config configures the MQTT uplink.
type Config struct {
	Broker      string // tcp://host:1883
	ClientID    string // empty = the device name
	Username    string
	Password    string
	TopicPrefix string // "alpr/v1"
	Device      string
	Firmware    string
	KeepAlive   time.Duration
	Timeout     time.Duration // one attempt's wait for the broker
	// TLS, when set, is used for ssl:// brokers: the department CA and the
	// device's client certificate (mutual TLS, 1.2 or later).
	TLS *tls.Config
	// Subscribe maps topic kinds under the device's own topics ("ack",
	// "cmd/+") to handlers. They are subscribed (QoS 1) on every connection;
	// a handler runs on the client's goroutine and must not block for long.
	Subscribe map[string]func(topic string, payload []byte)
	Log       *slog.Logger
}

// StateMessage is the retained payload of alpr/v1/<device>/state.
type StateMessage struct {
	V        int    `json:"v"`
	State    string `json:"state"` // "online" or "offline"
	Firmware string `json:"firmware,omitempty"`
	Time     string `json:"time,omitempty"` // RFC 3339, set on "online"
}

// MQTT is an Uplink over an MQTT broker.
type MQTT struct {
	cfg    Config
	client mqtt.Client

	mu     sync.Mutex
	closed bool
}

// New returns an uplink; it does no I/O until Connect.
func New(cfg Config) *MQTT {
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.Device
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &MQTT{cfg: cfg}
}

// Topic returns the topic of a message kind.
func (m *MQTT) Topic(kind string) string { return Topic(m.cfg.TopicPrefix, m.cfg.Device, kind) }

// Topic returns prefix/device/kind.
func Topic(prefix, device, kind string) string { return prefix + "/" + device + "/" + kind }

// Start begins connecting in the background and returns at once: the unit
// reads plates whether or not headquarters is reachable. The broker keeps a
// last will that sets state offline, and every (re)connection publishes state
// online, retained. paho reconnects after every loss.
func (m *MQTT) Start() {
	will, _ := json.Marshal(StateMessage{V: 1, State: "offline"})
	opts := mqtt.NewClientOptions().
		AddBroker(m.cfg.Broker).
		SetClientID(m.cfg.ClientID).
		SetUsername(m.cfg.Username).
		SetPassword(m.cfg.Password).
		SetKeepAlive(m.cfg.KeepAlive).
		SetCleanSession(true).
		SetOrderMatters(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(2*time.Second).
		SetMaxReconnectInterval(30*time.Second).
		SetConnectTimeout(m.cfg.Timeout).
		SetReconnectingHandler(func(mqtt.Client, *mqtt.ClientOptions) {
			// Jitter, so that a fleet does not come back in step after
			// the broker restarts; paho's own backoff doubles to 30 s.
			time.Sleep(rand.N(time.Second))
		}).
		SetStore(copyStore{mqtt.NewMemoryStore()}).
		SetWill(m.Topic(State), string(will), 1, true).
		SetOnConnectHandler(func(c mqtt.Client) {
			m.cfg.Log.Info("uplink: connected", "broker", m.cfg.Broker)
			b, _ := json.Marshal(StateMessage{V: 1, State: "online", Firmware: m.cfg.Firmware, Time: time.Now().UTC().Format(time.RFC3339)})
			// Not waited on here: the handler runs on paho's goroutine.
			c.Publish(m.Topic(State), 1, true, b)
			for kind, h := range m.cfg.Subscribe {
				c.Subscribe(m.Topic(kind), 1, func(_ mqtt.Client, msg mqtt.Message) { h(msg.Topic(), msg.Payload()) })
			}
		}).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			m.cfg.Log.Warn("uplink: connection lost", "err", err)
		})
	if m.cfg.TLS != nil {
		opts.SetTLSConfig(m.cfg.TLS)
	}
	m.mu.Lock()
	m.client = mqtt.NewClient(opts)
	m.mu.Unlock()
	m.client.Connect() // with ConnectRetry it keeps trying until Close
}

// Connected reports whether the session is up.
func (m *MQTT) Connected() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.client != nil && !m.closed && m.client.IsConnectionOpen()
}

// copyStore is paho's memory store holding its own copies of publish
// packets. On reconnect paho resends the stored packets, setting their DUP
// flag, while its writer may be sending the same packet (the state published
// by the connect handler, a Publish just after the session came back): with
// the plain memory store that is a data race on the packet
// (eclipse-paho/paho.mqtt.golang#703).
type copyStore struct{ mqtt.Store }

func (s copyStore) Put(key string, p packets.ControlPacket) { s.Store.Put(key, clonePacket(p)) }

func (s copyStore) Get(key string) packets.ControlPacket { return clonePacket(s.Store.Get(key)) }

func clonePacket(p packets.ControlPacket) packets.ControlPacket {
	if pp, ok := p.(*packets.PublishPacket); ok {
		c := *pp // the payload is shared: nobody writes it
		return &c
	}
	return p
}

// ErrOffline is returned by one publish attempt while the broker is out of reach.
var ErrOffline = errors.New("uplink: not connected")

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("uplink: closed")

// publish1 makes one attempt: it hands the message to paho and waits up to the
// configured timeout for the broker's PUBACK.
func (m *MQTT) publish1(ctx context.Context, kind string, payload []byte, retained bool) error {
	m.mu.Lock()
	closed, client := m.closed, m.client
	m.mu.Unlock()
	if closed || client == nil {
		return ErrClosed
	}
	// Handing paho a message while it is offline would queue it inside paho
	// and send it again after our own retry: wait for the session instead.
	if !client.IsConnectionOpen() {
		return ErrOffline
	}
	tok := client.Publish(m.Topic(kind), 1, retained, payload)
	deadline := time.Now().Add(m.cfg.Timeout)
	for !tok.WaitTimeout(100 * time.Millisecond) {
		if ctx.Err() != nil {
			return fmt.Errorf("uplink: publish %s: %w", kind, ctx.Err())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("uplink: publish %s: no acknowledgement in %v", kind, m.cfg.Timeout)
		}
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("uplink: publish %s: %w", kind, err)
	}
	return nil
}

// Publish implements Uplink: publish1 in a loop with exponential backoff and
// jitter (0.5 s doubling to 30 s; every 250 ms while offline) until it succeeds or ctx is done.
// When ctx ends first the error wraps both ctx's error and the last attempt's.
func (m *MQTT) Publish(ctx context.Context, kind string, payload []byte) error {
	backoff := 500 * time.Millisecond
	for {
		err := m.publish1(ctx, kind, payload, false)
		if err == nil || errors.Is(err, ErrClosed) {
			return err
		}
		if ctx.Err() != nil {
			return giveUp(ctx, err)
		}
		wait := 250 * time.Millisecond // offline: poll for the session
		if !errors.Is(err, ErrOffline) {
			m.cfg.Log.Warn("uplink: publish failed, retrying", "kind", kind, "err", err, "in", backoff)
			wait = backoff/2 + rand.N(backoff)
			backoff = min(2*backoff, 30*time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return giveUp(ctx, err)
		case <-t.C:
		}
	}
}

// giveUp is Publish's error when ctx ended: ctx's error, and the last
// attempt's error when it is another one (ErrOffline, no acknowledgement).
func giveUp(ctx context.Context, last error) error {
	if errors.Is(last, ctx.Err()) {
		return last
	}
	return fmt.Errorf("%w (last attempt: %w)", ctx.Err(), last)
}

// Close publishes state offline (retained), waits briefly for it, and
// disconnects. It is safe to call more than once.
func (m *MQTT) Close() error {
	m.mu.Lock()
	if m.closed || m.client == nil {
		m.closed = true
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	var err error
	if m.client.IsConnectionOpen() {
		b, _ := json.Marshal(StateMessage{V: 1, State: "offline"})
		tok := m.client.Publish(m.Topic(State), 1, true, b)
		if !tok.WaitTimeout(2 * time.Second) {
			err = errors.New("uplink: close: offline state not acknowledged")
		} else if tok.Error() != nil {
			err = fmt.Errorf("uplink: close: %w", tok.Error())
		}
	}
	m.client.Disconnect(250)
	return err
}
