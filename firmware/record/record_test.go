package record_test

import (
	"encoding/base64"
	"encoding/json"
	"image"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"alprd/firmware/record"
	"alprd/hal/gps"
	"alprd/ocr"
)

func sample() record.Read {
	return record.Read{
		V:            record.Version,
		ID:           "4f1c2a9d0e6b4c7a8d3e2f1a0b9c8d7e",
		Device:       "unit-0001",
		Camera:       "front",
		Time:         record.Millis(time.Date(2026, 11, 27, 8, 0, 0, 123_000_000, time.UTC)),
		Position:     &gps.Fix{Lat: 37.8044, Lon: -122.2712, AccuracyM: 5, Source: "fixed", Time: time.Date(2026, 11, 27, 8, 0, 0, 100_000_000, time.UTC)},
		Plate:        "7ABC123",
		Raw:          "7ABC 123",
		Confidence:   91.2,
		Candidates:   []ocr.Candidate{{Text: "7ABC123", Confidence: 91.2}, {Text: "7A8C123", Confidence: 40}},
		Box:          record.Box{X: 612, Y: 402, W: 140, H: 70},
		Crop:         []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xfb, 0xff, 0xd9},
		ProcessingMS: 41.7,
		FrameSeq:     118,
		Firmware:     "v0.1.0",
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		edit func(*record.Read)
	}{
		{"full", func(*record.Read) {}},
		{"no position", func(r *record.Read) { r.Position = nil }},
		{"no crop or candidates", func(r *record.Read) { r.Crop, r.Candidates = nil, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := sample()
			tt.edit(&want)
			b, err := json.Marshal(want)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := record.Decode(b)
			if err != nil {
				t.Fatalf("Decode(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip of %s:\ngot  %+v\nwant %+v", b, got, want)
			}
		})
	}
}

// TestFields checks the JSON field names against docs/read-format.md.
func TestFields(t *testing.T) {
	b, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		return slices.Sorted(maps.Keys(o))
	}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"read", keys(m), []string{"box", "camera", "candidates", "confidence", "crop_jpeg", "device", "firmware", "frame_seq", "frames", "id", "plate", "position", "processing_ms", "raw", "time", "v"}},
		{"position", keys(m["position"]), []string{"accuracy_m", "lat", "lon", "source", "time"}},
		{"box", keys(m["box"]), []string{"h", "w", "x", "y"}},
		{"candidate", keys(m["candidates"].([]any)[0]), []string{"confidence", "text"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s fields: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if m["v"] != float64(1) {
		t.Errorf("v: got %v, want 1", m["v"])
	}

	r := sample()
	r.Position = nil
	b, err = json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"position":null`) {
		t.Errorf("read without a fix: got %s, want \"position\":null", b)
	}
}

func TestCropBase64(t *testing.T) {
	r := sample()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Crop string `json:"crop_jpeg"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(r.Crop); m.Crop != want {
		t.Errorf("crop_jpeg: got %q, want standard padded base64 %q", m.Crop, want)
	}
	if want := "/9j/4AAQ+//Z"; m.Crop != want {
		t.Errorf("crop_jpeg: got %q, want %q", m.Crop, want)
	}
}

func TestMillisMarshal(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	pst := time.FixedZone("PST", -8*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC", time.Date(2026, 11, 27, 8, 0, 0, 123_000_000, time.UTC), "2026-11-27T08:00:00.123Z"},
		{"east of UTC", time.Date(2026, 11, 27, 13, 30, 0, 123_000_000, ist), "2026-11-27T08:00:00.123Z"},
		{"west of UTC, day before", time.Date(2026, 11, 26, 23, 59, 59, 5_000_000, pst), "2026-11-27T07:59:59.005Z"},
		{"whole second", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05.000Z"},
		{"truncated, not rounded", time.Date(2026, 11, 27, 8, 0, 0, 999_999_999, time.UTC), "2026-11-27T08:00:00.999Z"},
		{"local clock", time.Date(2026, 11, 27, 8, 0, 0, 42_000_000, time.UTC).Local(), "2026-11-27T08:00:00.042Z"},
	}
	layout := regexp.MustCompile(`^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(record.Millis(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != `"`+tt.want+`"` {
				t.Errorf("Marshal(%v): got %s, want %q", tt.in, got, tt.want)
			}
			if !layout.Match(b) {
				t.Errorf("Marshal(%v): got %s, want the layout 2006-01-02T15:04:05.000Z", tt.in, b)
			}
		})
	}
}

func TestMillisUnmarshal(t *testing.T) {
	want := time.Date(2026, 11, 27, 8, 0, 0, 123_000_000, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{`"2026-11-27T08:00:00.123Z"`, want, false},
		{`"2026-11-27T09:00:00.123+01:00"`, want, false},
		{`"2026-11-27T08:00:00Z"`, want.Truncate(time.Second), false},
		{`"2026-11-27T08:00:00.123456789Z"`, want.Add(456789), false},
		{`"2026-11-27 08:00:00"`, time.Time{}, true},
		{`"yesterday"`, time.Time{}, true},
		{`1764230400`, time.Time{}, true},
	}
	for _, tt := range tests {
		var m record.Millis
		err := json.Unmarshal([]byte(tt.in), &m)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s): got error %v, want error: %v", tt.in, err, tt.wantErr)
			continue
		}
		if got := time.Time(m); !tt.wantErr && (!got.Equal(tt.want) || got.Location() != time.UTC) {
			t.Errorf("Unmarshal(%s): got %v, want %v in UTC", tt.in, got, tt.want)
		}
	}
}

func TestDecodeVersion(t *testing.T) {
	good, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	withV := func(v string) []byte {
		return []byte(strings.Replace(string(good), `"v":1,`, v, 1))
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr string // "" for none
	}{
		{"version 1", good, ""},
		{"version 2", withV(`"v":2,`), "version 2"},
		{"version 0", withV(`"v":0,`), "version 0"},
		{"no version", withV(``), "version 0"},
		{"not JSON", []byte(`{"v":1,`), "decode"},
		{"bad time", []byte(`{"v":1,"time":"soon"}`), "time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := record.Decode(tt.in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Decode: %v", err)
			case tt.wantErr == "" && r.ID != sample().ID:
				t.Errorf("Decode: got id %q, want %q", r.ID, sample().ID)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Decode: got error %v, want one mentioning %q", err, tt.wantErr)
			case tt.wantErr != "" && !reflect.DeepEqual(r, record.Read{}):
				t.Errorf("Decode with error: got %+v, want a zero Read", r)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 10000 {
		id := record.NewID()
		if !hex32.MatchString(id) {
			t.Fatalf("NewID: got %q, want 32 lower-case hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewID: %q twice", id)
		}
		seen[id] = true
	}
}

func TestBoxOf(t *testing.T) {
	tests := []struct {
		in   image.Rectangle
		want record.Box
	}{
		{image.Rect(612, 402, 752, 472), record.Box{X: 612, Y: 402, W: 140, H: 70}},
		{image.Rect(0, 0, 1, 1), record.Box{X: 0, Y: 0, W: 1, H: 1}},
		{image.Rectangle{}, record.Box{}},
	}
	for _, tt := range tests {
		if got := record.BoxOf(tt.in); got != tt.want {
			t.Errorf("BoxOf(%v): got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
