//go:build cgo

package tess

import (
	"image"
	"math"
	"os"
	"strings"
	"testing"

	"alprd/ocr"
	"alprd/ocr/detect"
	"alprd/tools/platesynth/synth"
)

func openReader(t testing.TB, cfg Config) *Reader {
	t.Helper()
	r := New(cfg)
	if err := r.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestVersion(t *testing.T) {
	v := Version()
	if v == "" || !strings.Contains(v, ".") {
		t.Errorf("Version() = %q, want a version number", v)
	}
	t.Logf("tesseract %s", v)
}

func TestReadPlates(t *testing.T) {
	for _, lang := range []string{PlateModel, "eng", DefaultLanguage} {
		t.Run(lang, func(t *testing.T) { testReadPlates(t, lang) })
	}
}

func testReadPlates(t *testing.T, lang string) {
	r := openReader(t, Config{Language: lang})
	tests := []struct {
		name, format, text string
		width              int
		ir, light          bool // IR look; light characters on a dark plate
		tf                 synth.Typeface
	}{
		{"ca", "us-ca", "7ABC123", 240, false, false, synth.GoBold},
		{"ny-ir", "us-ny", "XYZ4567", 240, true, false, synth.GoBold},
		{"small", "us-wa", "KLM9025", 120, false, false, synth.GoBold},
		{"large", "us-tx", "TRW3186", 400, false, false, synth.GoBold},
		{"fl", "us-fl", "HJNP77", 200, false, false, synth.GoBold},
		{"light-on-dark", "us-ca", "3HJN775", 200, false, true, synth.GoBold},
		{"short", "us-tx", "EPX52", 200, false, false, synth.GoBold},
		{"mono", "us-ny", "9QVD064", 240, false, false, synth.GoMonoBold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := plate(t, tt.format, tt.text, tt.width, tt.ir, tt.tf)
			if tt.light {
				invert(img)
			}
			img = soften(img, 5, 1)
			rd, err := r.Read(img)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			t.Logf("raw %q conf %.1f candidates %v", rd.Raw, rd.Confidence, rd.Candidates)
			if rd.Text != tt.text {
				t.Errorf("Text = %q, want %q", rd.Text, tt.text)
			}
			// Both models read a clean plate alike; one model alone has
			// nothing to disagree with.
			if max := map[bool]float64{true: 0.2, false: 0}[lang == DefaultLanguage]; rd.Discord < 0 || rd.Discord > max {
				t.Errorf("Discord = %v, want 0..%v", rd.Discord, max)
			}
			if rd.Glyphless {
				t.Errorf("Glyphless, want the characters read on their glyphs")
			}
			checkReading(t, rd)
		})
	}
}

// checkReading checks the invariants of a Reading.
func checkReading(t *testing.T, rd ocr.Reading) {
	t.Helper()
	if rd.Confidence < 0 || rd.Confidence > 100 {
		t.Errorf("Confidence = %v, want 0..100", rd.Confidence)
	}
	if rd.Text != clean(rd.Text) {
		t.Errorf("Text %q has characters other than A-Z0-9", rd.Text)
	}
	if rd.Text == "" {
		if len(rd.Candidates) != 0 {
			t.Errorf("no text but candidates %v", rd.Candidates)
		}
		return
	}
	if len(rd.Candidates) == 0 || rd.Candidates[0].Text != rd.Text {
		t.Fatalf("Candidates = %v, want the first to be %q", rd.Candidates, rd.Text)
	}
	if rd.Candidates[0].Confidence != rd.Confidence {
		t.Errorf("Candidates[0].Confidence = %v, want %v", rd.Candidates[0].Confidence, rd.Confidence)
	}
	seen := map[string]bool{}
	for _, c := range rd.Candidates {
		if seen[c.Text] {
			t.Errorf("candidate %q twice", c.Text)
		}
		seen[c.Text] = true
		if c.Confidence < 0 || c.Confidence > 100 {
			t.Errorf("candidate %q confidence %v, want 0..100", c.Text, c.Confidence)
		}
	}
	for i := 2; i < len(rd.Candidates); i++ {
		if rd.Candidates[i].Confidence > rd.Candidates[i-1].Confidence {
			t.Errorf("candidates not ranked: %v", rd.Candidates)
		}
	}
}

// A crop around the plate of a synthesized frame reads too.
func TestReadSubImage(t *testing.T) {
	r := openReader(t, Config{})
	img, s := frame(t, 180, false, 4)
	box := s.Box.Inset(-8)
	rd, err := r.Read(img.SubImage(box).(*image.Gray))
	if err != nil {
		t.Fatal(err)
	}
	if rd.Text != s.Plate {
		t.Errorf("Text = %q, want %q (raw %q)", rd.Text, s.Plate, rd.Raw)
	}
	checkReading(t, rd)
	// Chars, in the sub-image's coordinates, holds the characters: well
	// inside the plate's box, which is 8 pixels inside the crop, and
	// wider than tall.
	if c := rd.Chars; c.Empty() || !c.In(box) || c.Min.X < s.Box.Min.X || c.Max.X > s.Box.Max.X || c.Dx() < 2*c.Dy() {
		t.Errorf("Chars = %v, want the characters within the plate %v", rd.Chars, s.Box)
	}
}

func TestReadBinarize(t *testing.T) {
	r := openReader(t, Config{Binarize: true})
	const text = "5MNP204"
	rd, err := r.Read(plate(t, "us-ca", text, 200, false, synth.GoBold))
	if err != nil {
		t.Fatal(err)
	}
	if rd.Text != text {
		t.Errorf("Text = %q, want %q (raw %q)", rd.Text, text, rd.Raw)
	}
}

func TestReadUnreadable(t *testing.T) {
	r := openReader(t, Config{})
	for name, img := range map[string]*image.Gray{
		"nil":   nil,
		"empty": image.NewGray(image.Rect(0, 0, 0, 0)),
		"tiny":  image.NewGray(image.Rect(0, 0, 3, 2)),
		"flat":  synth.Flat(200, 100, 200),
	} {
		rd, err := r.Read(img)
		if err != nil {
			t.Errorf("%s: Read: %v", name, err)
		}
		if rd.Text != "" || len(rd.Candidates) != 0 {
			t.Errorf("%s: got %+v, want an empty Reading", name, rd)
		}
	}
	// Noise may read as something, but must not fail.
	rd, err := r.Read(synth.Noise(200, 100, 1))
	if err != nil {
		t.Errorf("noise: %v", err)
	}
	checkReading(t, rd)
}

func TestLifecycle(t *testing.T) {
	r := New(Config{})
	if _, err := r.Read(synth.Flat(100, 50, 0)); err == nil {
		t.Error("Read before Open: no error")
	}
	if err := r.Open(); err != nil {
		t.Fatal(err)
	}
	if err := r.Open(); err != nil {
		t.Errorf("second Open: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Read(synth.Flat(100, 50, 0)); err == nil {
		t.Error("Read after Close: no error")
	}
	// Reopen works.
	if err := r.Open(); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer r.Close()
	if rd, err := r.Read(plate(t, "us-ca", "7ABC123", 200, false, synth.GoBold)); err != nil || rd.Text != "7ABC123" {
		t.Errorf("after reopen: %q, %v", rd.Text, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"unknown language", Config{Language: "xxx"}, []string{"tess: open", `"xxx"`}},
		{"unknown language, explicit dir", Config{Language: "xxx", TessdataPrefix: dataDir(t)}, []string{"tess: open", `"xxx"`, dataDir(t), "xxx.traineddata"}},
		{"empty tessdata dir", Config{Language: "eng", TessdataPrefix: dir}, []string{"tess: open", `"eng"`, dir}},
		{"missing tessdata dir", Config{Language: "eng", TessdataPrefix: dir + "/nope"}, []string{"tess: open", dir + "/nope"}},
		{"second language unknown", Config{Language: "eng+xxx", TessdataPrefix: dataDir(t)}, []string{"xxx.traineddata"}},
		{"plate and unknown language", Config{Language: "plate+xxx", TessdataPrefix: dataDir(t)}, []string{`"plate+xxx"`, "xxx.traineddata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.cfg)
			err := r.Open()
			if err == nil {
				r.Close()
				t.Fatal("Open: no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := r.Read(synth.Flat(100, 50, 0)); err == nil {
				t.Error("Read after failed Open: no error")
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close after failed Open: %v", err)
			}
		})
	}
}

// dataDir finds the installed tessdata directory (for tests that name it).
func dataDir(t *testing.T) string {
	for _, d := range []string{os.Getenv("TESSDATA_PREFIX"), "/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/local/share/tessdata"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(d + "/eng.traineddata"); err == nil {
			return d
		}
	}
	t.Skip("no tessdata directory with eng.traineddata found")
	return ""
}

// The plate model is built in: it needs no tessdata directory.
func TestPlateModelOnly(t *testing.T) {
	r := openReader(t, Config{Language: PlateModel, TessdataPrefix: t.TempDir() + "/nope"})
	if rd, err := r.Read(plate(t, "us-ca", "7ABC123", 200, false, synth.GoBold)); err != nil || rd.Text != "7ABC123" {
		t.Errorf("got %q, %v", rd.Text, err)
	}
}

func TestExplicitTessdata(t *testing.T) {
	r := openReader(t, Config{Language: "eng", TessdataPrefix: dataDir(t)})
	if rd, err := r.Read(plate(t, "us-ca", "7ABC123", 200, false, synth.GoBold)); err != nil || rd.Text != "7ABC123" {
		t.Errorf("got %q, %v", rd.Text, err)
	}
}

// Readers on several goroutines, one each, opened concurrently.
func TestReadersInParallel(t *testing.T) {
	texts := []string{"7ABC123", "8XYZ456", "4KLM902"}
	imgs := make([]*image.Gray, len(texts))
	for i, txt := range texts {
		imgs[i] = plate(t, "us-ca", txt, 200, false, synth.GoBold) // t is not for other goroutines
	}
	errs := make(chan error, len(texts))
	for i, txt := range texts {
		go func() {
			r := New(Config{})
			if err := r.Open(); err != nil {
				errs <- err
				return
			}
			defer r.Close()
			img := imgs[i]
			for i := 0; i < 3; i++ {
				rd, err := r.Read(img)
				if err != nil {
					errs <- err
					return
				}
				if rd.Text != txt {
					errs <- &mismatch{rd.Text, txt}
					return
				}
			}
			errs <- nil
		}()
	}
	for range texts {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

type mismatch struct{ got, want string }

func (m *mismatch) Error() string { return "got " + m.got + ", want " + m.want }

func BenchmarkRead(b *testing.B) {
	img := soften(plate(b, "us-ca", "7ABC123", 200, false, synth.GoBold), 0, 1)
	for _, lang := range []string{PlateModel, "eng", DefaultLanguage} {
		b.Run(lang, func(b *testing.B) {
			r := openReader(b, Config{Language: lang})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Read(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The whole path on synthetic frames: detect, crop, read. One of the best
// three regions reads as the plate.
func TestDetectThenRead(t *testing.T) {
	r := openReader(t, Config{})
	d := detect.New(detect.Options{})
	tests := []struct {
		name   string
		plateW int
		ir     bool
		seed   uint64
	}{
		{"day", 200, false, 11},
		{"ir", 160, true, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, s := frame(t, tt.plateW, tt.ir, tt.seed)
			rs := d.Detect(img)
			var got []string
			for i, reg := range rs {
				if i == 3 {
					break
				}
				rd, err := r.Read(ocr.Crop(img, reg.Box))
				if err != nil {
					t.Fatal(err)
				}
				checkReading(t, rd)
				if rd.Text == s.Plate {
					return
				}
				got = append(got, rd.Text)
			}
			t.Errorf("no region read %q (plate %v); read %q from %v", s.Plate, s.Box, got, rs)
		})
	}
}

// TestReadTextures: what a wheel, a grille, a fence or slats give the
// models to read stands on no glyph of a row of characters: the reading is
// Glyphless, whatever text the models made of it.
func TestReadTextures(t *testing.T) {
	r := openReader(t, Config{})
	const w, h = 160, 60
	texture := func(dark func(x, y int) bool) *image.Gray {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.Pix[y*w+x] = 200
				if dark(x, y) {
					img.Pix[y*w+x] = 40
				}
			}
		}
		return soften(img, 3, 1)
	}
	read := 0
	for _, tt := range []struct {
		name string
		dark func(x, y int) bool
	}{
		{"fence", func(x, y int) bool { return x%12 < 3 }},
		{"mesh", func(x, y int) bool { return x%8 < 2 || y%8 < 2 }},
		{"holes", func(x, y int) bool { return x%10 < 6 && y%10 < 6 }},
		{"diagonal grille", func(x, y int) bool { return (x+y)%14 < 4 }},
		{"slats", func(x, y int) bool { return y%9 < 3 && x > 10 && x < 150 }},
		{"wheel", func(x, y int) bool {
			a := math.Atan2(float64(y-h/2), float64(x-w/2))
			return int(a*8/math.Pi+16)%2 == 0
		}},
	} {
		rd, err := r.Read(texture(tt.dark))
		if err != nil {
			t.Fatalf("%s: Read: %v", tt.name, err)
		}
		t.Logf("%s: %q (raw %q)", tt.name, rd.Text, rd.Raw)
		if rd.Text != "" {
			read++
		}
		if !rd.Glyphless {
			t.Errorf("%s: read %q, not Glyphless", tt.name, rd.Text)
		}
	}
	// The models do read garbage there (which is why it matters).
	if read < 3 {
		t.Errorf("%d textures gave a text, want 3 or more", read)
	}
}
