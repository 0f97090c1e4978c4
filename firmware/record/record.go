// Package record defines the read record: what the unit says about one plate it
// read. It is the payload of alpr/v1/<device>/reads, versioned JSON, documented
// in docs/read-format.md. Stage packages share it; it depends on nothing but
// value types.
package record

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"time"

	"alprd/hal/gps"
	"alprd/ocr"
)

// Version is the read record format written by this firmware.
const Version = 1

// Read is one plate read.
type Read struct {
	V            int             `json:"v"`
	ID           string          `json:"id"` // 128-bit random, hex
	Device       string          `json:"device"`
	Camera       string          `json:"camera"`
	Time         Millis          `json:"time"`     // capture time of the frame, UTC, ms
	Position     *gps.Fix        `json:"position"` // null when the unit had no fix
	Plate        string          `json:"plate"`    // best reading: A-Z 0-9
	Raw          string          `json:"raw"`      // OCR text before clean-up
	Confidence   float64         `json:"confidence"`
	Candidates   []ocr.Candidate `json:"candidates"`
	Box          Box             `json:"box"`
	Crop         []byte          `json:"crop_jpeg"` // plate crop, JPEG; base64 in JSON
	ProcessingMS float64         `json:"processing_ms"`
	FrameSeq     uint64          `json:"frame_seq"` // the frame of the crop
	Frames       int             `json:"frames"`    // frames of the pass that voted on the plate
	Firmware     string          `json:"firmware"`
}

// Box is a plate's place in its frame, in pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// BoxOf converts a rectangle.
func BoxOf(r image.Rectangle) Box { return Box{r.Min.X, r.Min.Y, r.Dx(), r.Dy()} }

// Millis is a UTC time written with millisecond precision:
// "2026-11-27T08:00:00.123Z".
type Millis time.Time

const millisLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON writes RFC 3339 with milliseconds, in UTC.
func (m Millis) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(m).UTC().Format(millisLayout) + `"`), nil
}

// UnmarshalJSON reads any RFC 3339 time.
func (m *Millis) UnmarshalJSON(b []byte) error {
	var t time.Time
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("record: time: %w", err)
	}
	*m = Millis(t.UTC())
	return nil
}

// NewID returns a random read id.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Decode parses a read and checks its version.
func Decode(b []byte) (Read, error) {
	var r Read
	if err := json.Unmarshal(b, &r); err != nil {
		return Read{}, fmt.Errorf("record: decode: %w", err)
	}
	if r.V != Version {
		return Read{}, fmt.Errorf("record: decode: version %d, this firmware reads %d", r.V, Version)
	}
	return r, nil
}
