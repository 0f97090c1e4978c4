package record_test

import (
	"encoding/json"
	"fmt"
	"image"
	"log"
	"time"

	"alprd/firmware/record"
	"alprd/hal/gps"
	"alprd/ocr"
)

// A read as published on alpr/v1/<device>/reads. The capture time, taken in
// any zone, is written in UTC with milliseconds; the crop is base64.
func Example() {
	cet := time.FixedZone("CET", 3600)
	r := record.Read{
		V:            record.Version,
		ID:           "4f1c2a9d0e6b4c7a8d3e2f1a0b9c8d7e", // record.NewID() in the unit
		Device:       "unit-0001",
		Camera:       "front",
		Time:         record.Millis(time.Date(2026, 11, 27, 9, 0, 0, 123_456_789, cet)),
		Position:     &gps.Fix{Lat: 37.8044, Lon: -122.2712, AccuracyM: 5, Source: "fixed", Time: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)},
		Plate:        "7ABC123",
		Raw:          "7ABC123",
		Confidence:   91.2,
		Candidates:   []ocr.Candidate{{Text: "7ABC123", Confidence: 91.2}},
		Box:          record.BoxOf(image.Rect(612, 402, 752, 472)),
		Crop:         []byte{0xff, 0xd8, 0xff, 0xe0}, // a JPEG's first bytes
		ProcessingMS: 41.7,
		FrameSeq:     118,
		Firmware:     "v0.1.0",
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	// Output:
	// {
	//   "v": 1,
	//   "id": "4f1c2a9d0e6b4c7a8d3e2f1a0b9c8d7e",
	//   "device": "unit-0001",
	//   "camera": "front",
	//   "time": "2026-11-27T08:00:00.123Z",
	//   "position": {
	//     "lat": 37.8044,
	//     "lon": -122.2712,
	//     "accuracy_m": 5,
	//     "source": "fixed",
	//     "time": "2026-11-27T08:00:00Z"
	//   },
	//   "plate": "7ABC123",
	//   "raw": "7ABC123",
	//   "confidence": 91.2,
	//   "candidates": [
	//     {
	//       "text": "7ABC123",
	//       "confidence": 91.2
	//     }
	//   ],
	//   "box": {
	//     "x": 612,
	//     "y": 402,
	//     "w": 140,
	//     "h": 70
	//   },
	//   "crop_jpeg": "/9j/4A==",
	//   "processing_ms": 41.7,
	//   "frame_seq": 118,
	//   "frames": 0,
	//   "firmware": "v0.1.0"
	// }
}
