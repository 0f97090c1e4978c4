package tess

import (
	"bytes"
	"fmt"
	"image"
	"strings"
	"testing"

	"alprd/tools/platesynth/synth"
)

// hocrSample is the shape of Tesseract 5's hOCR with hocr_char_boxes=1 and
// lstm_choice_mode=2 for a single line (abridged).
const hocrSample = `  <div class='ocr_page' id='page_1' title='image ""; bbox 0 0 240 120; ppageno 0; scan_res 300 300'>
   <div class='ocr_carea' id='block_1_1' title="bbox 31 11 209 94">
    <p class='ocr_par' id='par_1_1' lang='eng' title="bbox 31 11 209 94">
     <span class='ocr_line' id='line_1_1' title="bbox 31 11 209 94; baseline 0.011 -2; x_size 107.5">
      <span class='ocrx_word' id='word_1_1' title='bbox 31 11 120 94; x_wconf 75'>
       <span class='ocrx_cinfo' title='x_bboxes 31 38 48 92; x_conf 97.5'>7</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_1_1'>
         <span class='ocrx_cinfo' id='choice_1_1_1' title='x_confs 96.9'>7</span>
         <span class='ocrx_cinfo' id='choice_1_1_2' title='x_confs 71.2'>T</span>
         <span class='ocrx_cinfo' id='choice_1_1_3' title='x_confs 2'>Z</span>
        </span>
       <span class='ocrx_cinfo' title='x_bboxes 53 11 79 92; x_conf 90'>/</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_1_2'>
         <span class='ocrx_cinfo' id='choice_1_1_4' title='x_confs 88'>/</span>
         <span class='ocrx_cinfo' id='choice_1_1_5' title='x_confs 80'>1</span>
        </span>
       <span class='ocrx_cinfo' title='x_bboxes 80 11 90 92; x_conf 95'>o</span>
       <span class='ocrx_cinfo' title='x_bboxes 91 11 95 92; x_conf 60'>&amp;</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_1_3'>
         <span class='ocrx_cinfo' id='choice_1_1_6' title='x_confs 60'>&amp;</span>
         <span class='ocrx_cinfo' id='choice_1_1_7' title='x_confs 10'>8</span>
        </span>
      </span>
      <span class='ocrx_word' id='word_1_2' title='bbox 130 11 209 94; x_wconf 90'>
       <span class='ocrx_cinfo' title='x_bboxes 130 11 160 92; x_conf 99'>B</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_2_1'>
         <span class='ocrx_cinfo' id='choice_1_2_1' title='x_confs 98'>B</span>
         <span class='ocrx_cinfo' id='choice_1_2_2' title='x_confs 40'>8</span>
        </span>
      </span>
     </span>
    </p>
   </div>
  </div>
`

func TestParseHOCR(t *testing.T) {
	pg, err := parseHOCR(hocrSample)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(pg.words, " "), "7/o& B"; got != want {
		t.Errorf("words %q, want %q", got, want)
	}
	if fmt.Sprint(pg.wconf) != "[75 90]" {
		t.Errorf("word confidences %v, want [75 90]", pg.wconf)
	}
	if len(pg.syms) != 5 {
		t.Fatalf("%d symbols, want 5: %+v", len(pg.syms), pg.syms)
	}
	s0 := pg.syms[0]
	if s0.text != "7" || s0.conf != 97.5 || len(s0.alts) != 2 || s0.alts[0] != (alt{"T", 71.2}) {
		t.Errorf("symbol 0 = %+v, want 7 (97.5) with alternatives T, Z", s0)
	}
	if pg.syms[3].text != "&" {
		t.Errorf("entity not decoded: %q", pg.syms[3].text)
	}
	if _, err := parseHOCR(""); err != nil {
		t.Errorf("empty hOCR: %v", err)
	}
}

func TestReading(t *testing.T) {
	pg, err := parseHOCR(hocrSample)
	if err != nil {
		t.Fatal(err)
	}
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
			pgm := pr.encodePGM()
			if !bytes.HasPrefix(pgm, []byte(fmt.Sprintf("P5\n%d %d\n255\n", out.Rect.Dx(), out.Rect.Dy()))) || len(pgm) < out.Rect.Dx()*out.Rect.Dy() {
				t.Errorf("bad PGM header %q", pgm[:16])
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
	if c.Language != "eng" || c.Whitelist != DefaultWhitelist || c.CharHeight != 48 || c.MaxCandidates != 10 || c.MinAltConfidence != 5 {
		t.Errorf("defaults: %+v", c)
	}
}
