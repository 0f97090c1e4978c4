package hq

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"alprd/firmware/envelope"
	"alprd/firmware/record"
	"alprd/hal/gps"
	"alprd/ocr"
)

// testRead returns a read record as a unit writes it.
func testRead(device, id string, at time.Time) record.Read {
	return record.Read{
		V: record.Version, ID: id, Device: device, Camera: "front", Time: record.Millis(at.UTC().Truncate(time.Millisecond)),
		Position: &gps.Fix{Lat: 37.8044, Lon: -122.2712, AccuracyM: 5, Source: "fixed", Time: at.UTC()},
		Plate:    "7ABC123", Raw: "7ABC 123", Confidence: 91.5,
		Candidates: []ocr.Candidate{{Text: "7ABC123", Confidence: 91.5}},
		Box:        record.Box{X: 612, Y: 402, W: 140, H: 70}, Crop: []byte{0xff, 0xd8, 0xff, 0x00, 0x01, 0xd9},
		ProcessingMS: 41.7, FrameSeq: 118, Frames: 6, Firmware: "v0.1.0",
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openTestStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := OpenStore(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// putRead stores a read directly, as the receiver does after opening it.
func putRead(t *testing.T, s *Store, device string, seq uint64, rd record.Read) {
	t.Helper()
	r := &row{device: device, seq: seq, kind: "read", at: time.Now(), contig: seq}
	if err := decode(r, envelope.KindRead, mustJSON(t, rd)); err != nil {
		t.Fatal(err)
	}
	if dup, err := s.put(t.Context(), r); err != nil || dup {
		t.Fatalf("put %s/%d: dup %v, err %v", device, seq, dup, err)
	}
}

func readIDs(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.QueryContext(t.Context(), `SELECT id FROM reads ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestPurgeKeepsEvidence(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "hq.db"))
	now := time.Now()
	old := now.AddDate(0, 0, -800)
	putRead(t, s, "unit-a", 1, testRead("unit-a", "old1", old))
	putRead(t, s, "unit-a", 2, testRead("unit-a", "old2", old))
	putRead(t, s, "unit-a", 3, testRead("unit-a", "held", old))
	putRead(t, s, "unit-a", 4, testRead("unit-a", "new1", now))
	putRead(t, s, "unit-b", 1, testRead("unit-b", "heldtwice", old.Add(time.Hour)))

	if err := s.Hold(t.Context(), "held", "2026-0001", "det. smith", now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"2026-0002", "2026-0003", "2026-0003"} {
		if err := s.Hold(t.Context(), "heldtwice", c, "det. jones", now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Hold(t.Context(), "nosuch", "2026-0001", "x", now); !errors.Is(err, ErrNoRead) {
		t.Errorf("hold of an unknown read: got %v, want ErrNoRead", err)
	}

	n, err := s.Purge(t.Context(), now.AddDate(0, 0, -730))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("purged %d reads, want 2", n)
	}
	if got, want := readIDs(t, s), []string{"held", "heldtwice", "new1"}; !slices.Equal(got, want) {
		t.Errorf("reads left %v, want %v", got, want)
	}
	// The purged reads' sequences stay received: a resend is a duplicate.
	r := &row{device: "unit-a", seq: 1, kind: "read", at: now}
	if err := decode(r, envelope.KindRead, mustJSON(t, testRead("unit-a", "old1", old))); err != nil {
		t.Fatal(err)
	}
	if dup, err := s.put(t.Context(), r); err != nil || !dup {
		t.Errorf("resend of a purged read: dup %v, err %v; want a duplicate", dup, err)
	}

	st, err := s.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Reads != 3 || st.Evidence != 2 || st.Duplicates != 1 || st.Received["read"] != 5 {
		t.Errorf("stats: reads %d, evidence %d, duplicates %d, received %d; want 3, 2, 1, 5",
			st.Reads, st.Evidence, st.Duplicates, st.Received["read"])
	}
	if len(st.Devices) != 2 || st.Devices[0].Device != "unit-a" || st.Devices[0].Ack != 4 || st.Devices[0].Received != 4 {
		t.Errorf("stats devices %+v, want unit-a with ack 4 and 4 received, then unit-b", st.Devices)
	}

	// Nothing more to purge.
	if n, err := s.Purge(t.Context(), now.AddDate(0, 0, -730)); err != nil || n != 0 {
		t.Errorf("second purge: %d, %v; want 0, nil", n, err)
	}
}

func TestPurgeBatches(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "hq.db"))
	old := time.Now().AddDate(-3, 0, 0)
	const n = purgeBatch*2 + 7
	for i := range n {
		putRead(t, s, "unit-a", uint64(i+1), testRead("unit-a", record.NewID(), old))
	}
	got, err := s.Purge(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("purged %d, want %d", got, n)
	}
	if ids := readIDs(t, s); len(ids) != 0 {
		t.Errorf("%d reads left, want 0", len(ids))
	}
}

func TestStoreReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hq.db")
	s := openTestStore(t, path)
	putRead(t, s, "unit-a", 1, testRead("unit-a", "r1", time.Now()))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, path)
	if got := readIDs(t, s); !slices.Equal(got, []string{"r1"}) {
		t.Errorf("after reopening: reads %v, want [r1]", got)
	}
	if _, err := s.db.ExecContext(t.Context(), "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenStore(t.Context(), path); err == nil {
		t.Errorf("newer layout: got no error")
	}
	if _, err := OpenStore(t.Context(), path+"?mode=memory"); err == nil {
		t.Errorf("path with '?': got no error")
	}
}

func TestDecode(t *testing.T) {
	now := time.Now()
	rd := testRead("unit-a", "r1", now)
	bad := rd
	bad.V = 2
	alert := record.Alert{V: 1, ID: "a1", Device: "unit-a", Time: record.Millis(now), Notice: record.Notice,
		Match: record.MatchExact, Score: 1, Matched: "7ABC123", Entry: record.HotEntry{Plate: "7ABC123", Case: "C-1"}, Read: rd}
	for _, tt := range []struct {
		name    string
		kind    envelope.Kind
		seq     uint64
		payload []byte
		table   string // "" when refused
		dropped []Range
	}{
		{"read", envelope.KindRead, 1, mustJSON(t, rd), "reads", nil},
		{"read of another version", envelope.KindRead, 1, mustJSON(t, bad), "", nil},
		{"read without id", envelope.KindRead, 1, []byte(`{"v":1}`), "", nil},
		{"not JSON", envelope.KindRead, 1, []byte(`{"v":1,`), "", nil},
		{"alert", envelope.KindAlert, 1, mustJSON(t, alert), "alerts", nil},
		{"audit", envelope.KindAudit, 1, mustJSON(t, record.Audit{V: 1, ID: "x", Action: "login", Result: "ok"}), "audit", nil},
		{"audit without id", envelope.KindAudit, 1, []byte(`{"v":1}`), "", nil},
		{"health", envelope.KindHealth, 1, mustJSON(t, record.Health{V: 1, Status: "ok"}), "health", nil},
		{"selftest", envelope.KindSelftest, 1, []byte(`{"ok":true}`), "selftest", nil},
		{"selftest not an object", envelope.KindSelftest, 1, []byte(`[1]`), "", nil},
		{"disposition", envelope.KindEvent, 1, []byte(`{"type":"disposition","alert":"a1","outcome":"confirmed"}`), "events", nil},
		{"event without type", envelope.KindEvent, 1, []byte(`{"alert":"a1"}`), "", nil},
		{"dropped", envelope.KindEvent, 9, []byte(`{"type":"dropped","ranges":[[2,4],[6,6]]}`), "events", []Range{{2, 4}, {6, 6}}},
		{"dropped at and above itself", envelope.KindEvent, 5, []byte(`{"type":"dropped","ranges":[[2,7],[5,9]]}`), "events", []Range{{2, 4}}},
		{"dropped from 0", envelope.KindEvent, 5, []byte(`{"type":"dropped","ranges":[[0,2]]}`), "", nil},
		{"dropped backwards", envelope.KindEvent, 5, []byte(`{"type":"dropped","ranges":[[3,2]]}`), "", nil},
		{"dropped half range", envelope.KindEvent, 5, []byte(`{"type":"dropped","ranges":[[3]]}`), "", nil},
		{"state kind", envelope.KindState, 1, []byte(`{}`), "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &row{seq: tt.seq}
			err := decode(r, tt.kind, tt.payload)
			if (err == nil) != (tt.table != "") {
				t.Fatalf("decode: error %v, want table %q", err, tt.table)
			}
			if r.table != tt.table {
				t.Errorf("table %q, want %q", r.table, tt.table)
			}
			if !slices.Equal(r.dropped, tt.dropped) {
				t.Errorf("dropped %v, want %v", r.dropped, tt.dropped)
			}
			if len(r.cols) != len(r.vals) {
				t.Errorf("%d columns, %d values", len(r.cols), len(r.vals))
			}
		})
	}
}
