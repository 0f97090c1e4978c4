package ocr_test

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
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
			[]ocr.Reading{{Text: "A", Confidence: 90}, {Text: "ABCDEFGH123", Confidence: 90}, {Text: "ABC123", Confidence: 40}, {Text: "ABC123", Confidence: 60}},
			[]string{"ABC123"}, 4},
		{"longer than a serial: a word, not a number", ocr.Engine{MaxPlates: 4},
			[]ocr.Reading{{Text: "817114748", Confidence: 90}, {Text: "BIGCHEESE", Confidence: 90}, {Text: "12345678", Confidence: 90}, {Text: "2026112721", Confidence: 90}},
			[]string{"BIGCHEESE", "12345678"}, 4},
		{"corrector applied before the filters", ocr.Engine{MaxPlates: 1, Corrector: upper{}}, []ocr.Reading{{Text: "X", Confidence: 90}}, []string{"7ABC123"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.engine
			e.Detector = regions
			e.Reader = &scriptReader{readings: tc.readings}
			got := recognizeTexts(t, &e, img)
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
// reading the top regions with Tesseract, the best one again, syntax
// correction), configured as the unit's defaults, on synthesized 1280x720
// and 1920x1080 frames, with allocations per frame.
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
			r := tess.New(tess.Config{})
			if err := r.Open(); err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			c, err := syntax.New("us")
			if err != nil {
				b.Fatal(err)
			}
			e := ocr.Engine{Detector: detect.New(detect.Options{}), Reader: r, Corrector: c, Reread: ocr.DefaultReread}
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

func TestVote(t *testing.T) {
	c := func(text string, conf float64) ocr.Candidate { return ocr.Candidate{Text: text, Confidence: conf} }
	rd := func(raw string, cs ...ocr.Candidate) ocr.Reading {
		r := ocr.Reading{Raw: raw, Candidates: cs}
		if len(cs) > 0 {
			r.Text, r.Confidence = cs[0].Text, cs[0].Confidence
		}
		return r
	}
	for _, tc := range []struct {
		name string
		in   []ocr.Reading
		want []string
		conf float64
	}{
		{"agreement", []ocr.Reading{rd("a", c("7ABC123", 90), c("7A8C123", 60)), rd("b", c("7ABC123", 80))}, []string{"7ABC123", "7A8C123"}, 90},
		{"the least discord", []ocr.Reading{{Text: "7ABC123", Confidence: 90, Discord: 0.4}, {Text: "7ABC123", Confidence: 80, Discord: 0.1}, {Text: "7ABC128", Confidence: 30, Discord: 0.7}}, []string{"7ABC123", "7ABC128"}, 90},
		// Each first choice scores 1 (x conf); a text both readings
		// hold, second in one, beats the other's lone first choice.
		{"second in both beats first in one", []ocr.Reading{
			rd("a", c("SK2NGK", 100), c("SK2W6K", 100)),
			rd("b", c("SKW6K", 100), c("SK2W6K", 100), c("SK2NGK", 40)),
		}, []string{"SK2NGK", "SK2W6K", "SKW6K"}, 100},
		{"tie goes to the first reading", []ocr.Reading{rd("a", c("ABC123", 100)), rd("b", c("ABC128", 100))}, []string{"ABC123", "ABC128"}, 100},
		{"confidence weighs", []ocr.Reading{rd("a", c("ABC123", 40)), rd("b", c("ABC128", 90))}, []string{"ABC128", "ABC123"}, 90},
		{"text without candidates", []ocr.Reading{{Text: "XY12", Confidence: 70}, rd("b")}, []string{"XY12"}, 70},
		{"nothing", []ocr.Reading{rd("a"), rd("b")}, nil, 0},
		{"glyphless in one look", []ocr.Reading{{Text: "7ABC123", Confidence: 90, Glyphless: true}, {Text: "7ABC123", Confidence: 80}}, []string{"7ABC123"}, 90},
		{"glyphless in every look", []ocr.Reading{{Text: "59494", Confidence: 90, Glyphless: true}, {Text: "59494", Confidence: 80, Glyphless: true}}, []string{"59494"}, 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ocr.Vote(tc.in...)
			var texts []string
			for _, c := range got.Candidates {
				texts = append(texts, c.Text)
			}
			if fmt.Sprint(texts) != fmt.Sprint(tc.want) {
				t.Errorf("candidates %v, want %v", texts, tc.want)
			}
			wantText := ""
			if len(tc.want) > 0 {
				wantText = tc.want[0]
			}
			if got.Text != wantText || got.Confidence != tc.conf {
				t.Errorf("text %q conf %v, want %q %v", got.Text, got.Confidence, wantText, tc.conf)
			}
			if want := slices.MinFunc(tc.in, func(a, b ocr.Reading) int { return cmp.Compare(a.Discord, b.Discord) }).Discord; got.Discord != want {
				t.Errorf("discord %v, want the least, %v", got.Discord, want)
			}
			if want := !slices.ContainsFunc(tc.in, func(r ocr.Reading) bool { return !r.Glyphless }); got.Glyphless != want {
				t.Errorf("glyphless %v, want %v (only when every reading is)", got.Glyphless, want)
			}
			if got.Raw != "a // b" && tc.in[0].Raw == "a" {
				t.Errorf("raw %q, want both raws joined", got.Raw)
			}
		})
	}
}

// TestEngineReread: with Reread set, the best region is read twice, the
// second time cut from its box grown (or shrunk) by that fraction, and the
// two readings vote (they agree here); the other regions are read once.
func TestEngineReread(t *testing.T) {
	box, box2 := image.Rect(100, 50, 200, 100), image.Rect(300, 20, 360, 50)
	img := image.NewGray(image.Rect(0, 0, 400, 200))
	r := &sizeReader{texts: []string{"ABC123", "ABC123", "XYZ789"}}
	e := ocr.Engine{Detector: fixedDetector{{Box: box, Score: 1}, {Box: box2, Score: 0.5}}, Reader: r, Reread: -0.1}
	plates, err := e.Recognize(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := []image.Point{{100, 50}, {80, 40}, {60, 30}}; fmt.Sprint(r.sizes) != fmt.Sprint(want) {
		t.Errorf("crops read %v, want %v", r.sizes, want)
	}
	if len(plates) != 2 || plates[0].Reading.Text != "ABC123" || plates[0].Reading.Raw != " // " ||
		plates[1].Reading.Text != "XYZ789" || plates[1].Reading.Raw != "" {
		t.Fatalf("plates %+v, want ABC123 read twice, then XYZ789 read once", plates)
	}
	if plates[0].Crop.Rect.Size() != box.Size() {
		t.Errorf("plate crop %v, want the region's box %v", plates[0].Crop.Rect.Size(), box.Size())
	}
	if e.RegionsRead != 2 {
		t.Errorf("RegionsRead %d, want 2", e.RegionsRead)
	}
	// Read, for a plate already cut out, reads as the best region: two
	// readings that agree are enough.
	r.sizes, r.texts = nil, []string{"XYZ789"}
	rd, _, err := e.Read(img, box2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []image.Point{{60, 30}, {48, 24}}; fmt.Sprint(r.sizes) != fmt.Sprint(want) || rd.Text != "XYZ789" {
		t.Errorf("Read: crops read %v, text %q; want %v, XYZ789", r.sizes, rd.Text, want)
	}
}

// TestEngineRereadTieBreak: when the two readings of the best region
// disagree, a third crop, shrunk twice as much, breaks the tie.
func TestEngineRereadTieBreak(t *testing.T) {
	box := image.Rect(100, 50, 200, 100)
	img := image.NewGray(image.Rect(0, 0, 400, 200))
	r := &sizeReader{texts: []string{"ABC123", "ABC128", "ABC128"}}
	e := ocr.Engine{Detector: fixedDetector{{Box: box, Score: 1}}, Reader: r, Reread: -0.1}
	plates, err := e.Recognize(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := []image.Point{{100, 50}, {80, 40}, {60, 30}}; fmt.Sprint(r.sizes) != fmt.Sprint(want) {
		t.Errorf("crops read %v, want %v", r.sizes, want)
	}
	if len(plates) != 1 || plates[0].Reading.Text != "ABC128" {
		t.Fatalf("plates %+v, want ABC128 (two readings of three)", plates)
	}
}

// sizeReader reads texts in turn and records the size of each crop; its
// readings' Chars are chars(crop), when set.
type sizeReader struct {
	texts []string
	sizes []image.Point
	chars func(crop image.Rectangle) image.Rectangle
}

func (r *sizeReader) Read(crop *image.Gray) (ocr.Reading, error) {
	t := r.texts[len(r.sizes)%len(r.texts)]
	r.sizes = append(r.sizes, crop.Rect.Size())
	rd := ocr.Reading{Text: t, Confidence: 90, Candidates: []ocr.Candidate{{Text: t, Confidence: 90}}}
	if r.chars != nil {
		rd.Chars = r.chars(crop.Rect)
	}
	return rd, nil
}
func (r *sizeReader) Close() error { return nil }

// TestEngineWidened: when the characters of the best region's first
// reading reach a side of its crop, a crop widened on that side by half a
// character height (a third of Chars' height) is read as well and votes;
// when they reach no side, or the frame ends there, it is not.
func TestEngineWidened(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 400, 200))
	tests := []struct {
		name  string
		box   image.Rectangle
		chars func(image.Rectangle) image.Rectangle
		want  []image.Point
	}{
		// Chars 30 tall reaching the left side: 10 more pixels there.
		{"left", image.Rect(100, 50, 200, 100), func(c image.Rectangle) image.Rectangle { return image.Rect(0, 10, 80, 40) },
			[]image.Point{{100, 50}, {110, 50}, {80, 40}}},
		{"both", image.Rect(100, 50, 200, 100), func(c image.Rectangle) image.Rectangle { return image.Rect(0, 10, c.Dx(), 40) },
			[]image.Point{{100, 50}, {120, 50}, {80, 40}}},
		// Chars within a sixth of their area's height (5) of the left
		// side: widened there too; further from both sides: not.
		{"near", image.Rect(100, 50, 200, 100), func(c image.Rectangle) image.Rectangle { return image.Rect(4, 10, 85, 40) },
			[]image.Point{{100, 50}, {110, 50}, {80, 40}}},
		{"inside", image.Rect(100, 50, 200, 100), func(c image.Rectangle) image.Rectangle { return image.Rect(7, 10, 93, 40) },
			[]image.Point{{100, 50}, {80, 40}}},
		{"frame's edge", image.Rect(0, 50, 100, 100), func(c image.Rectangle) image.Rectangle { return image.Rect(0, 10, 80, 40) },
			[]image.Point{{100, 50}, {80, 40}}},
		{"none found", image.Rect(100, 50, 200, 100), nil, []image.Point{{100, 50}, {80, 40}}},
	}
	for _, tt := range tests {
		r := &sizeReader{texts: []string{"ABC123"}, chars: tt.chars}
		e := ocr.Engine{Detector: fixedDetector{{Box: tt.box, Score: 1}}, Reader: r, Reread: -0.1}
		plates, err := e.Recognize(img)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.sizes) != fmt.Sprint(tt.want) {
			t.Errorf("%s: crops read %v, want %v", tt.name, r.sizes, tt.want)
		}
		if len(plates) != 1 || plates[0].Reading.Text != "ABC123" || plates[0].Crop.Rect.Size() != tt.box.Size() {
			t.Errorf("%s: plates %+v, want ABC123 with the region's crop", tt.name, plates)
		}
	}
	// Without Reread, one read only.
	r := &sizeReader{texts: []string{"ABC123"}, chars: func(c image.Rectangle) image.Rectangle { return image.Rect(0, 10, 80, 40) }}
	e := ocr.Engine{Detector: fixedDetector{{Box: image.Rect(100, 50, 200, 100), Score: 1}}, Reader: r}
	if _, err := e.Recognize(img); err != nil || len(r.sizes) != 1 {
		t.Errorf("without Reread: crops read %v (%v), want one", r.sizes, err)
	}
}

// sevens is a Corrector whose plates all have 7 characters.
type sevens struct{}

func (sevens) Correct(r ocr.Reading) ocr.Reading { return r }
func (sevens) HasLength(n int) bool              { return n == 7 }

// TestEngineOffLength: when the best region's reading has a length no
// plate of the Corrector has, a crop widened on both sides by 0.6 of the
// box's height is read, and its reading, of a plate's length, comes first
// in the vote; a reading of a plate's length, or a widened one that is
// not, changes nothing.
func TestEngineOffLength(t *testing.T) {
	box := image.Rect(100, 50, 200, 100)
	img := image.NewGray(image.Rect(0, 0, 400, 200))
	tests := []struct {
		name  string
		texts []string
		want  string
		sizes []image.Point
	}{
		{"cut short", []string{"JB7392", "JB7392", "PJB7392"}, "PJB7392", []image.Point{{100, 50}, {80, 40}, {160, 50}}},
		{"widened no better", []string{"JB7392", "JB7392", "XPJB7392"}, "JB7392", []image.Point{{100, 50}, {80, 40}, {160, 50}}},
		{"a plate's length", []string{"PJB7392"}, "PJB7392", []image.Point{{100, 50}, {80, 40}}},
	}
	for _, tt := range tests {
		r := &sizeReader{texts: tt.texts}
		e := ocr.Engine{Detector: fixedDetector{{Box: box, Score: 1}}, Reader: r, Reread: -0.1, Corrector: sevens{}}
		plates, err := e.Recognize(img)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.sizes) != fmt.Sprint(tt.sizes) {
			t.Errorf("%s: crops read %v, want %v", tt.name, r.sizes, tt.sizes)
		}
		if len(plates) != 1 || plates[0].Reading.Text != tt.want {
			t.Errorf("%s: plates %+v, want %s", tt.name, plates, tt.want)
		}
	}
	// At the frame's edge the widened crop stops there.
	r := &sizeReader{texts: []string{"JB7392", "JB7392", "PJB7392"}}
	e := ocr.Engine{Detector: fixedDetector{{Box: image.Rect(10, 50, 110, 100), Score: 1}}, Reader: r, Reread: -0.1, Corrector: sevens{}}
	if _, err := e.Recognize(img); err != nil || fmt.Sprint(r.sizes) != fmt.Sprint([]image.Point{{100, 50}, {80, 40}, {140, 50}}) {
		t.Errorf("at the frame's edge: crops read %v (%v), want the widened one 140 wide (10 on the left)", r.sizes, err)
	}
}

// formats is a Corrector whose only plate format is 7ABC123's.
type formats struct{}

func (formats) Correct(r ocr.Reading) ocr.Reading { return r }
func (formats) Fits(text string) bool {
	return len(text) == 7 && text[0] >= '0' && text[0] <= '9' && strings.Trim(text[1:4], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" && strings.Trim(text[4:], "0123456789") == ""
}

// TestEnginePlateLike: a region's reading is kept when the detector scores
// the region 0.4 or more or it fits a plate format of the Corrector, and,
// for a region other than the best, the models read it alike (a Discord of
// 0.5 or less); the best region's also when it has 4 characters or more
// read with 96 or more confidence (a personalised plate); without a
// Corrector that tells, every reading is kept.
func TestEnginePlateLike(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 400, 200))
	regions := fixedDetector{
		{Box: image.Rect(0, 0, 60, 30), Score: 0.2},       // best, doubted
		{Box: image.Rect(100, 0, 160, 30), Score: 0.3},    // a sticker
		{Box: image.Rect(200, 0, 260, 30), Score: 0.3},    // another car's plate
		{Box: image.Rect(300, 0, 360, 30), Score: 0.5},    // a personalised plate, plate-like
		{Box: image.Rect(0, 100, 60, 130), Score: 0.3},    // a grille whose garbage fits a format
		{Box: image.Rect(100, 100, 160, 130), Score: 0.6}, // a sign the models read unlike
	}
	others := []ocr.Reading{
		{Text: "KEEPCALM", Confidence: 97},
		{Text: "8XYZ789", Confidence: 97, Discord: 0.2},
		{Text: "LUVBUG", Confidence: 97, Discord: 0.5, Glyphless: true}, // the detector is sure
		{Text: "5ABC555", Confidence: 97, Discord: 0.9},
		{Text: "77777", Confidence: 97, Discord: 0.75},
	}
	for _, tc := range []struct {
		name string
		corr ocr.Corrector
		best ocr.Reading
		want []string
	}{
		{"a personalised plate", formats{}, ocr.Reading{Text: "GOTEAM", Confidence: 97}, []string{"GOTEAM", "8XYZ789", "LUVBUG"}},
		// The best region's models may disagree; another's must not.
		{"a plate's format", formats{}, ocr.Reading{Text: "7ABC123", Confidence: 60, Discord: 0.9}, []string{"7ABC123", "8XYZ789", "LUVBUG"}},
		{"not sure enough", formats{}, ocr.Reading{Text: "GGGGG", Confidence: 95}, []string{"8XYZ789", "LUVBUG"}},
		// A doubted region whose characters stand on no glyph: a grille
		// or a wheel, whatever the models made of it.
		{"a format off no glyph", formats{}, ocr.Reading{Text: "7ABC123", Confidence: 97, Glyphless: true}, []string{"8XYZ789", "LUVBUG"}},
		{"a personalised plate off no glyph", formats{}, ocr.Reading{Text: "GOTEAM", Confidence: 97, Glyphless: true}, []string{"8XYZ789", "LUVBUG"}},
		{"too short", formats{}, ocr.Reading{Text: "YYY", Confidence: 100}, []string{"8XYZ789", "LUVBUG"}},
		{"without", nil, ocr.Reading{Text: "YYY", Confidence: 60}, []string{"YYY", "KEEPCALM", "8XYZ789", "LUVBUG", "5ABC555", "77777"}},
		{"a Corrector that cannot tell", upper{}, ocr.Reading{Text: "YYY", Confidence: 60}, []string{"7ABC123", "7ABC123", "7ABC123", "7ABC123", "7ABC123", "7ABC123"}},
	} {
		rs := append([]ocr.Reading{tc.best}, others...)
		e := ocr.Engine{Detector: regions, Reader: &scriptReader{readings: rs}, MaxPlates: 6, Corrector: tc.corr}
		if got := recognizeTexts(t, &e, img); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// A doubted best region that is not kept is read, and counted, all the
	// same.
	e := ocr.Engine{Detector: regions[:1], Reader: &scriptReader{readings: []ocr.Reading{{Text: "YY", Confidence: 99}}}, Corrector: formats{}}
	if got := recognizeTexts(t, &e, img); len(got) != 0 || e.RegionsRead != 1 {
		t.Errorf("got %v after %d regions read, want none after 1", got, e.RegionsRead)
	}
}

// recognizeTexts runs e on img and returns the plates' texts; each plate's
// crop must be its region's.
func recognizeTexts(t *testing.T, e *ocr.Engine, img *image.Gray) []string {
	t.Helper()
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
	return got
}

// TestEngineIgnore: regions whose centre lies in an ignored area are not
// read, and the regions after them take their places.
func TestEngineIgnore(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 400, 200))
	regions := fixedDetector{
		{Box: image.Rect(10, 4, 70, 14), Score: 0.9},      // the burnt-in timestamp
		{Box: image.Rect(100, 100, 160, 130), Score: 0.8}, // a plate
		{Box: image.Rect(340, 180, 400, 200), Score: 0.7}, // centre (370, 190): in the second area
		{Box: image.Rect(200, 100, 260, 130), Score: 0.6}, // a plate
	}
	rs := []ocr.Reading{{Text: "7ABC123", Confidence: 90}, {Text: "8XYZ789", Confidence: 90}}
	e := ocr.Engine{Detector: regions, Reader: &scriptReader{readings: rs}, MaxPlates: 2,
		Ignore: []ocr.Area{{X0: 0, Y0: 0, X1: 0.35, Y1: 0.07}, {X0: 0.9, Y0: 0.9, X1: 1, Y1: 1}}}
	plates, err := e.Recognize(img)
	if err != nil {
		t.Fatal(err)
	}
	var got []image.Rectangle
	for _, p := range plates {
		got = append(got, p.Region.Box)
	}
	if want := []image.Rectangle{regions[1].Box, regions[3].Box}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("regions read %v, want %v", got, want)
	}
}
