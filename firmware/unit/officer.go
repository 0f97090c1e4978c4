package unit

import (
	"context"
	"strconv"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/hotlist"
	"alprd/firmware/record"
)

// officer is the console's view of the unit: ctl.Handler over the services.
type officer services

var _ ctl.Handler = (*officer)(nil)

// AddEntry stores an officer's entry, reports it to HQ and checks it
// against the reads of the last hours.
func (o *officer) AddEntry(ctx context.Context, by ctl.Session, e record.HotEntry) error {
	s := (*services)(o)
	if err := s.hot.AddManual(e, by.User); err != nil {
		return err
	}
	stored := e
	for _, x := range s.hot.Entries(hotlist.Filter{Plate: e.Plate, Source: record.SourceManual}) {
		if x.Type == e.Type || e.Type == "" {
			stored = x
		}
	}
	s.event("hotlist.manual", map[string]any{"op": "add", "entry": stored, "by": by.User, "purpose": by.Purpose, "case": by.Case})
	hits, err := s.recent.Check(stored, time.Now())
	if err != nil {
		s.log.Error("retro-check of a new entry", "err", err)
	}
	s.retro(hits)
	return nil
}

// RemoveEntry removes an officer's entry and reports it to HQ.
func (o *officer) RemoveEntry(ctx context.Context, by ctl.Session, plate, state, reason string) error {
	s := (*services)(o)
	if err := s.hot.RemoveManual(plate, state, by.User, reason); err != nil {
		return err
	}
	s.event("hotlist.manual", map[string]any{"op": "remove", "plate": plate, "state": state, "reason": reason, "by": by.User, "purpose": by.Purpose, "case": by.Case})
	return nil
}

// Entries lists the manual entries, or all for a supervisor.
func (o *officer) Entries(ctx context.Context, by ctl.Session, all bool) ([]record.HotEntry, error) {
	f := hotlist.Filter{Source: record.SourceManual}
	if all {
		f = hotlist.Filter{Limit: 10_000}
	}
	return o.hot.Entries(f), nil
}

// Dispose records the officer's verdict, shows it and sends it to HQ.
func (o *officer) Dispose(ctx context.Context, by ctl.Session, d record.Disposition) error {
	s := (*services)(o)
	d, err := s.book.Dispose(d)
	if err != nil {
		return err
	}
	s.feed.Disposition(d)
	s.event("disposition", map[string]any{"alert": d.Alert, "outcome": d.Outcome, "note": d.Note, "by": d.By, "disposed": d.Time})
	return nil
}

// OpenAlerts lists the alerts awaiting a disposition.
func (o *officer) OpenAlerts(ctx context.Context) ([]ctl.Event, error) {
	var evs []ctl.Event
	for _, a := range o.book.OpenAlerts() {
		evs = append(evs, alertEvent(a, o.feed.cropPath(a.Read.ID)))
	}
	return evs, nil
}

// Watch streams live reads, alerts and dispositions.
func (o *officer) Watch(ctx context.Context) <-chan ctl.Event { return o.feed.Watch(ctx) }

// Status reports the unit's state.
func (o *officer) Status(ctx context.Context) (ctl.Status, error) {
	s := (*services)(o)
	h := s.health()
	st := s.hot.Status()
	out := ctl.Status{
		Device: s.cfg.Device, Firmware: Version, Time: h.Time, Started: record.Millis(s.started.UTC()),
		HotList: ctl.HotListStatus{Entries: st.Entries + st.Manual, Manual: st.Manual},
		Counters: map[string]uint64{
			"frames": h.Frames, "frames_dropped": h.Dropped, "reads": h.Reads, "alerts": h.Alerts,
			"open_alerts": uint64(h.OpenAlerts), "spool_pending": uint64(s.sp.Stats().Pending),
		},
		Warnings: h.Warnings,
	}
	if st.Version > 0 {
		out.HotList.Version = strconv.FormatUint(st.Version, 10)
		out.HotList.Issued = record.Millis(st.Created.UTC())
	}
	return out, nil
}
