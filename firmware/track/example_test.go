package track_test

import (
	"fmt"
	"image"
	"time"

	"alprd/firmware/track"
	"alprd/ocr"
)

func Example() {
	tr := track.New(track.Config{Window: time.Second})
	start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

	// One car over five frames at 10 fps, its plate read a little
	// differently in some.
	for i, text := range []string{"7ABC123", "7A8C123", "7ABC123", "7ABC12", "7ABC123"} {
		now := start.Add(time.Duration(i) * 100 * time.Millisecond)
		box := image.Rect(100+20*i, 400+10*i, 220+20*i, 430+10*i)
		passes := tr.Add(now, track.Observation{
			Time:  now,
			Seq:   uint64(i + 1),
			Plate: ocr.Plate{Region: ocr.Region{Box: box}, Reading: ocr.Reading{Text: text, Confidence: 80}},
		})
		fmt.Println(len(passes), "passes,", tr.Open(), "open")
	}
	// An empty frame 1.5 s later: the car has left.
	for _, p := range tr.Add(start.Add(1500 * time.Millisecond)) {
		fmt.Printf("%s (%.0f) in %d frames, %s, best from frame %d\n", p.Text, p.Confidence, p.Frames, p.Reason, p.Best.Seq)
		for _, c := range p.Candidates {
			fmt.Printf("  %s %.0f\n", c.Text, c.Confidence)
		}
	}
	// Output:
	// 0 passes, 1 open
	// 0 passes, 1 open
	// 0 passes, 1 open
	// 0 passes, 1 open
	// 0 passes, 1 open
	// 7ABC123 (62) in 5 frames, gone, best from frame 1
	//   7ABC123 62
	//   7A8C123 18
	//   7ABC12 16
}
