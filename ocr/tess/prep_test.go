package tess

import (
	"fmt"
	"image"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"alprd/ocr"
	"alprd/tools/platesynth/synth"
)

// symSample is what Tesseract 5 reports for a single line of two words
// "7/o&" and "B", with LSTM choices (lstm_choice_mode=2).
var symSample = []sym{
	{text: "7", conf: 97.5, wordStart: true, choices: []alt{{"7", 96.9}, {"T", 71.2}, {"Z", 2}}},
	{text: "/", conf: 90, choices: []alt{{"/", 88}, {"1", 80}}},
	{text: "o", conf: 95},
	{text: "&", conf: 60, choices: []alt{{"&", 60}, {"8", 10}}},
	{text: "B", conf: 99, wordStart: true, choices: []alt{{"B", 98}, {"8", 40}}},
}

func TestPageOf(t *testing.T) {
	pg := pageOf(symSample)
	if got, want := strings.Join(pg.words, " "), "7/o& B"; got != want {
		t.Errorf("words %q, want %q", got, want)
	}
	if len(pg.syms) != 5 {
		t.Fatalf("%d symbols, want 5: %+v", len(pg.syms), pg.syms)
	}
	s0 := pg.syms[0]
	if s0.text != "7" || s0.conf != 97.5 || len(s0.alts) != 2 || s0.alts[0] != (alt{"T", 71.2}) {
		t.Errorf("symbol 0 = %+v, want 7 (97.5) with alternatives T, Z", s0)
	}
	if pg := pageOf(nil); len(pg.words) != 0 || len(pg.syms) != 0 {
		t.Errorf("no symbols: %+v", pg)
	}
}

func TestReading(t *testing.T) {
	pg := pageOf(symSample)
	rd := pg.reading(allowedSet(DefaultWhitelist), 10, 5)
	// "/" becomes its allowed alternative "1" (80 >= 0.85*90); "o" is
	// upper-cased; "&" is dropped (its best allowed choice is far less sure).
	if rd.Text != "71OB" {
		t.Errorf("Text = %q, want 71OB", rd.Text)
	}
	if rd.Raw != "7/o& B" {
		t.Errorf("Raw = %q", rd.Raw)
	}
	wantConf := (97.5 + 80 + 95 + 99) / 4
	if rd.Confidence != wantConf {
		t.Errorf("Confidence = %v, want %v", rd.Confidence, wantConf)
	}
	var texts []string
	for _, c := range rd.Candidates {
		texts = append(texts, c.Text)
	}
	if got, want := strings.Join(texts, " "), "71OB T1OB 71O8 T1O8"; got != want {
		t.Errorf("candidates %q, want %q", got, want)
	}
	// MaxCandidates caps them; the best is always first.
	if rd := pg.reading(allowedSet(DefaultWhitelist), 2, 5); len(rd.Candidates) != 2 || rd.Candidates[0].Text != "71OB" {
		t.Errorf("capped: %v", rd.Candidates)
	}
	// A whitelist of digits only: "B" is not replaced by its far less sure
	// "8", "o" has no allowed choice.
	if rd := pg.reading(allowedSet("0123456789"), 10, 5); rd.Text != "71" {
		t.Errorf("digits only: %q, want 71", rd.Text)
	}
	// Nothing recognised.
	if rd := (page{}).reading(allowedSet(DefaultWhitelist), 10, 5); rd.Text != "" || rd.Candidates != nil || rd.Confidence != 0 {
		t.Errorf("empty page: %+v", rd)
	}
}

func TestPrepare(t *testing.T) {
	dark := plate(t, "us-ca", "7ABC123", 240, false, synth.GoBold)
	light := invert(plate(t, "us-ca", "7ABC123", 240, false, synth.GoBold))
	for name, img := range map[string]*image.Gray{"dark-on-light": dark, "light-on-dark": light} {
		t.Run(name, func(t *testing.T) {
			var pr prep
			if !pr.prepare(img, 48, 100, false) {
				t.Fatal("prepare refused a plate")
			}
			if !pr.found {
				t.Error("no row of characters found")
			}
			out := pr.image()
			// Margin is white; characters are dark: the darkest pixels are
			// in the middle rows.
			for x := 0; x < out.Rect.Dx(); x++ {
				if out.Pix[x] != 255 || out.Pix[(out.Rect.Dy()-1)*out.Stride+x] != 255 {
					t.Fatal("margin not white")
				}
			}
			var dark int
			for _, v := range out.Pix {
				if v < 64 {
					dark++
				}
			}
			if frac := float64(dark) / float64(len(out.Pix)); frac < 0.05 || frac > 0.5 {
				t.Errorf("dark fraction %.2f: characters not dark on light?", frac)
			}
			// At most one column per character (close ones share one).
			if n := len(pr.cols); n < 1 || n > 7 {
				t.Errorf("%d columns, want 1..7", n)
			}
			// Characters scaled to about 48 px: the image is a little taller
			// than 48 + 2*24 margin.
			if h := out.Rect.Dy(); h < 96 || h > 130 {
				t.Errorf("height %d, want about 110", h)
			}
			// The plate model's line: the scaled area only, dark on light.
			if l := pr.line(); l.Rect.Dy() != pr.sh || l.Rect.Dx() != out.Rect.Dx()-2*(pr.pad/2) || l.Pix[0] != 255 {
				t.Errorf("line %v (first pixel %d), want %dx%d", l.Rect, l.Pix[0], out.Rect.Dx()-2*(pr.pad/2), pr.sh)
			}
		})
	}
	var pr prep
	if pr.prepare(synth.Flat(100, 50, 128), 48, 100, false) {
		t.Error("flat crop accepted")
	}
	if pr.prepare(image.NewGray(image.Rect(0, 0, 5, 100)), 48, 100, false) {
		t.Error("tiny crop accepted")
	}
	// Binarised output has two levels only.
	if !pr.prepare(dark, 48, 100, true) {
		t.Fatal("prepare refused a plate")
	}
	for _, v := range pr.image().Pix {
		if v != 0 && v != 255 {
			t.Fatalf("binarised image has level %d", v)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Language != DefaultLanguage || c.Whitelist != DefaultWhitelist || c.CharHeight != 48 || c.MaxCandidates != 10 || c.MinAltConfidence != 5 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestMergePositions(t *testing.T) {
	p := func(opts ...alt) pos { return pos{opts: opts} }
	a := []pos{p(alt{"Z", 60}, alt{"2", 50}), p(alt{"A", 90})}
	b := []pos{p(alt{"2", 80}, alt{"Z", 10}), p(alt{"A", 70}, alt{"4", 20})}
	got := mergePositions(a, b, 0.5, 0)
	want := []pos{p(alt{"2", 65}, alt{"Z", 35}), p(alt{"A", 80}, alt{"4", 10})}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("same length: got %v, want %v", got, want)
	}
	// Weighted: a counts 0.25, b 0.75.
	got = mergePositions(a, b, 0.25, 0)
	want = []pos{p(alt{"2", 72.5}, alt{"Z", 22.5}), p(alt{"A", 75}, alt{"4", 15})}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("same length: got %v, want %v", got, want)
	}
	// Different lengths: the more confident reading, whole.
	c := []pos{p(alt{"L", 30}), p(alt{"2", 40}), p(alt{"A", 50})}
	if got := mergePositions(a, c, 0.5, 0); fmt.Sprint(got) != fmt.Sprint(a) {
		t.Errorf("different lengths: got %v, want %v", got, a)
	}
	if got := mergePositions(c, b, 0.5, 0); fmt.Sprint(got) != fmt.Sprint(b) {
		t.Errorf("different lengths: got %v, want %v", got, b)
	}
	if got := mergePositions(nil, b, 0.5, 0); fmt.Sprint(got) != fmt.Sprint(b) {
		t.Errorf("one empty: got %v, want %v", got, b)
	}
}

// TestMergeUnread: readings of different lengths, aligned by their boxes
// (characters 40 pixels tall, one every 40).
func TestMergeUnread(t *testing.T) {
	ch := func(text string, conf float64, x int) pos { return pos{opts: []alt{{text, conf}}, x: x} }
	hole := func(text string, x int) pos { return pos{x: x, unread: unread(text)} }
	text := func(ps []pos) string {
		var b strings.Builder
		for _, p := range ps {
			b.WriteString(p.opts[0].text)
		}
		return b.String()
	}
	// The plate model's "SK2NGK" and the English model's "SKe W6K", whose
	// "e" (not in the whitelist) leaves it a character short.
	plate := []pos{ch("S", 90, 20), ch("K", 90, 60), ch("2", 90, 100), ch("N", 90, 140), ch("G", 90, 180), ch("K", 90, 220)}
	eng := []pos{ch("S", 95, 22), ch("K", 95, 61), hole("e", 98), ch("W", 95, 141), ch("6", 95, 178), ch("K", 95, 221)}
	tests := []struct {
		name  string
		a, b  []pos
		charH float64
		want  string
	}{
		{"unread letter filled", plate, eng, 40, "SK2W6K"},
		{"either order", eng, plate, 40, "SK2W6K"},
		{"no row found: the more confident", plate, eng, 0, "SKW6K"},
		{"a logo is not filled", plate, []pos{ch("S", 95, 22), ch("K", 95, 61), hole("@", 98), ch("W", 95, 141), ch("6", 95, 178), ch("K", 95, 221)}, 40, "SKW6K"},
		{"as many characters: merged position by position", []pos{ch("0", 90, 20), ch("K", 90, 60), ch("C", 90, 100)}, []pos{hole("\\", 18), ch("K", 95, 62), ch("C", 95, 101), ch("S", 95, 140)}, 40, "KCS"},
		// A Slovak plate's last I, read "l" by the English model.
		{"at an end", []pos{ch("R", 90, 20), ch("K", 90, 60), ch("7", 90, 100), ch("7", 90, 140), ch("A", 90, 180), ch("I", 80, 215)},
			[]pos{ch("R", 95, 21), ch("K", 95, 61), ch("7", 95, 101), ch("7", 95, 139), ch("A", 95, 181), hole("l", 214)}, 40, "RK77AI"},
		{"a logo at an end is not filled", []pos{ch("R", 90, 20), ch("K", 90, 60), ch("7", 90, 100), ch("7", 90, 140), ch("A", 90, 180), ch("B", 80, 215)},
			[]pos{ch("R", 95, 21), ch("K", 95, 61), ch("7", 95, 101), ch("7", 95, 139), ch("A", 95, 181), hole("@", 214)}, 40, "RK77A"},
		{"too far to match", []pos{ch("A", 90, 20), ch("B", 90, 60), ch("C", 90, 300), ch("D", 90, 340)}, []pos{ch("A", 95, 20), hole("e", 200), ch("D", 95, 340)}, 40, "AD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := text(mergePositions(tt.a, tt.b, 0.35, tt.charH)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUnread(t *testing.T) {
	for text, want := range map[string]bool{"e": true, "/": true, "|": true, "Ж": true, "@": false, "*": false, "ee": false, "": false} {
		if got := unread(text); got != want {
			t.Errorf("unread(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestAlign(t *testing.T) {
	a := []pos{{x: 20}, {x: 60}, {x: 100}, {x: 140}}
	b := []pos{{x: 22}, {x: 98}, {x: 141}}
	got := align(a, b, 40)
	want := [][2]int{{0, 0}, {1, -1}, {2, 1}, {3, 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestDiscord: the share of the longer reading's characters that the other
// does not read alike at the same place (characters 40 pixels tall, one
// every 40).
func TestDiscord(t *testing.T) {
	row := func(text string, x0 int) []pos {
		var ps []pos
		for i, c := range text {
			ps = append(ps, pos{opts: []alt{{string(c), 90}}, x: x0 + 40*i})
		}
		return ps
	}
	for _, tt := range []struct {
		name string
		a, b []pos
		want float64
	}{
		{"alike", row("7ABC123", 20), row("7ABC123", 22), 0},
		{"one look-alike", row("YG9X2G", 20), row("YG9X26", 18), 1.0 / 6},
		{"one character short", row("SK2W6K", 20), append(row("SK", 20), row("W6K", 140)...), 1.0 / 6},
		{"garbage", row("5599H", 20), row("SAU", 30), 1},
		{"elsewhere", row("7244", 20), row("7244", 400), 1},
		{"one read nothing", row("MNHZ", 20), nil, 1},
		{"neither read", nil, nil, 0},
	} {
		if got := discord(tt.a, tt.b, 40); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestOffRow(t *testing.T) {
	// Characters 48 tall centred on y = 60.
	ss := []sym{
		{text: "A", box: [4]int{10, 36, 30, 84}, wordStart: true},
		{text: "X", box: [4]int{34, 50, 50, 70}},   // a sticker: 20 tall
		{text: "B", box: [4]int{54, 36, 74, 84}},   // starts no word
		{text: "C", box: [4]int{78, 60, 98, 110}},  // below the row
		{text: "K", box: [4]int{100, 75, 101, 78}}, // degenerate: kept
		{text: "1", box: [4]int{104, 34, 114, 86}},
	}
	var got []string
	for _, s := range offRow(ss, 48, 60) {
		got = append(got, s.text)
	}
	if g := strings.Join(got, ""); g != "ABK1" {
		t.Errorf("kept %q, want ABK1", g)
	}
	// A dropped symbol that started a word passes that on.
	ss = []sym{
		{text: "A", box: [4]int{10, 36, 30, 84}, wordStart: true},
		{text: "x", box: [4]int{34, 50, 50, 60}, wordStart: true},
		{text: "B", box: [4]int{54, 36, 74, 84}},
	}
	if out := offRow(ss, 48, 60); len(out) != 2 || !out[1].wordStart {
		t.Errorf("got %+v, want A and B, B starting a word", out)
	}
}

func TestUnderMarks(t *testing.T) {
	plate := []sym{
		{text: "6", box: [4]int{10, 36, 30, 84}},
		{text: "X", box: [4]int{34, 36, 60, 84}}, // under "@"
		{text: "K", box: [4]int{64, 36, 84, 84}},
		{text: "1", box: [4]int{90, 36, 100, 84}}, // under "|": kept
		{text: "2", box: [4]int{104, 36, 124, 84}},
	}
	eng := []sym{
		{text: "6", conf: 90, box: [4]int{10, 36, 30, 84}},
		{text: "@", conf: 86, box: [4]int{32, 32, 62, 88}},
		{text: "K", conf: 95, box: [4]int{64, 36, 84, 84}},
		{text: "|", conf: 98, box: [4]int{88, 36, 102, 84}},
		{text: "#", conf: 90, box: [4]int{30, 30, 130, 90}}, // a run's box
	}
	under := func(glyph func(sym) bool) string {
		ps, es := slices.Clone(plate), slices.Clone(eng)
		var got []string
		for _, s := range underMarks(ps, es, 48, glyph) {
			got = append(got, s.text)
		}
		for _, e := range es {
			if e.misread {
				got = append(got, "misread:"+e.text)
			}
		}
		return strings.Join(got, " ")
	}
	if g := under(nil); g != "6 K 1 2" {
		t.Errorf("kept %q, want 6 K 1 2", g)
	}
	// The glyph says the X is an X: it stays, and the "@" over it is a
	// misread X.
	isX := func(s sym) bool { return s.text == "X" }
	if g := under(isX); g != "6 X K 1 2 misread:@" {
		t.Errorf("with the glyph check, kept %q, want 6 X K 1 2 misread:@", g)
	}
}

// TestLeadingZero: English reads a Go Bold 0 before a letter as "@", and
// the plate model's 0 under it was dropped as a logo's (0XYZ555 read
// XYZ555); its glyph keeps it now.
func TestLeadingZero(t *testing.T) {
	r := openReader(t, Config{})
	for _, text := range []string{"0MKG920", "0XYZ555", "0PLT771"} {
		for _, w := range []int{200, 320} {
			rd, err := r.Read(plate(t, "us-ca", text, w, false, synth.GoBold))
			if err != nil {
				t.Fatal(err)
			}
			// O or 0: the plate syntax settles that.
			if got := strings.ReplaceAll(rd.Text, "O", "0"); got != text {
				t.Errorf("%s, %d px wide: read %q (raw %q)", text, w, rd.Text, rd.Raw)
			}
		}
	}
}

func TestRankAlso(t *testing.T) {
	p := func(opts ...alt) pos { return pos{opts: opts} }
	merged := []pos{p(alt{"A", 90}, alt{"4", 10}), p(alt{"B", 90}, alt{"8", 30})}
	other := []pos{p(alt{"A", 95}), p(alt{"1", 80}), p(alt{"B", 90})}
	rd := rank("raw", merged, 3, other)
	var texts []string
	for _, c := range rd.Candidates {
		texts = append(texts, c.Text)
	}
	// AB (90), then A1B (88.3) before A8 (60).
	if rd.Text != "AB" || strings.Join(texts, " ") != "AB A1B A8" {
		t.Errorf("Text %q, candidates %v", rd.Text, texts)
	}
}

func TestBetter(t *testing.T) {
	a := ocr.Reading{Text: "ABZ", Raw: "a", Confidence: 80, Candidates: []ocr.Candidate{{Text: "ABZ", Confidence: 80}, {Text: "AB2", Confidence: 70}}}
	b := ocr.Reading{Text: "AB2", Raw: "b", Confidence: 85, Candidates: []ocr.Candidate{{Text: "AB2", Confidence: 85}, {Text: "A82", Confidence: 60}}}
	got := better(a, b, 3)
	var texts []string
	for _, c := range got.Candidates {
		texts = append(texts, c.Text)
	}
	if got.Text != "AB2" || got.Confidence != 85 || got.Raw != "b || a" || strings.Join(texts, " ") != "AB2 ABZ A82" {
		t.Errorf("got %+v", got)
	}
	if got := better(ocr.Reading{}, ocr.Reading{}, 3); got.Text != "" || len(got.Candidates) != 0 {
		t.Errorf("two empty readings: %+v", got)
	}
}

func TestRankedConfidencesFall(t *testing.T) {
	rd := ranked(ocr.Reading{Text: "KAA20C", Confidence: 92.8, Candidates: []ocr.Candidate{
		{Text: "KAA20C", Confidence: 92.8}, {Text: "KAAZ0C", Confidence: 98.1}, {Text: "KAA200", Confidence: 94.8}, {Text: "K4AZ0C", Confidence: 90.5}}})
	want := []float64{92.8, 92.8, 92.8, 90.5}
	for i, c := range rd.Candidates {
		if c.Confidence != want[i] {
			t.Errorf("candidate %d %s: got %.1f, want %.1f", i, c.Text, c.Confidence, want[i])
		}
	}
	if rd.Candidates[1].Text != "KAAZ0C" {
		t.Errorf("order changed: %v", rd.Candidates)
	}
}

// fullChars counts the characters the last clean kept whole: its boxes
// of at least 0.8 of the characters' height.
func fullChars(p *prep) int {
	n := 0
	for _, b := range p.boxes {
		if b.h()*10 >= p.hm*8 {
			n++
		}
	}
	return n
}

// fillRect paints r of img with level v.
func fillRect(img *image.Gray, r image.Rectangle, v uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Pix[y*img.Stride+x] = v
		}
	}
}

// TestPrepareTouching checks that characters touching something as dark
// as they are (a graphic reaching into the row, a bar under the row) are
// kept, not dropped with what they touch.
func TestPrepareTouching(t *testing.T) {
	const text = "7ABC123"
	clean := plate(t, "us-ca", text, 240, false, synth.GoBold)
	var pr prep
	if !pr.prepare(clean, 48, 100, false) || !pr.found {
		t.Fatal("no row of characters on the clean plate")
	}
	if got := fullChars(&pr); got != len(text) {
		t.Fatalf("clean plate: %d characters, want %d", got, len(text))
	}
	boxes := append([]blob(nil), pr.boxes...)
	sort.Slice(boxes, func(i, j int) bool { return boxes[i].x0 < boxes[j].x0 })
	first, last := boxes[0], boxes[len(boxes)-1]
	h := first.h()
	cases := []struct {
		name  string
		paint func(img *image.Gray)
	}{
		{"graphic under the first character", func(img *image.Gray) {
			// A dark graphic left of the first character, from its lower
			// quarter down to the plate's bottom edge.
			fillRect(img, image.Rect(first.x0-first.w(), first.y1-h/4, first.x0+first.w()/2, img.Rect.Max.Y), 0)
		}},
		{"bar under the last two characters", func(img *image.Gray) {
			fillRect(img, image.Rect(boxes[len(boxes)-2].x0, last.y1-1, last.x1+1, last.y1+h/3), 0)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := plate(t, "us-ca", text, 240, false, synth.GoBold)
			c.paint(img)
			var pr prep
			if !pr.prepare(img, 48, 100, false) || !pr.found {
				t.Fatal("no row of characters found")
			}
			if pr.nrecovered == 0 {
				t.Error("got no recovered character, want at least one")
			}
			// Most of every character's ink is kept.
			cw := img.Rect.Dx()
			for i, b := range boxes {
				dark, kept := 0, 0
				for y := b.y0; y <= b.y1; y++ {
					for x := b.x0; x <= b.x1; x++ {
						if clean.Pix[y*clean.Stride+x] < 128 {
							dark++
							if pr.ink[y*cw+x] != 0 {
								kept++
							}
						}
					}
				}
				if kept*10 < dark*8 {
					t.Errorf("character %d (%c): got %d of its %d dark pixels kept, want 80 %%", i, text[i], kept, dark)
				}
			}
		})
	}
}

// TestBody checks that a plate with dark surroundings (a car, a shadow)
// is cut to its light body, and that a crop of the plate alone is left as
// it is.
func TestBody(t *testing.T) {
	const text = "7ABC123"
	pl := plate(t, "us-ca", text, 200, false, synth.GoBold)
	pw, ph := pl.Rect.Dx(), pl.Rect.Dy()
	// The plate in a dark surround, as a detector's loose box holds it.
	img := image.NewGray(image.Rect(0, 0, pw+pw/4, ph+ph/2))
	fillRect(img, img.Rect, 30)
	off := image.Pt(pw/8, ph/4)
	body := image.Rectangle{off, off.Add(image.Pt(pw, ph))}
	for y := 0; y < ph; y++ {
		copy(img.Pix[(y+off.Y)*img.Stride+off.X:], pl.Pix[y*pl.Stride:y*pl.Stride+pw])
	}
	for _, c := range []struct {
		name string
		img  *image.Gray
		body image.Rectangle // where the pixels are kept
	}{
		{"dark surround", img, body},
		{"plate alone", pl, pl.Rect},
	} {
		t.Run(c.name, func(t *testing.T) {
			cw, ch := c.img.Rect.Dx(), c.img.Rect.Dy()
			p := prep{src: append([]uint8(nil), c.img.Pix...)}
			p.body(cw, ch)
			for y := 0; y < ch; y++ {
				for x := 0; x < cw; x++ {
					got, was := p.src[y*cw+x], c.img.Pix[y*cw+x]
					want := uint8(255)
					if image.Pt(x, y).In(c.body) {
						want = was
					}
					if got != want {
						t.Fatalf("pixel (%d,%d): got %d, want %d", x, y, got, want)
					}
				}
			}
		})
	}
	// And the plate's characters are all found in it.
	var pr prep
	if !pr.prepare(img, 48, 100, false) || !pr.found {
		t.Fatal("no row of characters found")
	}
	if got := fullChars(&pr); got != len(text) {
		t.Errorf("got %d characters, want %d", got, len(text))
	}
}

func TestAutoWide(t *testing.T) {
	for _, c := range []struct{ aspect, want int }{
		{0, 100},          // unknown: as is
		{bookAspect, 100}, // already as wide as a book font
		{900, 100},        // wider: never narrowed
		{bookAspect / 2, maxWide},
		{500, 130},
	} {
		if got := autoWide(c.aspect); got != c.want {
			t.Errorf("autoWide(%d): got %d, want %d", c.aspect, got, c.want)
		}
	}
}

// TestCharAspect checks that the measured aspect of the characters
// follows the plate's: the same plate stretched 1.5 times measures about
// 1.5 times as wide, and is widened less for the English model.
func TestCharAspect(t *testing.T) {
	img := plate(t, "us-ca", "7ABC123", 200, false, synth.GoBold)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	wide := image.NewGray(image.Rect(0, 0, w*3/2, h))
	resample(img.Pix, img.Stride, img.Rect, wide.Pix, wide.Stride, wide.Rect)
	var p1, p2 prep
	if !p1.prepare(img, 48, 0, false) || !p2.prepare(wide, 48, 0, false) || !p1.found || !p2.found {
		t.Fatal("no row of characters found")
	}
	if p1.aspect < 300 || p1.aspect > 1000 {
		t.Fatalf("aspect %d, want a character's (300..1000)", p1.aspect)
	}
	if r := float64(p2.aspect) / float64(p1.aspect); r < 1.35 || r > 1.65 {
		t.Errorf("stretched 1.5 times: aspect %d, was %d (ratio %.2f), want a ratio of about 1.5", p2.aspect, p1.aspect, r)
	}
	if p1.wide != autoWide(p1.aspect) || p2.wide > p1.wide {
		t.Errorf("widened %d%% and, stretched, %d%%; want %d%% and no more", p1.wide, p2.wide, autoWide(p1.aspect))
	}
	// The plate model's layout, as wide as the crop, after the English
	// model's.
	p1.layout(48, 100, false)
	if p1.wide != 100 {
		t.Errorf("relayout: wide %d, want 100", p1.wide)
	}
}

func TestMapX(t *testing.T) {
	from := [][2]int{{10, 20}, {30, 40}}
	to := [][2]int{{10, 25}, {35, 50}}
	for _, c := range []struct{ x, want int }{
		{5, 5},   // left margin: same distance to the first column
		{10, 10}, // first column's edge
		{16, 19}, // inside the first column, scaled 1.5 times
		{22, 27}, // gap: distance to the previous column's edge
		{30, 35},
		{45, 55}, // right margin
	} {
		if got := mapX(c.x, from, to); got != c.want {
			t.Errorf("mapX(%d): got %d, want %d", c.x, got, c.want)
		}
	}
	if got := mapX(7, from, nil); got != 7 {
		t.Errorf("mapX without columns: got %d, want 7", got)
	}
}

// BenchmarkPrepare measures the preparation of a crop alone (no
// Tesseract): stretch, plate body, clean-up with recovery, layout.
func BenchmarkPrepare(b *testing.B) {
	img := soften(plate(b, "us-ca", "7ABC123", 200, false, synth.GoBold), 3, 1)
	var p prep
	b.ReportAllocs()
	for b.Loop() {
		if !p.prepare(img, 48, 0, false) {
			b.Fatal("prepare refused a plate")
		}
	}
}

// TestRowTilted: a row of seven characters tilted by 4 pixels per
// character of 30 (about 14 degrees) is kept whole, though its ends lie
// further from its middle character's line than sameRow allows.
func TestRowTilted(t *testing.T) {
	const cw, ch = 160, 70
	var p prep
	p.src = make([]uint8, cw*ch)
	for i := range p.src {
		p.src[i] = 255
	}
	for k := range 7 {
		x0, y0 := 10+k*20, 8+k*4
		for y := y0; y < y0+30; y++ {
			for x := x0; x < x0+10; x++ {
				p.src[y*cw+x] = 0
			}
		}
	}
	if got := sameRow(blob{x0: 70, y0: 20, x1: 79, y1: 49}, blob{x0: 10, y0: 8, x1: 19, y1: 37}); got {
		t.Fatalf("sameRow of the middle and first characters: got true, want false (the test needs a tilt sameRow does not take)")
	}
	keep, score := p.row(cw, ch, 128)
	if len(keep) != 7 || score != 7*30 {
		t.Errorf("got %d characters kept (score %d), want 7 (score %d)", len(keep), score, 7*30)
	}
}

// TestSameShape: a lower-case letter shaped like its capital is read as
// that capital; another is dropped.
func TestSameShape(t *testing.T) {
	pg := pageOf([]sym{{text: "w", conf: 90}, {text: "x", conf: 90}, {text: "y", conf: 90}, {text: "e", conf: 90}})
	var got string
	for _, p := range pg.positions(allowedSet(DefaultWhitelist), 5) {
		got += p.opts[0].text
	}
	if got != "WXY" {
		t.Errorf("got %s, want WXY", got)
	}
}

// TestBandSmear: a character joined, by a smear along the bottom of the
// row, to a character already kept and beyond is recovered on its own:
// the columns of the smeared piece that no kept character covers.
func TestBandSmear(t *testing.T) {
	const cw, ch, y0, h = 120, 60, 10, 40
	img := image.NewGray(image.Rect(0, 0, cw, ch))
	fillRect(img, img.Rect, 255)
	fillRect(img, image.Rect(20, y0, 26, y0+h), 0)     // an L's stem
	fillRect(img, image.Rect(20, y0+h-6, 40, y0+h), 0) // and foot
	fillRect(img, image.Rect(50, y0, 57, y0+h-4), 0)   // an I, kept
	fillRect(img, image.Rect(40, y0+h-4, 80, y0+h), 0) // the smear, under the I and on
	var p prep
	p.src = slices.Clone(img.Pix)
	p.label(cw, ch, 128)
	p.ink = make([]uint8, cw*ch)
	kept := blob{x0: 50, y0: y0, x1: 56, y1: y0 + h - 5}
	for y := kept.y0; y <= kept.y1; y++ {
		for x := kept.x0; x <= kept.x1; x++ {
			p.ink[y*cw+x] = 1
		}
	}
	p.boxes = []blob{kept}
	p.band(cw, ch, blob{y0: y0, y1: y0 + h - 1}, 20, 100)
	if len(p.boxes) != 2 {
		t.Fatalf("got boxes %+v, want the I's and the L's", p.boxes)
	}
	if b := p.boxes[1]; b.x0 != 20 || b.x1 < 39 || b.x1 > 48 || b.h() < h*8/10 {
		t.Errorf("got the L's box %+v, want columns 20 to 39 (and the smear up to the I), %d rows", b, h)
	}
	for y := y0; y < y0+h; y++ {
		if p.ink[y*cw+22] == 0 {
			t.Fatalf("the L's stem is not kept at row %d", y)
		}
	}
}
