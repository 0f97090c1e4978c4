package detect

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"alprd/ocr"
	"alprd/tools/platesynth/synth"
)

// options are the synthesizer's default options (default effects) for a
// w x h day or IR frame with one plate whose box is plateW pixels wide.
func options(w, h, plateW int, ir bool, seed uint64) synth.Options {
	o := synth.DefaultOptions()
	o.Seed = seed
	o.Width, o.Height = w, h
	o.MinPlateWidth, o.MaxPlateWidth = plateW, plateW
	o.IR = 0
	if ir {
		o.IR = 1
	}
	return o
}

// frame synthesizes the first frame for o and returns its luma plane and
// ground truth.
func frame(t testing.TB, o synth.Options) (*image.Gray, synth.Sample) {
	t.Helper()
	g, err := synth.New(o)
	if err != nil {
		t.Fatalf("synth.New: %v", err)
	}
	s := g.Next()
	return synth.Gray(s.Frame), s
}

// bestMatch returns the rank and IoU of the region that best matches truth.
func bestMatch(rs []ocr.Region, truth image.Rectangle) (int, float64) {
	rank, best := -1, 0.0
	for i, r := range rs {
		if v := iou(r.Box, truth); v > best {
			rank, best = i, v
		}
	}
	return rank, best
}

// dump writes img with the regions drawn on it when DETECT_OUT names a
// directory (for looking at the detector by hand).
func dump(t *testing.T, name string, img *image.Gray, rs []ocr.Region) {
	dir := os.Getenv("DETECT_OUT")
	if dir == "" {
		return
	}
	c := image.NewGray(img.Rect)
	copy(c.Pix, img.Pix)
	for i, r := range rs {
		v := uint8(255)
		if i > 0 {
			v = 0
		}
		b, ink := r.Box, image.NewUniform(color.Gray{v})
		for _, e := range []image.Rectangle{
			image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+1), image.Rect(b.Min.X, b.Max.Y-1, b.Max.X, b.Max.Y),
			image.Rect(b.Min.X, b.Min.Y, b.Min.X+1, b.Max.Y), image.Rect(b.Max.X-1, b.Min.Y, b.Max.X, b.Max.Y),
		} {
			draw.Draw(c, e, ink, image.Point{}, draw.Src)
		}
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, c); err != nil {
		t.Fatal(err)
	}
}

func TestDetectDayAndIR(t *testing.T) {
	d := New(Options{})
	widths := []int{80, 120, 160, 220, 300}
	for i, w := range widths {
		for _, kind := range []string{"day", "ir"} {
			name := fmt.Sprintf("%s-%d", kind, w)
			t.Run(name, func(t *testing.T) {
				seed := uint64(30 + i)
				if kind == "ir" {
					seed = uint64(20 + i)
				}
				img, s := frame(t, options(1280, 720, w, kind == "ir", seed))
				rs := d.Detect(img)
				dump(t, name, img, rs)
				rank, v := bestMatch(rs, s.Box)
				t.Logf("truth %v (%s %s): rank %d IoU %.2f of %d regions", s.Box, s.Format, s.Plate, rank, v, len(rs))
				for j, r := range rs {
					t.Logf("  %d %v score %.2f iou %.2f", j, r.Box, r.Score, iou(r.Box, s.Box))
				}
				// The burnt-in timestamp and bumper stickers (text
				// that is not a plate) rank below the plate.
				if rank != 0 || v < 0.5 {
					t.Errorf("plate %v not the best region (rank %d, IoU %.2f)", s.Box, rank, v)
				} else if rs[rank].Score < 0.5 {
					t.Errorf("plate region score %.2f, want >= 0.5", rs[rank].Score)
				}
				checkRegions(t, img, rs)
			})
		}
	}
}

// checkRegions checks the invariants of Detect's result.
func checkRegions(t *testing.T, img *image.Gray, rs []ocr.Region) {
	t.Helper()
	for i, r := range rs {
		if !r.Box.In(img.Rect) || r.Box.Empty() {
			t.Errorf("region %d box %v outside frame %v", i, r.Box, img.Rect)
		}
		if r.Score < 0 || r.Score > 1 {
			t.Errorf("region %d score %v out of 0..1", i, r.Score)
		}
		if i > 0 && r.Score > rs[i-1].Score {
			t.Errorf("regions not sorted by score")
		}
		q := r.Quad
		if q[0] != r.Box.Min || q[2] != r.Box.Max || q[1] != image.Pt(r.Box.Max.X, r.Box.Min.Y) || q[3] != image.Pt(r.Box.Min.X, r.Box.Max.Y) {
			t.Errorf("region %d quad %v does not match box %v", i, q, r.Box)
		}
	}
}

func TestDetectFlatAndEmpty(t *testing.T) {
	d := New(Options{})
	for _, v := range []uint8{0, 128, 255} {
		if rs := d.Detect(synth.Flat(1280, 720, v)); len(rs) != 0 {
			t.Errorf("flat %d: %d regions, want none: %+v", v, len(rs), rs)
		}
	}
	if rs := d.Detect(nil); rs != nil {
		t.Errorf("nil image: %v", rs)
	}
	if rs := d.Detect(image.NewGray(image.Rect(0, 0, 4, 4))); rs != nil {
		t.Errorf("tiny image: %v", rs)
	}
	if rs := d.Detect(image.NewGray(image.Rect(0, 0, 0, 0))); rs != nil {
		t.Errorf("empty image: %v", rs)
	}
}

// Odd frame sizes (tiny, thin, wide, not a multiple of anything) neither
// panic nor give regions outside the frame.
func TestDetectOddSizes(t *testing.T) {
	d := New(Options{})
	for i, sz := range []image.Point{{16, 8}, {17, 9}, {63, 65}, {100, 30}, {33, 500}, {2000, 40}, {641, 359}, {1281, 721}} {
		for _, img := range []*image.Gray{synth.Noise(sz.X, sz.Y, uint64(i)), synth.Flat(sz.X, sz.Y, 200)} {
			checkRegions(t, img, d.Detect(img))
		}
	}
	img, _ := frame(t, options(641, 479, 80, false, 9))
	checkRegions(t, img, d.Detect(img))
}

func TestDetectNoise(t *testing.T) {
	d := New(Options{})
	for seed := uint64(1); seed <= 3; seed++ {
		img := synth.Noise(1280, 720, seed)
		rs := d.Detect(img)
		dump(t, fmt.Sprintf("noise-%d", seed), img, rs)
		checkRegions(t, img, rs)
		if len(rs) > 2 {
			t.Errorf("noise %d: %d regions, want at most 2", seed, len(rs))
		}
		for _, r := range rs {
			if r.Score > 0.5 {
				t.Errorf("noise %d: region %v score %.2f, want <= 0.5", seed, r.Box, r.Score)
			}
		}
	}
}

// A frame that is a sub-image (non-zero origin, stride wider than the
// width) gives the same boxes, shifted.
func TestDetectSubImage(t *testing.T) {
	d := New(Options{})
	img, _ := frame(t, options(1280, 720, 160, true, 7))
	big := image.NewGray(image.Rect(-50, -30, 1400, 800))
	draw.Draw(big, img.Rect.Add(image.Pt(100, 60)), img, image.Point{}, draw.Src)
	sub := big.SubImage(image.Rect(100, 60, 1380, 780)).(*image.Gray)
	a := d.Detect(img)
	b := d.Detect(sub)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("regions: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Box.Add(image.Pt(100, 60)) != b[i].Box {
			t.Errorf("region %d: %v vs %v", i, a[i].Box, b[i].Box)
		}
	}
	checkRegions(t, sub, b)
}

// Small frames (below WorkWidth) and large ones (factor 3) work too.
func TestDetectFrameSizes(t *testing.T) {
	d := New(Options{})
	for _, sz := range []image.Point{{640, 480}, {1920, 1080}, {2592, 1944}} {
		img, s := frame(t, options(sz.X, sz.Y, sz.X/8, true, 3))
		rs := d.Detect(img)
		rank, v := bestMatch(rs, s.Box)
		if rank != 0 || v < 0.5 {
			t.Errorf("%v: plate %v rank %d IoU %.2f in %+v", sz, s.Box, rank, v, rs)
		}
	}
}

// On clean plates (no blur, noise, glare or perspective) the best region is
// the plate, tightly: its box is the plate's grown by the default margin
// (IoU 0.8 when exact), not the plate with its recess or bumper.
func TestDetectTightBoxes(t *testing.T) {
	d := New(Options{})
	for i, w := range []int{90, 120, 160, 200, 260} {
		for _, ir := range []bool{false, true} {
			o := options(1280, 720, w, ir, uint64(40+i))
			o.Blur, o.Noise, o.Glare, o.Perspective = 0, 0, 0, 0
			img, s := frame(t, o)
			rs := d.Detect(img)
			if len(rs) == 0 {
				t.Errorf("w %d ir %v: no region, want the plate %v", w, ir, s.Box)
				continue
			}
			if v := iou(rs[0].Box, s.Box); v < 0.6 {
				t.Errorf("w %d ir %v: best region %v has IoU %.2f with the plate %v, want >= 0.6", w, ir, rs[0].Box, v, s.Box)
			}
		}
	}
}

// Text that is not a plate ranks below the plate: the burnt-in timestamp
// (top left, bright with a shadow) and the bumper stickers of the
// synthesizer's frames, by day and in IR.
func TestDetectTimestampAndStickersBelowPlate(t *testing.T) {
	d := New(Options{})
	found := 0
	const n = 24
	for seed := uint64(1); seed <= n; seed++ {
		ir := seed%3 == 0
		img, s := frame(t, options(1280, 720, []int{90, 120, 160, 220}[seed%4], ir, 100+seed))
		rs := d.Detect(img)
		checkRegions(t, img, rs)
		rank, v := bestMatch(rs, s.Box)
		if rank < 0 || v < 0.5 {
			t.Logf("seed %d: plate %v not found", seed, s.Box)
			continue
		}
		found++
		if rank != 0 {
			t.Errorf("seed %d (ir %v): plate %v at rank %d, below %v", seed, ir, s.Box, rank, rs[:rank])
		}
	}
	if found < n-1 {
		t.Errorf("plate found in %d of %d frames, want %d at least", found, n, n-1)
	}
}

// Lines of print that are not plates (signs, stickers, a timestamp in the
// middle of the frame), as tall as a plate's characters or a little less,
// rank below the plate.
func TestDetectSignsBelowPlate(t *testing.T) {
	type sign struct {
		text   string
		capH   float64 // the characters' height, pixels
		at     image.Point
		plateW int
		seed   uint64
	}
	var signs []sign
	texts := []string{"NO PARKING", "BABY ON BOARD", "HONK IF YOU LOVE CATS", "STUDENT DRIVER", "2026-06-16 06:46:42", "ONE WAY ONLY"}
	corners := []image.Point{{40, 150}, {700, 130}, {60, 540}, {720, 560}}
	for i, text := range texts {
		for k, rel := range []float64{0.45, 0.6} {
			w := []int{110, 150, 190}[(i+k)%3]
			signs = append(signs, sign{text, rel * float64(w) / 2, corners[(i+k)%4], w, uint64(60 + 2*i + k)})
		}
	}
	// Characters at the edge of two pyramid levels' ranges: the line is
	// found as two rows, one on each level.
	signs = append(signs, sign{"BABY ON BOARD", 26, image.Pt(40, 560), 100, 28})

	d := New(Options{})
	for _, sg := range signs {
		img, s := frame(t, options(1280, 720, sg.plateW, false, sg.seed))
		// Clear of the plate: in another corner if need be.
		r := textRect(t, sg.text, sg.capH, sg.at)
		for q := 1; q < 4 && (r.Inset(-20).Overlaps(s.Box) || !r.In(img.Rect)); q++ {
			r = textRect(t, sg.text, sg.capH, corners[q])
		}
		if r.Inset(-20).Overlaps(s.Box) || !r.In(img.Rect) {
			t.Fatalf("no room for %q in the frame with the plate %v", sg.text, s.Box)
		}
		pasteText(t, img, sg.text, sg.capH, r.Min)
		rs := d.Detect(img)
		rank, v := bestMatch(rs, s.Box)
		if rank == 0 && v >= 0.5 {
			continue
		}
		for j, reg := range rs {
			if reg.Box.Overlaps(r) && (rank < 0 || j < rank) {
				t.Errorf("%q (%v): region %v at rank %d, the plate %v at rank %d (IoU %.2f)", sg.text, r, reg.Box, j, s.Box, rank, v)
				break
			}
		}
	}
}

// pasteText prints text in dark grey on a light rectangle (textRect) with
// its top left corner at at, characters capH pixels tall.
func pasteText(t *testing.T, img *image.Gray, text string, capH float64, at image.Point) {
	t.Helper()
	dr := font.Drawer{Dst: img, Src: image.NewUniform(color.Gray{30}), Face: boldFace(t, capH)}
	r := textRect(t, text, capH, at).Intersect(img.Rect)
	draw.Draw(img, r, image.NewUniform(color.Gray{230}), image.Point{}, draw.Src)
	pad := int(capH / 2)
	dr.Dot = fixed.P(at.X+pad, at.Y+pad+int(capH))
	dr.DrawString(text)
}

// textRect is the rectangle pasteText paints.
func textRect(t *testing.T, text string, capH float64, at image.Point) image.Rectangle {
	dr := font.Drawer{Face: boldFace(t, capH)}
	pad := int(capH / 2)
	return image.Rect(at.X, at.Y, at.X+dr.MeasureString(text).Ceil()+2*pad, at.Y+int(capH)+2*pad)
}

// boldFace is Go Bold with capitals capH pixels tall.
func boldFace(t *testing.T, capH float64) font.Face {
	t.Helper()
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: capH / 0.72, DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	return face
}

func TestOptions(t *testing.T) {
	o := New(Options{}).Options()
	if o.MaxRegions != 8 || o.MinWidth != 60 || o.MinAspect != 1.5 || o.MaxAspect != 6 || o.WorkWidth != 640 || o.MinScore != 0.15 || o.Margin != 0.06 {
		t.Errorf("defaults: %+v", o)
	}
	if o := New(Options{Margin: -1}).Options(); o.Margin != 0 {
		t.Errorf("negative margin: %v", o.Margin)
	}
	// MaxRegions caps the result.
	d := New(Options{MaxRegions: 1})
	img, _ := frame(t, options(1280, 720, 160, false, 5))
	if rs := d.Detect(img); len(rs) != 1 {
		t.Errorf("MaxRegions 1: %d regions", len(rs))
	}
}

// Detect is safe for concurrent use (run with -race).
func TestDetectConcurrent(t *testing.T) {
	d := New(Options{})
	ir1, _ := frame(t, options(1280, 720, 160, true, 1))
	day, _ := frame(t, options(1280, 720, 160, false, 2))
	ir2, _ := frame(t, options(1920, 1080, 160, true, 3))
	frames := []*image.Gray{ir1, day, ir2}
	want := make([][]ocr.Region, len(frames))
	for i, f := range frames {
		want[i] = d.Detect(f)
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func(g int) {
			var err error
			for k := 0; k < 6; k++ {
				i := (g + k) % len(frames)
				got := d.Detect(frames[i])
				if fmt.Sprint(got) != fmt.Sprint(want[i]) {
					err = fmt.Errorf("frame %d: %v, want %v", i, got, want[i])
				}
			}
			done <- err
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func benchDetect(b *testing.B, w, h int) {
	d := New(Options{})
	img, _ := frame(b, options(w, h, w/8, false, 1))
	d.Detect(img)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Detect(img)
	}
}

func BenchmarkDetect1280x720(b *testing.B)  { benchDetect(b, 1280, 720) }
func BenchmarkDetect1920x1080(b *testing.B) { benchDetect(b, 1920, 1080) }

// TestDetectInShadow: a plate in deep shadow or at dusk, its field at luma
// 50-70 and its characters only a dozen grey levels darker, is found as
// surely as in daylight (the ink and edge thresholds follow the local
// brightness; see glyph.visible and inkRuns).
func TestDetectInShadow(t *testing.T) {
	d := New(Options{})
	for i, w := range []int{80, 120, 200} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			img, s := frame(t, options(1280, 720, w, false, uint64(40+i)))
			if _, v := bestMatch(d.Detect(img), s.Box); v < 0.5 {
				t.Skipf("plate %v not found in daylight either (IoU %.2f)", s.Box, v)
			}
			for j, v := range img.Pix {
				img.Pix[j] = uint8(40 + int(v)/12)
			}
			rs := d.Detect(img)
			dump(t, fmt.Sprintf("shadow-%d", w), img, rs)
			rank, v := bestMatch(rs, s.Box)
			if rank < 0 || rank > 2 || v < 0.5 {
				t.Errorf("plate %v in shadow: rank %d IoU %.2f of %d regions, want in the first 3 with IoU >= 0.5", s.Box, rank, v, len(rs))
			}
			checkRegions(t, img, rs)
		})
	}
}
