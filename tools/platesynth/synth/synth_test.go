package synth

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// formatRegexps spell out each format's plate pattern independently of the
// format table.
var formatRegexps = map[string]*regexp.Regexp{
	"us-ca": regexp.MustCompile(`^[0-9][A-Z]{3}[0-9]{3}$`),
	"us-tx": regexp.MustCompile(`^[A-Z]{3}[0-9]{4}$`),
	"us-ny": regexp.MustCompile(`^[A-Z]{3}[0-9]{4}$`),
	"us-fl": regexp.MustCompile(`^[A-Z]{4}[0-9]{2}$`),
	"us-wa": regexp.MustCompile(`^[A-Z]{3}[0-9]{4}$`),
}

// smallOptions are quick to render: 320x240 frames.
func smallOptions(seed uint64) Options {
	o := DefaultOptions()
	o.Seed = seed
	o.Width, o.Height = 320, 240
	o.MinPlateWidth, o.MaxPlateWidth = 60, 140
	return o
}

func newGen(t testing.TB, o Options) *Generator {
	t.Helper()
	g, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

func TestFormats(t *testing.T) {
	got := Formats()
	var want []string
	for id := range formatRegexps {
		want = append(want, id)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Formats() = %v, want %v", got, want)
	}
}

func TestRandomTextMatchesPattern(t *testing.T) {
	g := newGen(t, smallOptions(1))
	for _, id := range Formats() {
		t.Run(id, func(t *testing.T) {
			f, err := lookupFormat(id)
			if err != nil {
				t.Fatal(err)
			}
			r := g.sampleRand(1)
			for range 500 {
				text := f.randomText(r)
				if !formatRegexps[id].MatchString(text) {
					t.Fatalf("random text %q does not match %v", text, formatRegexps[id])
				}
				if !f.matches(text) {
					t.Fatalf("format %s does not accept its own text %q", id, text)
				}
				if strings.ContainsAny(text, "IOQ") {
					t.Fatalf("random text %q contains I, O or Q", text)
				}
			}
		})
	}
}

func TestSamplesMatchFormat(t *testing.T) {
	g := newGen(t, smallOptions(2))
	seen := map[string]bool{}
	for range 25 {
		s := g.Next()
		re, ok := formatRegexps[s.Format]
		if !ok {
			t.Fatalf("%s: unknown format %q", s.Name, s.Format)
		}
		if !re.MatchString(s.Plate) {
			t.Errorf("%s: plate %q does not match %s pattern %v", s.Name, s.Plate, s.Format, re)
		}
		if want := strings.TrimPrefix(s.Format, "us-"); s.State != want {
			t.Errorf("%s: got state %q, want %q", s.Name, s.State, want)
		}
		seen[s.Format] = true
	}
	if len(seen) != len(formatRegexps) {
		t.Errorf("25 samples used formats %v, want all %d", seen, len(formatRegexps))
	}
}

func TestFormatsOption(t *testing.T) {
	o := smallOptions(3)
	o.Formats = []string{"us-tx", " us-fl"}
	g := newGen(t, o)
	for range 20 {
		if s := g.Next(); s.Format != "us-tx" && s.Format != "us-fl" {
			t.Fatalf("got format %q, want us-tx or us-fl", s.Format)
		}
	}
}

func TestDeterminism(t *testing.T) {
	tests := []struct {
		name string
		next func(*Generator) Sample
	}{
		{"Next", (*Generator).Next},
		{"NextCrop", (*Generator).NextCrop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newGen(t, smallOptions(42)), newGen(t, smallOptions(42))
			c := newGen(t, smallOptions(43))
			differs := false
			for i := range 5 {
				sa, sb, sc := tt.next(a), tt.next(b), tt.next(c)
				if sa.Plate != sb.Plate || sa.Box != sb.Box || sa.Quad != sb.Quad || sa.Name != sb.Name {
					t.Fatalf("sample %d: got %q %v %v, want %q %v %v", i, sb.Plate, sb.Box, sb.Quad, sa.Plate, sa.Box, sa.Quad)
				}
				if !bytes.Equal(sa.Frame.Pix, sb.Frame.Pix) {
					t.Fatalf("sample %d: same seed gave different pixels", i)
				}
				if sa.Plate != sc.Plate || !bytes.Equal(sa.Frame.Pix, sc.Frame.Pix) {
					differs = true
				}
			}
			if !differs {
				t.Error("seeds 42 and 43 gave identical samples")
			}
		})
	}
}

func TestNames(t *testing.T) {
	g := newGen(t, smallOptions(1))
	for i, want := range []string{"synth-0001.jpg", "synth-0002.jpg", "synth-0003.jpg"} {
		var s Sample
		if i == 1 {
			s = g.NextCrop()
		} else {
			s = g.Next()
		}
		if s.Name != want {
			t.Errorf("sample %d: got name %q, want %q", i, s.Name, want)
		}
	}
}

// checkGeometry verifies that Box is non-empty and inside the frame and the
// quad lies within the closed box.
func checkGeometry(t *testing.T, s Sample) {
	t.Helper()
	if s.Box.Empty() || !s.Box.In(s.Frame.Bounds()) {
		t.Fatalf("%s: box %v not a non-empty part of frame %v", s.Name, s.Box, s.Frame.Bounds())
	}
	for _, p := range s.Quad {
		if p.X < s.Box.Min.X || p.Y < s.Box.Min.Y || p.X > s.Box.Max.X || p.Y > s.Box.Max.Y {
			t.Fatalf("%s: quad corner %v outside box %v", s.Name, p, s.Box)
		}
	}
	// The quad must span the box (it is the box's source).
	minX, maxX := s.Quad[0].X, s.Quad[0].X
	for _, p := range s.Quad {
		minX, maxX = min(minX, p.X), max(maxX, p.X)
	}
	if d := s.Box.Dx() - (maxX - minX); d < 0 || d > 2 {
		t.Fatalf("%s: box width %d, quad width %d", s.Name, s.Box.Dx(), maxX-minX)
	}
}

func TestGeometry(t *testing.T) {
	tests := []struct {
		name string
		opts func(*Options)
	}{
		{"default", func(*Options) {}},
		{"flat", func(o *Options) { o.Perspective = 0 }},
		{"strong perspective", func(o *Options) { o.Perspective = 1 }},
		{"tight frame", func(o *Options) { o.Width, o.Height, o.MinPlateWidth, o.MaxPlateWidth = 200, 150, 150, 180 }},
		{"all effects", func(o *Options) { o.Blur, o.Noise, o.Glare, o.Perspective, o.IR = 1, 1, 1, 1, 0.5 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := smallOptions(5)
			tt.opts(&o)
			g := newGen(t, o)
			for range 12 {
				s := g.Next()
				checkGeometry(t, s)
				if w := s.Box.Dx(); w < o.MinPlateWidth || w > o.MaxPlateWidth+1 {
					t.Fatalf("%s: box width %d, want %d..%d", s.Name, w, o.MinPlateWidth, o.MaxPlateWidth+1)
				}
				if o.Perspective == 0 {
					if ratio := float64(s.Box.Dx()) / float64(s.Box.Dy()); math.Abs(ratio-2) > 0.1 {
						t.Fatalf("%s: flat plate box %v has aspect %.2f, want 2", s.Name, s.Box, ratio)
					}
				}
			}
		})
	}
}

func TestNextCrop(t *testing.T) {
	g := newGen(t, smallOptions(6))
	for range 10 {
		s := g.NextCrop()
		checkGeometry(t, s)
		b := s.Frame.Bounds()
		if b.Min != (image.Point{}) {
			t.Fatalf("%s: crop origin %v, want (0,0)", s.Name, b.Min)
		}
		if b.Dx() > s.Box.Dx()*13/10+4 || b.Dy() > s.Box.Dy()*13/10+4 {
			t.Fatalf("%s: crop %v much larger than box %v", s.Name, b, s.Box)
		}
	}
}

// meanLuma is the mean luma of the frame pixels in r.
func meanLuma(img *image.RGBA, r image.Rectangle) float64 {
	var sum float64
	var n int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := img.Pix[img.PixOffset(x, y):]
			sum += 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			n++
		}
	}
	return sum / float64(n)
}

// surroundLuma is the mean luma of a band around r (r grown by half its
// size, minus r), clipped to the frame.
func surroundLuma(img *image.RGBA, r image.Rectangle) float64 {
	outer := r.Inset(-r.Dx() / 2).Intersect(img.Bounds())
	var sum float64
	var n int
	for y := outer.Min.Y; y < outer.Max.Y; y++ {
		for x := outer.Min.X; x < outer.Max.X; x++ {
			if (image.Point{x, y}).In(r) {
				continue
			}
			p := img.Pix[img.PixOffset(x, y):]
			sum += 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			n++
		}
	}
	return sum / float64(n)
}

func TestIRLook(t *testing.T) {
	o := smallOptions(7)
	o.IR = 1
	g := newGen(t, o)
	for range 10 {
		s := g.Next()
		if !s.IR {
			t.Fatalf("%s: got IR false with Options.IR 1", s.Name)
		}
		// Grey: R = G = B everywhere.
		for i := 0; i < len(s.Frame.Pix); i += 4 {
			if p := s.Frame.Pix[i : i+3]; p[0] != p[1] || p[1] != p[2] {
				t.Fatalf("%s: IR pixel %v is not grey", s.Name, p)
			}
		}
		// Inner part of the plate (avoiding warped corners) vs surround.
		inner := s.Box.Inset(s.Box.Dy() / 5)
		in, out := meanLuma(s.Frame, inner), surroundLuma(s.Frame, s.Box)
		if in < 150 || in-out < 80 {
			t.Errorf("%s: IR plate luma %.0f vs surround %.0f, want plate >= 150 and 80 brighter", s.Name, in, out)
		}
	}
}

func TestDayLook(t *testing.T) {
	o := smallOptions(8)
	o.IR = 0
	g := newGen(t, o)
	for range 10 {
		s := g.Next()
		if s.IR {
			t.Fatalf("%s: got IR true with Options.IR 0", s.Name)
		}
		// The plate field is light and its characters dark: the luma
		// spread inside the plate is large.
		inner := s.Box.Inset(s.Box.Dy() / 5)
		lo, hi := 255.0, 0.0
		for y := inner.Min.Y; y < inner.Max.Y; y++ {
			for x := inner.Min.X; x < inner.Max.X; x++ {
				l := meanLuma(s.Frame, image.Rect(x, y, x+1, y+1))
				lo, hi = min(lo, l), max(hi, l)
			}
		}
		if hi-lo < 100 {
			t.Errorf("%s: luma range inside plate %.0f..%.0f, want a spread of 100+", s.Name, lo, hi)
		}
	}
}

func TestRenderPlate(t *testing.T) {
	for _, id := range Formats() {
		for _, ir := range []bool{false, true} {
			t.Run(id, func(t *testing.T) {
				img, err := RenderPlate(id, "ABC1234", 200, ir)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := img.Bounds(), image.Rect(0, 0, 200, 100); got != want {
					t.Fatalf("bounds %v, want %v", got, want)
				}
				if a := img.RGBAAt(0, 0).A; a != 0 {
					t.Errorf("corner alpha %d, want 0 (rounded corner)", a)
				}
				if a := img.RGBAAt(100, 10).A; a != 255 {
					t.Errorf("top-middle alpha %d, want 255", a)
				}
				// Character band: dark ink on a light field.
				band := image.Rect(10, 34, 190, 70)
				var dark, light int
				for y := band.Min.Y; y < band.Max.Y; y++ {
					for x := band.Min.X; x < band.Max.X; x++ {
						l := meanLuma(img, image.Rect(x, y, x+1, y+1))
						switch {
						case l < 100:
							dark++
						case l > 180:
							light++
						}
					}
				}
				total := band.Dx() * band.Dy()
				if dark < total/8 || light < total/3 {
					t.Errorf("character band: %d dark and %d light of %d pixels, want >= 1/8 dark and >= 1/3 light", dark, light, total)
				}
			})
		}
	}
}

func TestRenderPlateErrors(t *testing.T) {
	tests := []struct {
		format, text string
		width        int
		want         string // in the error
	}{
		{"us-zz", "ABC1234", 200, "us-ca, us-fl, us-ny, us-tx, us-wa"},
		{"us-ca", "abc123", 200, "A-Z and 0-9"},
		{"us-ca", "AB-123", 200, "A-Z and 0-9"},
		{"us-ca", "", 200, "1 to 10"},
		{"us-ca", "ABCDEFGHIJK", 200, "1 to 10"},
		{"us-ca", "1ABC234", 8, "16 to 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.text, func(t *testing.T) {
			_, err := RenderPlate(tt.format, tt.text, tt.width, false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts func(*Options)
		want string
	}{
		{"unknown format", func(o *Options) { o.Formats = []string{"us-ca", "eu-de"} }, `unknown plate format "eu-de" (known: us-ca, us-fl, us-ny, us-tx, us-wa)`},
		{"IR above 1", func(o *Options) { o.IR = 1.5 }, "IR fraction 1.5: want 0 to 1"},
		{"negative blur", func(o *Options) { o.Blur = -0.1 }, "blur -0.1: want 0 to 1"},
		{"NaN noise", func(o *Options) { o.Noise = math.NaN() }, "noise NaN: want 0 to 1"},
		{"min above max", func(o *Options) { o.MinPlateWidth, o.MaxPlateWidth = 200, 100 }, "max plate width 100 is less than min plate width 200"},
		{"min too small", func(o *Options) { o.MinPlateWidth = 10 }, "min plate width 10"},
		{"plate too wide", func(o *Options) { o.MaxPlateWidth = 1300 }, "max plate width 1300 does not fit a 1280x720 frame"},
		{"frame too small", func(o *Options) { o.Width = 100 }, "frame size 100x720"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.opts(&o)
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	tests := []struct {
		name         string
		in           Options
		w, h, lo, hi int
	}{
		{"zero", Options{}, 1280, 720, 80, 260},
		{"small frame shrinks default max", Options{Width: 200, Height: 160}, 200, 160, 80, 192},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen(t, tt.in)
			o := g.Options()
			if o.Width != tt.w || o.Height != tt.h || o.MinPlateWidth != tt.lo || o.MaxPlateWidth != tt.hi {
				t.Fatalf("got %dx%d plates %d..%d, want %dx%d plates %d..%d",
					o.Width, o.Height, o.MinPlateWidth, o.MaxPlateWidth, tt.w, tt.h, tt.lo, tt.hi)
			}
			checkGeometry(t, g.Next())
		})
	}
}

func TestHomography(t *testing.T) {
	src := [4]pointF{{0, 0}, {10, 0}, {10, 5}, {0, 5}}
	dst := [4]pointF{{3, 4}, {40, 9}, {37, 30}, {1, 22}}
	h, ok := solveHomography(src, dst)
	if !ok {
		t.Fatal("solveHomography failed")
	}
	for i := range src {
		x, y := h.apply(src[i].X, src[i].Y)
		if math.Abs(x-dst[i].X) > 1e-9 || math.Abs(y-dst[i].Y) > 1e-9 {
			t.Errorf("corner %d: got (%g, %g), want %v", i, x, y, dst[i])
		}
	}
}

func TestGray(t *testing.T) {
	img, err := RenderPlate("us-ny", "ABC1234", 120, false)
	if err != nil {
		t.Fatal(err)
	}
	sub := img.SubImage(image.Rect(7, 5, 90, 50)).(*image.RGBA)
	g := Gray(sub)
	if got, want := g.Bounds(), image.Rect(0, 0, 83, 45); got != want {
		t.Fatalf("bounds %v, want %v", got, want)
	}
	for y := 0; y < 45; y++ {
		for x := 0; x < 83; x++ {
			want := color.GrayModel.Convert(sub.At(7+x, 5+y)).(color.Gray).Y
			if got := g.GrayAt(x, y).Y; got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	if v := Gray(img).GrayAt(0, 0).Y; v != 0 {
		t.Errorf("transparent corner luma %d, want 0", v)
	}
}

func TestRenderPlateFace(t *testing.T) {
	bold, err := RenderPlateFace("us-tx", "ABC1234", 200, false, GoBold)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := RenderPlate("us-tx", "ABC1234", 200, false)
	if !bytes.Equal(bold.Pix, plain.Pix) {
		t.Error("RenderPlateFace with GoBold differs from RenderPlate")
	}
	mono, err := RenderPlateFace("us-tx", "ABC1234", 200, false, GoMonoBold)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(mono.Pix, plain.Pix) {
		t.Error("GoMonoBold plate identical to the GoBold one")
	}
	if _, err := RenderPlateFace("us-tx", "ABC1234", 200, false, Typeface(9)); err == nil {
		t.Error("unknown typeface: no error")
	}
}

// NoTimestamp changes only the timestamp corner of the frame.
func TestNoTimestamp(t *testing.T) {
	o := smallOptions(9)
	a := newGen(t, o).Next()
	o.NoTimestamp = true
	b := newGen(t, o).Next()
	if a.Plate != b.Plate || a.Box != b.Box || a.Quad != b.Quad {
		t.Fatalf("NoTimestamp changed the plate: %q %v vs %q %v", a.Plate, a.Box, b.Plate, b.Box)
	}
	band := plateTop(o.Height) - edgeMargin
	changed := 0
	for y := 0; y < o.Height; y++ {
		ra := a.Frame.Pix[y*a.Frame.Stride : (y+1)*a.Frame.Stride]
		rb := b.Frame.Pix[y*b.Frame.Stride : (y+1)*b.Frame.Stride]
		if !bytes.Equal(ra, rb) {
			if y >= band {
				t.Fatalf("row %d below the timestamp band (%d rows) changed", y, band)
			}
			changed++
		}
	}
	if changed < band/3 {
		t.Errorf("%d rows of the %d-row timestamp band changed, want the timestamp's rows", changed, band)
	}
}
