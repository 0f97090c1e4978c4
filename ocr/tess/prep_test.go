package tess

import (
	"fmt"
	"image"
	"strings"
	"testing"

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
			if !pr.prepare(img, 48, false) {
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
	if pr.prepare(flat(100, 50, 128), 48, false) {
		t.Error("flat crop accepted")
	}
	if pr.prepare(image.NewGray(image.Rect(0, 0, 5, 100)), 48, false) {
		t.Error("tiny crop accepted")
	}
	// Binarised output has two levels only.
	if !pr.prepare(dark, 48, true) {
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
	got := mergePositions(a, b)
	want := []pos{p(alt{"2", 65}, alt{"Z", 35}), p(alt{"A", 80}, alt{"4", 10})}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("same length: got %v, want %v", got, want)
	}
	// Different lengths: the more confident reading, whole.
	c := []pos{p(alt{"L", 30}), p(alt{"2", 40}), p(alt{"A", 50})}
	if got := mergePositions(a, c); fmt.Sprint(got) != fmt.Sprint(a) {
		t.Errorf("different lengths: got %v, want %v", got, a)
	}
	if got := mergePositions(c, b); fmt.Sprint(got) != fmt.Sprint(b) {
		t.Errorf("different lengths: got %v, want %v", got, b)
	}
	if got := mergePositions(nil, b); fmt.Sprint(got) != fmt.Sprint(b) {
		t.Errorf("one empty: got %v, want %v", got, b)
	}
}
