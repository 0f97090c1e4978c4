package ocr_test

import (
	"errors"
	"fmt"
	"image"
	"testing"

	"alprd/ocr"
	"alprd/ocr/detect"
	"alprd/ocr/syntax"
	"alprd/ocr/tess"
	"alprd/tools/platesynth/synth"
)

type fixedDetector []ocr.Region

func (d fixedDetector) Detect(*image.Gray) []ocr.Region { return d }

type scriptReader struct {
	readings []ocr.Reading
	err      error
	n        int
}

func (r *scriptReader) Read(*image.Gray) (ocr.Reading, error) {
	if r.err != nil {
		return ocr.Reading{}, r.err
	}
	rd := r.readings[r.n%len(r.readings)]
	r.n++
	return rd, nil
}
func (r *scriptReader) Close() error { return nil }

type upper struct{}

func (upper) Correct(r ocr.Reading) ocr.Reading { r.Text = "7ABC123"; return r }

func TestEngineFilters(t *testing.T) {
	regions := fixedDetector{
		{Box: image.Rect(0, 0, 20, 10), Score: 0.9},
		{Box: image.Rect(20, 0, 40, 10), Score: 0.8},
		{Box: image.Rect(40, 0, 60, 10), Score: 0.7},
		{Box: image.Rect(60, 0, 80, 10), Score: 0.6},
	}
	img := image.NewGray(image.Rect(0, 0, 100, 20))
	for _, tc := range []struct {
		name     string
		engine   ocr.Engine
		readings []ocr.Reading
		want     []string
		read     uint64
	}{
		{"max plates default 3", ocr.Engine{}, []ocr.Reading{{Text: "AB12", Confidence: 90}}, []string{"AB12", "AB12", "AB12"}, 3},
		{"length and confidence", ocr.Engine{MaxPlates: 4, MinConfidence: 50},
			[]ocr.Reading{{Text: "A", Confidence: 90}, {Text: "ABCDEFGH1", Confidence: 90}, {Text: "ABC123", Confidence: 40}, {Text: "ABC123", Confidence: 60}},
			[]string{"ABC123"}, 4},
		{"corrector applied before the filters", ocr.Engine{MaxPlates: 1, Corrector: upper{}}, []ocr.Reading{{Text: "X", Confidence: 90}}, []string{"7ABC123"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.engine
			e.Detector = regions
			e.Reader = &scriptReader{readings: tc.readings}
			plates, err := e.Recognize(img)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range plates {
				got = append(got, p.Reading.Text)
				if p.Crop.Rect.Size() != p.Region.Box.Size() {
					t.Errorf("crop %v for box %v", p.Crop.Rect, p.Region.Box)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("plate %d: got %q, want %q", i, got[i], tc.want[i])
				}
			}
			if e.RegionsRead != tc.read {
				t.Errorf("regions read: got %d, want %d", e.RegionsRead, tc.read)
			}
		})
	}
	t.Run("reader error", func(t *testing.T) {
		boom := errors.New("boom")
		e := ocr.Engine{Detector: regions, Reader: &scriptReader{err: boom}}
		if _, err := e.Recognize(img); !errors.Is(err, boom) {
			t.Errorf("got %v, want %v", err, boom)
		}
	})
}

// BenchmarkEngine measures the whole recognition of one frame (detection,
// reading the top regions with Tesseract, syntax correction) on synthesized
// 1280x720 and 1920x1080 frames, with allocations per frame.
func BenchmarkEngine(b *testing.B) {
	for _, size := range []image.Point{{1280, 720}, {1920, 1080}} {
		b.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(b *testing.B) {
			opts := synth.DefaultOptions()
			opts.Seed, opts.Width, opts.Height = 3, size.X, size.Y
			g, err := synth.New(opts)
			if err != nil {
				b.Fatal(err)
			}
			var frames []*image.Gray
			for range 16 {
				frames = append(frames, synth.Gray(g.Next().Frame))
			}
			r := tess.New(tess.Config{Language: "eng"})
			if err := r.Open(); err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			c, err := syntax.New("us")
			if err != nil {
				b.Fatal(err)
			}
			e := ocr.Engine{Detector: detect.New(detect.Options{}), Reader: r, Corrector: c}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := e.Recognize(frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
