package unit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"alprd/firmware/envelope"
	"alprd/firmware/spool"
	"alprd/firmware/uplink"
)

// spoolOutbox seals each message to HQ and appends it to the spool: Send
// returns once the sealed record is durable. The sender takes it from there.
type spoolOutbox struct {
	sp     *spool.Spool
	sealer *atomic.Pointer[envelope.Sealer] // HQ's key can be rotated
}

// kinds maps a message kind (the topic's last level) to its spool and
// envelope kinds.
var kinds = map[string]struct {
	spool    spool.Kind
	envelope envelope.Kind
}{
	uplink.Reads:    {spool.Read, envelope.KindRead},
	uplink.Alerts:   {spool.Alert, envelope.KindAlert},
	uplink.Audit:    {spool.Audit, envelope.KindAudit},
	uplink.Events:   {spool.Event, envelope.KindEvent},
	uplink.Health:   {spool.Health, envelope.KindHealth},
	uplink.Selftest: {spool.Audit, envelope.KindSelftest},
}

// topicOf is the message kind (topic) of a spooled envelope: its header's
// kind, which may differ from the spool kind (the dropped-sequence event is
// stored as an audit record so that the size cap keeps it).
func topicOf(payload []byte) string {
	if h, err := envelope.ParseHeader(payload); err == nil {
		for name, m := range kinds {
			if m.envelope == h.Kind {
				return name
			}
		}
	}
	return uplink.Events
}

func (o spoolOutbox) Send(ctx context.Context, kind string, payload []byte) error {
	return o.send(kind, 0, payload)
}

// send appends payload sealed as kind; a non-zero store overrides the
// spool kind (the size cap's protection) of the record.
func (o spoolOutbox) send(kind string, store spool.Kind, payload []byte) error {
	m, ok := kinds[kind]
	if !ok {
		return fmt.Errorf("unit: send: unknown message kind %q", kind)
	}
	if store == 0 {
		store = m.spool
	}
	_, err := o.sp.Append(store, func(seq uint64) ([]byte, error) {
		return o.sealer.Load().Seal(m.envelope, seq, payload)
	})
	return err
}

// sender moves the spool's records to HQ: every pending alert before the
// read backlog, in sequence order within each lane. HQ acknowledges the
// highest contiguous sequence it holds on alpr/v1/<device>/ack and the
// spool trims to it; when HQ's acknowledgement stalls behind what was
// published, the sender goes back to the acknowledged point and publishes
// again (HQ drops duplicates by device and sequence).
type sender struct {
	sp     *spool.Spool
	out    spoolOutbox
	up     uplink.Uplink
	log    *slog.Logger
	resend time.Duration // default 2 minutes
	// window bounds the bulk records published beyond HQ's last
	// acknowledgement (0: none), so that a backlog after an outage does not
	// overflow the broker's queue for HQ; alerts are never held back.
	window uint64

	lanes [2]atomic.Uint64 // the last sequence published: alerts, bulk

	mu       sync.Mutex
	acked    uint64        // HQ's last acknowledgement
	ackedAt  time.Time     // when it last advanced (or the sender started)
	ackSig   chan struct{} // closed and replaced at every acknowledgement
	reported []spool.Range
}

// ackMessage is HQ's acknowledgement on alpr/v1/<device>/ack.
type ackMessage struct {
	V   int    `json:"v"`
	Seq uint64 `json:"seq"`
}

// onAck handles a message on the ack topic.
func (s *sender) onAck(_ string, payload []byte) {
	var a ackMessage
	if err := json.Unmarshal(payload, &a); err != nil || a.V != 1 {
		s.log.Warn("sender: malformed acknowledgement ignored", "err", err, "v", a.V)
		return
	}
	if err := s.sp.Ack(a.Seq); err != nil {
		s.log.Warn("sender: acknowledgement refused", "seq", a.Seq, "err", err)
		return
	}
	s.mu.Lock()
	if a.Seq > s.acked {
		s.acked, s.ackedAt = a.Seq, time.Now()
	}
	if s.ackSig != nil {
		close(s.ackSig)
	}
	s.ackSig = make(chan struct{})
	s.mu.Unlock()
}

// run sends until ctx is done or the spool closes.
func (s *sender) run(ctx context.Context) {
	if s.resend <= 0 {
		s.resend = 2 * time.Minute
	}
	s.mu.Lock()
	s.ackedAt = time.Now()
	if s.ackSig == nil {
		s.ackSig = make(chan struct{})
	}
	s.mu.Unlock()
	var alerts, bulk uint64 // the last sequence published in each lane
	defer func() { s.lanes[0].Store(alerts); s.lanes[1].Store(bulk) }()
	for ctx.Err() == nil {
		s.lanes[0].Store(alerts)
		s.lanes[1].Store(bulk)
		changed := s.sp.Notify()
		s.mu.Lock()
		acked := s.ackSig
		s.mu.Unlock()
		s.reportDropped()
		if s.stalled(max(alerts, bulk)) {
			s.log.Warn("sender: HQ's acknowledgement is behind; publishing again from it", "acked", s.sp.Stats().Acked, "published", max(alerts, bulk))
			alerts, bulk = 0, 0
			s.mu.Lock()
			s.ackedAt = time.Now()
			s.mu.Unlock()
		}
		recs, err := s.sp.Pending(alerts, 8, spool.Alert)
		lane := &alerts
		if err == nil && len(recs) == 0 {
			// One bulk record at a time, so that an alert raised
			// meanwhile goes next.
			recs, err = s.sp.Pending(bulk, 1, spool.Read, spool.Audit, spool.Event, spool.Health)
			lane = &bulk
			if len(recs) > 0 && s.window > 0 && recs[0].Seq > s.sp.Stats().Acked+s.window {
				recs = nil // the window is full: wait for HQ
			}
		}
		if errors.Is(err, spool.ErrClosed) {
			return
		}
		if err != nil {
			s.log.Error("sender: spool", "err", err)
		}
		if len(recs) == 0 {
			t := time.NewTimer(s.resend / 4)
			select {
			case <-ctx.Done():
			case <-changed:
			case <-acked:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		for _, r := range recs {
			if err := s.up.Publish(ctx, topicOf(r.Payload), r.Payload); err != nil {
				if ctx.Err() == nil {
					s.log.Error("sender: publish", "seq", r.Seq, "err", err)
				}
				break
			}
			*lane = r.Seq
		}
	}
}

// caughtUp reports whether every stored record has been published once.
func (s *sender) caughtUp() bool {
	a, _ := s.sp.Pending(s.lanes[0].Load(), 1, spool.Alert)
	b, _ := s.sp.Pending(s.lanes[1].Load(), 1, spool.Read, spool.Audit, spool.Event, spool.Health)
	return len(a) == 0 && len(b) == 0
}

// stalled reports whether HQ has not acknowledged published records for
// longer than the resend interval.
func (s *sender) stalled(published uint64) bool {
	acked := s.sp.Stats().Acked
	s.mu.Lock()
	defer s.mu.Unlock()
	return published > acked && time.Since(s.ackedAt) > s.resend
}

// droppedEvent tells HQ which sequences will never come, so that its
// contiguous acknowledgement can pass them.
type droppedEvent struct {
	V      int         `json:"v"`
	Type   string      `json:"type"` // "dropped"
	Ranges [][2]uint64 `json:"ranges"`
}

// reportDropped appends a "dropped" event when the spool's list of lost
// sequences has grown. It is stored as an audit record, which the size cap
// never drops.
func (s *sender) reportDropped() {
	d := s.sp.Dropped()
	s.mu.Lock()
	fresh := slices.ContainsFunc(d, func(r spool.Range) bool { return !slices.Contains(s.reported, r) })
	s.mu.Unlock()
	if !fresh {
		return
	}
	ev := droppedEvent{V: 1, Type: "dropped"}
	for _, r := range d {
		ev.Ranges = append(ev.Ranges, [2]uint64{r.First, r.Last})
	}
	b, _ := json.Marshal(ev)
	if err := s.out.send(uplink.Events, spool.Audit, b); err != nil {
		s.log.Error("sender: dropped-sequence event", "err", err)
		return
	}
	s.log.Warn("sender: sequences dropped by the spool reported to HQ", "ranges", ev.Ranges)
	s.mu.Lock()
	s.reported = d
	s.mu.Unlock()
}
