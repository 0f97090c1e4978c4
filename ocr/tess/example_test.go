package tess_test

import (
	"fmt"
	"image"
	"log"

	"alprd/ocr"
	"alprd/ocr/detect"
	"alprd/ocr/tess"
)

// Finding plates in a frame and reading them: one Detector for all
// goroutines, one Reader per worker.
func Example() {
	d := detect.New(detect.Options{})
	r := tess.New(tess.Config{})
	if err := r.Open(); err != nil {
		log.Fatal(err) // e.g. tess: open: language "eng", tessdata ...: ...
	}
	defer r.Close()

	frame := image.NewGray(image.Rect(0, 0, 1280, 720)) // a camera frame's luma
	for _, reg := range d.Detect(frame) {
		rd, err := r.Read(ocr.Crop(frame, reg.Box))
		if err != nil {
			log.Fatal(err)
		}
		if rd.Text != "" {
			fmt.Printf("%s (%.0f%%) at %v, also %v\n", rd.Text, rd.Confidence, reg.Box, rd.Candidates[1:])
		}
	}
}
