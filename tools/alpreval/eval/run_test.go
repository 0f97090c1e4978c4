package eval

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"alprd/ocr"
)

// fakeDetector always returns the same regions.
type fakeDetector []image.Rectangle

func (d fakeDetector) Detect(img *image.Gray) []ocr.Region {
	var out []ocr.Region
	for i, r := range d {
		out = append(out, ocr.Region{Box: r, Score: 1 - float64(i)/10})
	}
	return out
}

// fakeReader reads the grey level of the crop's first pixel as a plate.
type fakeReader struct {
	texts  map[uint8]ocr.Reading
	closed *counter
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (r *fakeReader) Read(crop *image.Gray) (ocr.Reading, error) {
	if len(crop.Pix) == 0 {
		return ocr.Reading{}, nil
	}
	rd, ok := r.texts[crop.Pix[0]]
	if !ok {
		return ocr.Reading{}, errors.New("boom")
	}
	return rd, nil
}

func (r *fakeReader) Close() error {
	r.closed.inc()
	return nil
}

// suffix completes "ABC12" with its last digit: a stand-in Corrector.
type suffix struct{}

func (suffix) Correct(r ocr.Reading) ocr.Reading {
	if r.Text == "ABC12" {
		r.Text = "ABC123"
	}
	return r
}

func reading(text string, conf float64, alts ...string) ocr.Reading {
	rd := ocr.Reading{Text: text, Raw: text, Confidence: conf, Candidates: cands(append([]string{text}, alts...)...)}
	return rd
}

var fakeTexts = map[uint8]ocr.Reading{
	50:  reading("ABC123", 90),
	100: reading("ABC123", 90),
	150: reading("0YO9FEU", 80, "OYO9FEU"),
	200: reading("AB", 10),
	220: reading("ABC12", 90),
}

// writePNG writes a w x h grey image of level v.
func writePNG(t *testing.T, path string, w, h int, v uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// fakeSet writes images of grey level level[name] with label plate[name];
// end-to-end labels all have the box (10,10)-(60,35), but b's, which is
// elsewhere.
func fakeSet(t *testing.T, layout string, names []string, level map[string]uint8, plate map[string]string) *Dataset {
	t.Helper()
	dir := t.TempDir()
	var csv strings.Builder
	for _, n := range names {
		writePNG(t, filepath.Join(dir, n+".png"), 200, 100, level[n])
		if layout == LayoutCrops {
			csv.WriteString(n + ".png,xx," + plate[n] + "\n")
			continue
		}
		box := "10\t10\t50\t25"
		if n == "b" {
			box = "100\t50\t50\t25"
		}
		writeFiles(t, dir, map[string]string{n + ".txt": n + ".png\t" + box + "\t" + plate[n] + "\n"})
	}
	if layout == LayoutCrops {
		writeFiles(t, dir, map[string]string{GroundTruthFile: csv.String()})
	}
	ds, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestRun(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	level := map[string]uint8{"a": 50, "b": 100, "c": 150, "d": 200, "e": 220}
	plate := map[string]string{"a": "ABC123", "b": "ABC123", "c": "OYO9FEU", "d": "AB", "e": "ABC123"}
	type want struct {
		found, top1, top1o0, top10 []bool
	}
	tests := []struct {
		name      string
		layout    string
		corrector bool
		want      want
		detect    []bool
	}{
		// b: no plate overlaps its label, so the first plate is its best,
		// and it reads right. d: detected, reading dropped (confidence).
		{"endtoend", LayoutEndToEnd, false, want{
			found:  []bool{true, false, true, false, true},
			top1:   []bool{true, true, false, false, false},
			top1o0: []bool{true, true, true, false, false},
			top10:  []bool{true, true, true, false, false},
		}, []bool{true, false, true, true, true}},
		// e: the corrector fixes the text but not the candidates; the text
		// counts for top-10 too.
		{"endtoend with corrector", LayoutEndToEnd, true, want{
			found:  []bool{true, false, true, false, true},
			top1:   []bool{true, true, false, false, true},
			top1o0: []bool{true, true, true, false, true},
			top10:  []bool{true, true, true, false, true},
		}, []bool{true, false, true, true, true}},
		{"crops", LayoutCrops, false, want{
			found:  []bool{true, true, true, false, true},
			top1:   []bool{true, true, false, false, false},
			top1o0: []bool{true, true, true, false, false},
			top10:  []bool{true, true, true, false, false},
		}, nil},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 3} {
			t.Run(tt.name+"/"+string(rune('0'+workers)), func(t *testing.T) {
				ds := fakeSet(t, tt.layout, names, level, plate)
				closed := &counter{}
				opened := &counter{}
				var progress []int
				cfg := Config{
					Detector: fakeDetector{image.Rect(8, 8, 62, 37), image.Rect(150, 0, 200, 20)},
					NewReader: func() (ocr.Reader, error) {
						opened.inc()
						return &fakeReader{texts: fakeTexts, closed: closed}, nil
					},
					MinConfidence: 50,
					Workers:       workers,
					HTMLDir:       t.TempDir(),
					Progress:      func(done, total int, r *Result) { progress = append(progress, done) },
				}
				if tt.corrector {
					cfg.NewCorrector = func() (ocr.Corrector, error) { return suffix{}, nil }
					cfg.Corrector = "suffix"
				}
				rep, err := Run(context.Background(), ds, cfg)
				if err != nil {
					t.Fatal(err)
				}
				var got want
				var det []bool
				for i, r := range rep.Results {
					if r.Index != i || r.Item.Name != names[i]+".png" {
						t.Errorf("result %d: got index %d item %s, want %d %s.png", i, r.Index, r.Item.Name, i, names[i])
					}
					got.found = append(got.found, r.Found)
					got.top1 = append(got.top1, r.Top1)
					got.top1o0 = append(got.top1o0, r.Top1O0)
					got.top10 = append(got.top10, r.Top10)
					if tt.layout == LayoutEndToEnd {
						det = append(det, r.Detected)
						if len(r.Regions) != 2 {
							t.Errorf("%s: got %d regions, want 2", r.Item.Name, len(r.Regions))
						}
					}
					if r.Top1 != (r.CropFile == "") {
						t.Errorf("%s: top-1 %v but crop file %q", r.Item.Name, r.Top1, r.CropFile)
					}
					if r.CropFile != "" {
						if _, err := os.Stat(filepath.Join(cfg.HTMLDir, r.CropFile)); err != nil {
							t.Error(err)
						}
					}
					if (r.FrameFile != "") != (!r.Top1 && tt.layout == LayoutEndToEnd) {
						t.Errorf("%s: got frame file %q, want one for misread frames only", r.Item.Name, r.FrameFile)
					}
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %+v,\nwant %+v", got, tt.want)
				}
				if !reflect.DeepEqual(det, tt.detect) {
					t.Errorf("got detected %v, want %v", det, tt.detect)
				}
				if !reflect.DeepEqual(progress, []int{1, 2, 3, 4, 5}) {
					t.Errorf("got progress %v, want 1..5", progress)
				}
				if opened.n != min(workers, len(names)) || closed.n != opened.n {
					t.Errorf("got %d readers opened, %d closed, want %d each", opened.n, closed.n, min(workers, len(names)))
				}
				s := rep.Summary
				if s.Images != 5 || s.Found+s.Missed != s.Images || s.Workers != workers || s.Top1N > s.Top1O0N || s.Top1N > s.Top10N {
					t.Errorf("inconsistent summary %+v", s)
				}
				if (s.DetectRecall != nil) != (tt.layout == LayoutEndToEnd) {
					t.Errorf("got detect recall %v for %s", s.DetectRecall, tt.layout)
				}
				if err := WriteHTML(cfg.HTMLDir, rep); err != nil {
					t.Fatal(err)
				}
				html, err := os.ReadFile(filepath.Join(cfg.HTMLDir, "index.html"))
				if err != nil {
					t.Fatal(err)
				}
				if n, want := strings.Count(string(html), `class="entry"`), 5-s.Top1N; n != want {
					t.Errorf("got %d entries in index.html, want %d", n, want)
				}
			})
		}
	}
}

func TestRunLimit(t *testing.T) {
	ds := fakeSet(t, LayoutCrops, []string{"a", "b", "c"}, map[string]uint8{"a": 50, "b": 100, "c": 150},
		map[string]string{"a": "ABC123", "b": "ABC123", "c": "OYO9FEU"})
	rep, err := Run(context.Background(), ds, Config{Limit: 2, NewReader: func() (ocr.Reader, error) {
		return &fakeReader{texts: fakeTexts, closed: &counter{}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Summary.Images; got != 2 {
		t.Errorf("got %d images, want 2", got)
	}
	if got := rep.Summary.Top1; got != 1 {
		t.Errorf("got top-1 %v, want 1", got)
	}
}

func TestRunErrors(t *testing.T) {
	ds := fakeSet(t, LayoutEndToEnd, []string{"a", "f", "c"}, map[string]uint8{"a": 50, "f": 250, "c": 150},
		map[string]string{"a": "ABC123", "f": "ABC123", "c": "OYO9FEU"})
	det := fakeDetector{image.Rect(8, 8, 62, 37)}
	closed := &counter{}
	good := func() (ocr.Reader, error) { return &fakeReader{texts: fakeTexts, closed: closed}, nil }
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"read fails", Config{Detector: det, NewReader: good, Workers: 2}, "eval: f.png: boom"},
		{"open fails", Config{Detector: det, NewReader: func() (ocr.Reader, error) { return nil, errors.New("no model") }}, "eval: opening a reader: no model"},
		{"corrector fails", Config{Detector: det, NewReader: good, NewCorrector: func() (ocr.Corrector, error) { return nil, errors.New("no region") }}, "eval: making a corrector: no region"},
		{"no reader", Config{Detector: det}, "eval: run: no NewReader"},
		{"no detector", Config{NewReader: good}, "eval: run: no Detector for an end-to-end data set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), ds, tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Run(ctx, ds, Config{Detector: det, NewReader: good})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got error %v, want context.Canceled", err)
		}
	})
}

// TestBlank: the label box, grown by an eighth of its width and a fifth of
// its height and clipped to the frame, takes the median grey of its
// border; the rest of the frame is untouched.
func TestBlank(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 100, 60))
	for i := range img.Pix {
		img.Pix[i] = 90
	}
	box := image.Rect(20, 20, 60, 40) // grown: (15,16)-(65,44)
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			img.SetGray(x, y, color.Gray{Y: 10}) // the plate
		}
	}
	img.SetGray(15, 16, color.Gray{Y: 250}) // one odd border pixel
	img.SetGray(0, 0, color.Gray{Y: 7})     // outside
	Blank(img, box)
	for y := 0; y < 60; y++ {
		for x := 0; x < 100; x++ {
			want := uint8(90)
			if x == 0 && y == 0 {
				want = 7
			}
			if got := img.GrayAt(x, y).Y; got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	// At the frame's edge the grown box is clipped; an empty box does
	// nothing.
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 200)
	}
	Blank(img, image.Rect(90, 50, 110, 70))
	if v := img.GrayAt(99, 59).Y; v != img.GrayAt(88, 59).Y || img.GrayAt(87, 59).Y == v && img.GrayAt(87, 48).Y == v {
		t.Errorf("clipped box: got %d at the corner, %d and %d outside", v, img.GrayAt(87, 59).Y, img.GrayAt(87, 48).Y)
	}
	before := slices.Clone(img.Pix)
	Blank(img, image.Rectangle{})
	if !slices.Equal(before, img.Pix) {
		t.Error("an empty box changed the frame")
	}
}

// TestRunBlank: with Blank, the plate of the label box (grey 150, read
// 0YO9FEU) is painted with the street's grey (100, read ABC123): the
// region that held it reads the street, and every read counts as another
// read.
func TestRunBlank(t *testing.T) {
	dir := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 200, 100))
	for i := range img.Pix {
		img.Pix[i] = 100
	}
	for y := 10; y < 35; y++ {
		for x := 10; x < 60; x++ {
			img.SetGray(x, y, color.Gray{Y: 150})
		}
	}
	f, err := os.Create(filepath.Join(dir, "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeFiles(t, dir, map[string]string{"a.txt": "a.png\t10\t10\t50\t25\t0YO9FEU\n"})
	ds, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	// run runs the set through the fake reader, regions det, with an HTML
	// report.
	run := func(det fakeDetector, blank bool) (Config, *Report) {
		cfg := Config{
			Detector:  det,
			NewReader: func() (ocr.Reader, error) { return &fakeReader{texts: fakeTexts, closed: &counter{}}, nil },
			Blank:     blank,
			HTMLDir:   t.TempDir(),
		}
		rep, err := Run(context.Background(), ds, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return cfg, rep
	}
	for _, blank := range []bool{false, true} {
		cfg, rep := run(fakeDetector{image.Rect(12, 12, 58, 33), image.Rect(150, 0, 200, 20)}, blank)
		// Read right, the frame is not in the report; blanked, it is, as
		// a read, with the crop of what was read: the street's grey.
		if err := WriteHTML(cfg.HTMLDir, rep); err != nil {
			t.Fatal(err)
		}
		html, err := os.ReadFile(filepath.Join(cfg.HTMLDir, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		if n, want := strings.Count(string(html), `class="entry"`), map[bool]int{false: 0, true: 1}[blank]; n != want {
			t.Errorf("blank %v: index.html has %d entries, want %d", blank, n, want)
		}
		if blank {
			if !strings.Contains(string(html), "read with the plate painted out") {
				t.Error("blanked: the entry does not say it was read with the plate painted out")
			}
			f, err := os.Open(filepath.Join(cfg.HTMLDir, rep.Results[0].CropFile))
			if err != nil {
				t.Fatal(err)
			}
			crop, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if g := color.GrayModel.Convert(crop.At(crop.Bounds().Min.X+5, crop.Bounds().Min.Y+5)).(color.Gray).Y; g != 100 {
				t.Errorf("blanked: crop %v has grey %d, want the street's 100", crop.Bounds(), g)
			}
		}
		var texts []string
		for _, p := range rep.Results[0].Plates {
			texts = append(texts, p.Text)
		}
		s := rep.Summary
		want, other, found := []string{"0YO9FEU", "ABC123"}, 1, 1
		if blank {
			// The first region still overlaps the label box (the fake
			// detector returns it whatever the pixels): found, but a read
			// of the street all the same.
			want, other = []string{"ABC123", "ABC123"}, 2
		}
		if !slices.Equal(texts, want) || s.OtherReads != other || s.OtherImages != 1 || s.Found != found || s.Blank != blank {
			t.Errorf("blank %v: read %v, other reads %d in %d images, found %d, summary blank %v; want %v, %d in 1, %d, %v",
				blank, texts, s.OtherReads, s.OtherImages, s.Found, s.Blank, want, other, found, blank)
		}
	}
	// Blanked, a read elsewhere in the frame (not found, then) is what the
	// report's crop shows, not the label box.
	cfg, rep := run(fakeDetector{image.Rect(150, 0, 200, 20)}, true)
	if r := rep.Results[0]; r.Found || r.CropFile == "" {
		t.Fatalf("read elsewhere: found %v, crop %q; want not found, a crop", r.Found, r.CropFile)
	}
	if f, err := os.Open(filepath.Join(cfg.HTMLDir, rep.Results[0].CropFile)); err != nil {
		t.Error(err)
	} else if c, err := png.DecodeConfig(f); err != nil || c.Width != 50 || c.Height != 20 {
		f.Close()
		t.Errorf("read elsewhere: crop %dx%d (%v), want the region read, 50x20", c.Width, c.Height, err)
	} else {
		f.Close()
	}
	crops := fakeSet(t, LayoutCrops, []string{"a"}, map[string]uint8{"a": 50}, map[string]string{"a": "ABC123"})
	_, err = Run(context.Background(), crops, Config{Blank: true, NewReader: func() (ocr.Reader, error) { return nil, nil }})
	if err == nil || !strings.Contains(err.Error(), "Blank needs an end-to-end data set") {
		t.Errorf("crops with Blank: got %v, want an error", err)
	}
}
