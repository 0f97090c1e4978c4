package synth

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOCRCheck is a development aid, not a unit test: it writes flat plates
// (on white) and plate crops of 120+ px wide plates from frames with the
// default effects as PNG files, runs the tesseract CLI on each (--psm 7,
// A-Z0-9 whitelist) and logs how many read exactly. It runs only when
// PLATESYNTH_OCR names an output directory:
//
//	PLATESYNTH_OCR=/tmp/platesynth go test -run TestOCRCheck -v ./tools/platesynth/synth
func TestOCRCheck(t *testing.T) {
	dir := os.Getenv("PLATESYNTH_OCR")
	if dir == "" {
		t.Skip("PLATESYNTH_OCR not set")
	}
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("no tesseract in PATH")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Seed = 7
	g, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}

	// Flat plates, day and IR, at a few widths.
	var flat, flatOK int
	for i := 0; i < 10; i++ {
		f := &formats[i%len(formats)]
		text := f.randomText(g.sampleRand(1000 + i))
		for _, w := range []int{120, 240} {
			img, err := RenderPlate(f.ID, text, w, i%4 == 3)
			if err != nil {
				t.Fatal(err)
			}
			on := image.NewRGBA(img.Bounds())
			draw.Draw(on, on.Bounds(), image.White, image.Point{}, draw.Src)
			draw.Draw(on, on.Bounds(), img, image.Point{}, draw.Over)
			got := tesseract(t, filepath.Join(dir, fmt.Sprintf("flat-%s-%s-%d.png", f.ID, text, w)), on)
			flat++
			if got == text {
				flatOK++
			} else {
				t.Logf("flat %s %d px: got %q, want %q", f.ID, w, got, text)
			}
		}
	}
	t.Logf("flat plates: %d/%d read exactly", flatOK, flat)

	// Crops from frames with default effects.
	// A few whole frames, with the ground-truth box outlined in green.
	fg, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		s := fg.Next()
		b := s.Box
		for x := b.Min.X; x < b.Max.X; x++ {
			s.Frame.Set(x, b.Min.Y, color.RGBA{0, 255, 0, 255})
			s.Frame.Set(x, b.Max.Y-1, color.RGBA{0, 255, 0, 255})
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			s.Frame.Set(b.Min.X, y, color.RGBA{0, 255, 0, 255})
			s.Frame.Set(b.Max.X-1, y, color.RGBA{0, 255, 0, 255})
		}
		tesseract(t, filepath.Join(dir, "frame-"+strings.TrimSuffix(s.Name, ".jpg")+".png"), s.Frame)
	}

	// Crops are the plate box plus 6% on each side, like ocr/detect's.
	var crops, cropsOK int
	for crops < 20 {
		s := g.Next()
		if s.Box.Dx() < 120 {
			continue
		}
		crops++
		mx, my := s.Box.Dx()*6/100, s.Box.Dy()*6/100
		crop := s.Frame.SubImage(image.Rect(s.Box.Min.X-mx, s.Box.Min.Y-my, s.Box.Max.X+mx, s.Box.Max.Y+my))
		got := tesseract(t, filepath.Join(dir, "crop-"+strings.TrimSuffix(s.Name, ".jpg")+".png"), crop)
		if got == s.Plate {
			cropsOK++
		} else {
			t.Logf("crop %s (%s, %d px, ir=%v): got %q, want %q", s.Name, s.Format, s.Box.Dx(), s.IR, got, s.Plate)
		}
	}
	t.Logf("frame crops (plates 120+ px, default effects): %d/%d read exactly", cropsOK, crops)
}

// tesseract writes img to name and returns Tesseract's reading, spaces removed.
func tesseract(t *testing.T, name string, img image.Image) string {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tesseract", name, "-", "--psm", "7", "-c",
		"tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789").Output()
	if err != nil {
		t.Fatalf("tesseract %s: %v", name, err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}
