package hq

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"alprd/firmware/envelope"
	"alprd/firmware/record"
)

// decode checks payload as the JSON of kind and fills r's table, columns and
// values; for a dropped event also r.dropped (ranges clipped below r.seq,
// the event's own sequence, which the unit numbered after them). The error
// says what is wrong without quoting the payload.
func decode(r *row, kind envelope.Kind, payload []byte) error {
	switch kind {
	case envelope.KindRead:
		rd, err := record.Decode(payload)
		if err != nil {
			return errors.New("read: bad JSON or version")
		}
		if rd.ID == "" {
			return errors.New("read: no id")
		}
		doc, err := withoutField(payload, "crop_jpeg")
		if err != nil {
			return err
		}
		var lat, lon any
		if rd.Position != nil {
			lat, lon = rd.Position.Lat, rd.Position.Lon
		}
		r.table = "reads"
		r.cols = []string{"id", "time", "plate", "confidence", "lat", "lon", "crop", "json"}
		r.vals = []any{rd.ID, millis(rd.Time), rd.Plate, rd.Confidence, lat, lon, rd.Crop, doc}
	case envelope.KindAlert:
		var a record.Alert
		if err := json.Unmarshal(payload, &a); err != nil || a.V != record.Version || a.ID == "" {
			return errors.New("alert: bad JSON, version or id")
		}
		r.table = "alerts"
		r.cols = []string{"id", "time", "plate", "match", "case_no", "json"}
		r.vals = []any{a.ID, millis(a.Time), a.Read.Plate, a.Match, a.Entry.Case, string(payload)}
	case envelope.KindAudit:
		var a record.Audit
		if err := json.Unmarshal(payload, &a); err != nil || a.V != record.Version || a.ID == "" {
			return errors.New("audit: bad JSON, version or id")
		}
		r.table = "audit"
		r.cols = []string{"id", "time", "user", "action", "object", "purpose", "case_no", "result", "json"}
		r.vals = []any{a.ID, millis(a.Time), a.User, a.Action, a.Object, a.Purpose, a.Case, a.Result, string(payload)}
	case envelope.KindHealth:
		var h record.Health
		if err := json.Unmarshal(payload, &h); err != nil || h.V != record.Version {
			return errors.New("health: bad JSON or version")
		}
		r.table = "health"
		r.cols = []string{"time", "status", "json"}
		r.vals = []any{millis(h.Time), h.Status, string(payload)}
	case envelope.KindEvent:
		var e struct {
			Type   string       `json:"type"`
			Ranges [][2]*uint64 `json:"ranges"`
		}
		if err := json.Unmarshal(payload, &e); err != nil || e.Type == "" {
			return errors.New("event: bad JSON or no type")
		}
		if e.Type == "dropped" {
			for _, rg := range e.Ranges {
				if rg[0] == nil || rg[1] == nil || *rg[0] < 1 || *rg[0] > *rg[1] {
					return errors.New("event: dropped: bad range")
				}
				// The unit numbers the event after the sequences it
				// declares dropped: none at or above its own is believed.
				if *rg[0] >= r.seq {
					continue
				}
				r.dropped = append(r.dropped, Range{*rg[0], min(*rg[1], r.seq-1)})
			}
		}
		r.table = "events"
		r.cols = []string{"type", "json"}
		r.vals = []any{e.Type, string(payload)}
	case envelope.KindSelftest:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(payload, &m); err != nil {
			return errors.New("selftest: not a JSON object")
		}
		r.table = "selftest"
		r.cols = []string{"json"}
		r.vals = []any{string(payload)}
	default:
		return fmt.Errorf("kind %s: not stored by HQ", kind)
	}
	return nil
}

func millis(m record.Millis) int64 { return time.Time(m).UnixMilli() }

// withoutField returns the JSON object doc without its field name (the crop,
// kept apart as a blob), keeping every other field, known or not.
func withoutField(doc []byte, name string) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return "", errors.New("read: bad JSON")
	}
	delete(m, name)
	out, err := json.Marshal(m)
	if err != nil {
		return "", errors.New("read: bad JSON")
	}
	return string(out), nil
}
