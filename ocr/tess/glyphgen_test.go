package tess

import (
	"bytes"
	"image"
	"os"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// glyphFonts are the typefaces of the glyph templates after Go Mono Bold
// (which the Go module carries): monospaced, so that W and M are as narrow
// as on a US plate. make glyph-templates installs them.
var glyphFonts = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
	"/usr/share/fonts/opentype/b612/B612Mono-Bold.otf",
}

// renderTemplates draws the glyphLetters in the font (an
// OpenType or TrueType file) and returns their records for glyphTemplates:
// the letter, then its ink box scaled to glyphW x glyphH cells.
func renderTemplates(tb testing.TB, data []byte) []byte {
	tb.Helper()
	face := openFace(tb, data, 100)
	defer face.Close()
	var out []byte
	for _, c := range []byte(glyphLetters) {
		a := image.NewAlpha(image.Rect(0, 0, 200, 160))
		d := &font.Drawer{Dst: a, Src: image.Opaque, Face: face, Dot: fixed.P(20, 120)}
		d.DrawString(string(c))
		v := cells(a.Pix, a.Stride, inkBox(a), false)
		out = append(out, c)
		for _, x := range v {
			out = append(out, uint8(x*255+0.5))
		}
	}
	return out
}

// openFace opens the font data (OpenType or TrueType) at size points of
// 72 DPI, unhinted.
func openFace(tb testing.TB, data []byte, size float64) font.Face {
	tb.Helper()
	f, err := opentype.Parse(data)
	if err != nil {
		tb.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		tb.Fatal(err)
	}
	return face
}

// TestGlyphTemplates checks that the templates built into the package
// start with Go Mono Bold's, as renderTemplates draws them now, and hold
// every character of glyphLetters in each of the 1+len(glyphFonts) faces.
// With ALPRD_GLYPHS_OUT=FILE it writes the templates to FILE instead (make
// glyph-templates; the fonts must be installed).
func TestGlyphTemplates(t *testing.T) {
	all := renderTemplates(t, gomonobold.TTF)
	if out := os.Getenv("ALPRD_GLYPHS_OUT"); out != "" {
		for _, p := range glyphFonts {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (make glyph-templates installs the fonts)", err)
			}
			all = append(all, renderTemplates(t, data)...)
		}
		if err := os.WriteFile(out, all, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d templates", out, len(all)/(1+glyphW*glyphH))
		return
	}
	if !bytes.HasPrefix(glyphTemplates, all) {
		t.Errorf("model/glyphs.bin does not start with Go Mono Bold's templates as drawn now: run make glyph-templates")
	}
	want := (1 + len(glyphFonts)) * len(glyphLetters)
	if len(templates) != want {
		t.Fatalf("got %d templates, want %d", len(templates), want)
	}
	for i, tm := range templates {
		if c := glyphLetters[i%len(glyphLetters)]; tm.letter != c {
			t.Errorf("template %d: got letter %q, want %q", i, tm.letter, c)
		}
	}
}
