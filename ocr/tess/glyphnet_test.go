package tess

import (
	"bytes"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/math/fixed"

	"alprd/tools/platesynth/synth"
)

// netFonts are the faces the glyph network learns from besides Go Bold and
// Go Mono Bold (which the Go module carries): sans serifs, bold, condensed
// and not, monospaced and not, like plate fonts. make glyph-net installs
// them (Debian's fonts-dejavu-core, fonts-dejavu-extra, fonts-b612,
// fonts-urw-base35, fonts-liberation, fonts-freefont-ttf, fonts-ocr-b,
// fonts-hack, fonts-opendin, fonts-roboto-unhinted).
var netFonts = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
	"/usr/share/fonts/opentype/b612/B612-Bold.otf",
	"/usr/share/fonts/opentype/b612/B612Mono-Bold.otf",
	"/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
	"/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf",
	"/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
	"/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
	"/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
	"/usr/share/fonts/opentype/ocr-b/OCRB.otf",
	"/usr/share/fonts/truetype/hack/Hack-Bold.ttf",
	"/usr/share/fonts/truetype/opendin/OSP-DIN.ttf",
	"/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
}

// Training of the embedded networks (make glyph-net): the glyphs of
// netCrops synthesized plate crops (see plateGlyphs), then netSamples
// glyphs of each character drawn from the faces (see glyphSample), a new
// draw for each network; netEpochs passes, netHidden hidden units. The
// plates' glyphs (about 82,000) are cut as the reader cuts them, from
// plates in more typefaces; with them the three networks read 88.9 % of
// the endtoend-us characters (see glyphnet.go) and 94.1 % of crops-us',
// against 84.7 and 91.7 % with the faces' glyphs alone.
const (
	netCrops   = 30000
	netSamples = 3000
	netEpochs  = 6
	netHidden  = 256
	netSeed    = 10 // network i draws with netSeed+i, the plates with 1
	netCount   = 3  // networks, each of its own random draw (see ensemble)
)

// plateGlyphs synthesizes n plate crops (see lineGen) in the typefaces
// fonts and cuts out their characters as Read does: the crop prepared, its
// character boxes (see charBoxes), where prepare found the row of
// characters where it is (see rowFound) and as many boxes as the text has
// characters. It returns their normalised cells and characters (indices in
// glyphLetters).
func plateGlyphs(t *testing.T, fonts []trainFont, n int, seed uint64) (xs [][netIn]float32, ys []int) {
	g := &lineGen{r: rand.New(rand.NewPCG(seed, 0x5eed)), fonts: fonts}
	var p prep
	used := 0
	for range n {
		text, img := g.sample()
		if !p.prepare(img, 48, 100, false) || !g.rowFound(&p, img) {
			continue
		}
		bs := p.charBoxes(p.hm)
		if len(bs) != len(text) {
			continue
		}
		used++
		for i, b := range bs {
			k := strings.IndexByte(glyphLetters, text[i])
			if k < 0 {
				continue
			}
			v := cells(p.src, p.cw, b, true)
			normalise(&v)
			xs, ys = append(xs, v), append(ys, k)
		}
	}
	t.Logf("%d plates synthesized, the characters of %d cut out: %d glyphs", n, used, len(xs))
	return xs, ys
}

// glyphMask is one character drawn large in one face: its coverage and
// ink box.
type glyphMask struct {
	a    *image.Alpha
	b    image.Rectangle
	char int // index in glyphLetters
}

// glyphMasks draws glyphLetters in each face (OpenType or TrueType data).
func glyphMasks(tb testing.TB, faces ...[]byte) []glyphMask {
	tb.Helper()
	var out []glyphMask
	for _, d := range faces {
		face := openFace(tb, d, 64)
		for i, c := range []byte(glyphLetters) {
			a := image.NewAlpha(image.Rect(0, 0, 140, 110))
			dr := &font.Drawer{Dst: a, Src: image.Opaque, Face: face, Dot: fixed.P(20, 85)}
			dr.DrawString(string(c))
			out = append(out, glyphMask{a, inkBox(a), i})
		}
		face.Close()
	}
	return out
}

// glyphSample draws m as a camera sees a plate's character and returns its
// normalised cells, as the reader takes them from a prepared crop: 9 to
// 44 pixels tall (evenly on a log scale), 0.55 to 1.1 of its width (0.8 to
// 1.2 for a narrow glyph, an I or a 1), sheared by up to 0.08, its strokes
// thickened or thinned, blurred half the time, ink of 0..100 on paper of
// 170..255 with Gaussian noise of up to 14 levels, and its box (the pixels
// darker than the middle tone) a pixel off on a side a quarter of the time.
func glyphSample(m glyphMask, r *rand.Rand) [glyphW * glyphH]float32 {
	b := m.b
	th := math.Exp(math.Log(9) + r.Float64()*(math.Log(44)-math.Log(9)))
	asp := 0.55 + r.Float64()*0.55
	if b.Dx()*3 < b.Dy() {
		asp = 0.8 + r.Float64()*0.4
	}
	shear := (r.Float64()*2 - 1) * 0.08
	weight := 0.5 + (r.Float64()*2-1)*0.3 // coverage that becomes half ink
	h := int(math.Round(th))
	w := max(2, int(math.Round(float64(b.Dx())*th/float64(b.Dy())*asp)))
	const pad, ss = 3, 3 // margin; supersampling
	W, H := w+2*pad, h+2*pad
	img := make([]float64, W*H)
	sx, sy := float64(b.Dx())/float64(w), float64(b.Dy())/float64(h)
	for y := range H {
		for x := range W {
			var s float64
			for j := range ss {
				for i := range ss {
					fy := (float64(y-pad) + (float64(j)+0.5)/ss) * sy
					fx := (float64(x-pad)+(float64(i)+0.5)/ss)*sx + shear*(float64(b.Dy())-fy)
					u, v := int(fx)+b.Min.X, int(fy)+b.Min.Y
					if u >= 0 && u < m.a.Rect.Dx() && v >= b.Min.Y && v < b.Max.Y {
						s += float64(m.a.Pix[v*m.a.Stride+u]) / 255
					}
				}
			}
			k := (s/ss/ss-weight)*3 + 0.5
			img[y*W+x] = min(max(k, 0), 1)
		}
	}
	if r.IntN(2) == 0 {
		img = blur3(img, W, H, 2+r.Float64()*4)
	}
	paper, ink := 170+r.Float64()*85, r.Float64()*100
	sig := r.Float64() * 14
	pix := make([]uint8, W*H)
	for i, v := range img {
		pix[i] = uint8(min(max(paper+(ink-paper)*v+r.NormFloat64()*sig, 0), 255))
	}
	mid := uint8((paper + ink) / 2)
	x0, y0, x1, y1 := W, H, 0, 0
	for y := range H {
		for x := range W {
			if img[y*W+x] > 0.5 || pix[y*W+x] < mid && img[y*W+x] > 0.2 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			}
		}
	}
	if x1 <= x0 {
		x0, y0, x1, y1 = pad, pad, pad+w, pad+h
	}
	off := func() int {
		if r.IntN(4) == 0 {
			return r.IntN(3) - 1
		}
		return 0
	}
	bx := image.Rect(max(0, x0+off()), max(0, y0+off()), min(W, x1+off()), min(H, y1+off()))
	if bx.Dx() < 1 || bx.Dy() < 1 {
		bx = image.Rect(x0, y0, x1, y1)
	}
	v := cells(pix, W, bx, true)
	normalise(&v)
	return v
}

// blur3 blurs img (w x h) with a 3x3 kernel of centre weight c and 1
// elsewhere.
func blur3(img []float64, w, h int, c float64) []float64 {
	out := make([]float64, len(img))
	for y := range h {
		for x := range w {
			var s, n float64
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					k := 1.0
					if dx == 0 && dy == 0 {
						k = c
					}
					s += img[yy*w+xx] * k
					n += k
				}
			}
			out[y*w+x] = s / n
		}
	}
	return out
}

// glyphSet draws n glyphs of each character from masks, at random: their
// normalised cells and characters (indices in glyphLetters).
func glyphSet(masks []glyphMask, n int, r *rand.Rand) (xs [][netIn]float32, ys []int) {
	for range n * netOut {
		m := masks[r.IntN(len(masks))]
		xs, ys = append(xs, glyphSample(m, r)), append(ys, m.char)
	}
	return xs, ys
}

// trainNet trains a network of h hidden units on xs and ys by stochastic
// gradient descent on the cross-entropy, epochs passes, the rate 0.01
// falling by 0.6 each pass. It returns the mean loss of each pass.
func trainNet(xs [][netIn]float32, ys []int, h, epochs int, r *rand.Rand) (*glyphNet, []float64) {
	n := &glyphNet{h: h, w1: make([]float32, h*netIn), b1: make([]float32, h), w2: make([]float32, netOut*h), b2: make([]float32, netOut)}
	s1, s2 := math.Sqrt(2.0/netIn), math.Sqrt(2.0/float64(h))
	for i := range n.w1 {
		n.w1[i] = float32(r.NormFloat64() * s1)
	}
	for i := range n.w2 {
		n.w2[i] = float32(r.NormFloat64() * s2)
	}
	hid, dh := make([]float32, h), make([]float32, h)
	var out [netOut]float32
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	var losses []float64
	var x [netIn]float32
	for ep := range epochs {
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		rate := float32(0.01 * math.Pow(0.6, float64(ep)))
		var loss float64
		for _, i := range idx {
			for k, v := range xs[i] {
				x[k] = v * netScale
			}
			n.hidden(&x, hid)
			n.output(hid, &out)
			loss -= math.Log(float64(out[ys[i]]) + 1e-9)
			out[ys[i]]--
			clear(dh)
			for k := range out {
				g := out[k] * rate
				w := n.w2[k*h : (k+1)*h]
				for j, hv := range hid {
					dh[j] += w[j] * out[k]
					w[j] -= g * hv
				}
				n.b2[k] -= g
			}
			for j := range hid {
				if hid[j] <= 0 {
					continue
				}
				g := dh[j] * rate
				w := n.w1[j*netIn : (j+1)*netIn]
				for k, xv := range x {
					w[k] -= g * xv
				}
				n.b1[j] -= g
			}
		}
		losses = append(losses, loss/float64(len(xs)))
	}
	return n, losses
}

// accuracy returns the share of xs (normalised cells) that c classifies
// as ys, exactly and with the look-alikes of lookAlike as one.
func accuracy(c interface {
	probs(*[netIn]float32) [netOut]float32
}, xs [][netIn]float32, ys []int) (exact, grouped float64) {
	var e, g int
	for i := range xs {
		out := c.probs(&xs[i])
		best := 0
		for k := range out {
			if out[k] > out[best] {
				best = k
			}
		}
		a, b := glyphLetters[best:best+1], glyphLetters[ys[i]:ys[i]+1]
		if a == b {
			e++
		}
		if a == b || alike(a, b) {
			g++
		}
	}
	return float64(e) / float64(len(xs)), float64(g) / float64(len(xs))
}

// TestGlyphNet checks the network built into the package: it decodes, and
// it reads glyphs of Go Bold and Go Mono Bold drawn afresh (other samples
// than it learnt from) right. With ALPRD_GLYPHNET_OUT=FILE it trains the
// network instead and writes it to FILE (make glyph-net; the fonts must be
// installed).
func TestGlyphNet(t *testing.T) {
	if out := os.Getenv("ALPRD_GLYPHNET_OUT"); out != "" {
		list, err := os.ReadFile("train/fonts.txt")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range strings.Fields(string(list)) {
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("%v (make glyph-net installs the fonts)", err)
			}
		}
		px, py := plateGlyphs(t, trainFonts(t, strings.Fields(string(list))), netCrops, 1)
		faces := [][]byte{gobold.TTF, gomonobold.TTF}
		for _, p := range netFonts {
			d, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (make glyph-net installs the fonts)", err)
			}
			faces = append(faces, d)
		}
		masks := glyphMasks(t, faces...)
		encoded := make([][]byte, netCount)
		var wg sync.WaitGroup
		for i := range netCount {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(netSeed+uint64(i), 0))
				fx, fy := glyphSet(masks, netSamples, r)
				xs := append(slices.Clone(px), fx...)
				ys := append(slices.Clone(py), fy...)
				n, losses := trainNet(xs, ys, netHidden, netEpochs, r)
				t.Logf("network %d: %d glyphs; loss by pass %.3f", i, len(xs), losses)
				encoded[i] = n.encode()
			})
		}
		wg.Wait()
		if err := os.WriteFile(out, bytes.Join(encoded, nil), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if net == nil {
		t.Fatal("model/glyphnet.bin is not a network: run make glyph-net")
	}
	xs, ys := glyphSet(glyphMasks(t, gobold.TTF, gomonobold.TTF), 40, rand.New(rand.NewPCG(99, 0)))
	exact, grouped := accuracy(net, xs, ys)
	t.Logf("Go Bold and Go Mono Bold, %d glyphs: %.1f %% right, %.1f %% with look-alikes as one", len(xs), 100*exact, 100*grouped)
	if grouped < 0.95 {
		t.Errorf("%.1f %% right with look-alikes as one, want 95 %% or more", 100*grouped)
	}
	// Its weights survive encode.
	if len(net) != netCount {
		t.Errorf("%d networks, want %d", len(net), netCount)
	}
	for i, n := range net {
		if again, _ := decodeNet(n.encode()); again == nil || !bytes.Equal(again.encode(), n.encode()) {
			t.Errorf("network %d: encode and decodeNet do not round-trip", i)
		}
	}
}

// TestTrainNet: a small network trained as make glyph-net trains one
// learns (its loss falls, it tells glyphs it has not seen far better than
// chance), and survives its 8-bit encoding.
func TestTrainNet(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 0))
	masks := glyphMasks(t, gobold.TTF, gomonobold.TTF)
	xs, ys := glyphSet(masks, 60, r)
	n, losses := trainNet(xs, ys, 32, 3, r)
	if losses[len(losses)-1] >= losses[0] {
		t.Errorf("loss by pass %.3f: does not fall", losses)
	}
	tx, ty := glyphSet(masks, 10, r)
	_, grouped := accuracy(n, tx, ty)
	q := decodeNets(n.encode())
	if len(q) != 1 {
		t.Fatalf("decodeNets(encode) = %d networks", len(q))
	}
	_, qgrouped := accuracy(q, tx, ty)
	t.Logf("%.1f %% right (%.1f %% encoded), look-alikes as one", 100*grouped, 100*qgrouped)
	if grouped < 0.5 {
		t.Errorf("%.1f %% right, want 50 %% or more (chance is 3 %%)", 100*grouped)
	}
	if math.Abs(grouped-qgrouped) > 0.03 {
		t.Errorf("encoded, %.1f %% right against %.1f %%", 100*qgrouped, 100*grouped)
	}
	if decodeNets([]byte("GNET")) != nil || decodeNets(n.encode()[:100]) != nil {
		t.Error("decodeNets accepts a truncated network")
	}
	two := decodeNets(append(n.encode(), n.encode()...))
	if len(two) != 2 {
		t.Errorf("two networks in a row decode as %d", len(two))
	}
}

// TestFuse: the network's probabilities re-rank a character's choices and
// add the ones the models missed, but never trade a look-alike for the
// models' first choice.
func TestFuse(t *testing.T) {
	prob := func(pairs ...any) *[netOut]float32 {
		var p [netOut]float32
		for i := 0; i < len(pairs); i += 2 {
			c := pairs[i].(string)
			for k := range glyphLetters {
				if glyphLetters[k:k+1] == c {
					p[k] = float32(pairs[i+1].(float64))
				}
			}
		}
		return &p
	}
	ps := []pos{
		{opts: []alt{{"H", 60}, {"N", 50}}, x: 0}, // the glyph is an N
		{opts: []alt{{"8", 95}}, x: 1},            // the glyph may be a B
		{opts: []alt{{"0", 80}, {"D", 70}}, x: 2}, // a D, 0's look-alike
		{opts: []alt{{"5", 90}}, x: 3},            // no glyph
		{opts: []alt{{"W", 40}}, x: 4},            // an M, not offered
	}
	probsAt := map[int]*[netOut]float32{
		0: prob("N", 0.95, "H", 0.05),
		1: prob("B", 0.9, "8", 0.1),
		2: prob("D", 1.0),
		4: prob("M", 1.0),
	}
	fuse(ps, func(q pos) *[netOut]float32 { return probsAt[q.x] })
	var got []string
	for _, q := range ps {
		s := ""
		for _, o := range q.opts {
			s += o.text
		}
		got = append(got, s)
	}
	// With netWeight 0.5: H 0.5*60+0.5*5 = 32.5, N 0.5*50+0.5*95 = 72.5.
	// 8 52.5, B 45. 0 40, D 85 but a look-alike. W 20, M 50.
	want := []string{"NH", "8B", "0D", "5", "MW"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("position %d: choices %q, want %q", i, got[i], want[i])
		}
	}
	// The first choice keeps the models' first confidence; the others are
	// scaled alike.
	for i, want := range []float64{60, 95, 80, 90, 40} {
		if c := ps[i].opts[0].conf; math.Abs(c-want) > 1e-4 {
			t.Errorf("position %d: first confidence %v, want %v", i, c, want)
		}
	}
	w := netWeight
	h, n := (1-w)*60+w*100*0.05, (1-w)*50+w*100*0.95
	if c := ps[0].opts[1].conf; math.Abs(c-h*60/n) > 1e-4 {
		t.Errorf("position 0: second confidence %v, want %v", c, h*60/n)
	}
}

// BenchmarkGlyphNet classifies one glyph with the networks built in.
func BenchmarkGlyphNet(b *testing.B) {
	if net == nil {
		b.Skip("no network built in")
	}
	masks := glyphMasks(b, gobold.TTF)
	v := glyphSample(masks[7], rand.New(rand.NewPCG(3, 0)))
	for b.Loop() {
		net.probs(&v)
	}
}

// TestNetLetter: a letter read as H, N, M or W becomes the W or M the
// network is sure of, only when it gives the letter read little.
func TestNetLetter(t *testing.T) {
	p := func(w, m, h float32) *[netOut]float32 {
		var out [netOut]float32
		out[strings.IndexByte(glyphLetters, 'W')] = w
		out[strings.IndexByte(glyphLetters, 'M')] = m
		out[strings.IndexByte(glyphLetters, 'H')] = h
		return &out
	}
	for _, tt := range []struct {
		read    string
		w, m, h float32
		want    string
	}{
		{"H", 0.9, 0, 0.05, "W"},
		{"H", 0, 0.7, 0.1, "M"},
		{"H", 0.5, 0.4, 0.1, "H"}, // neither sure enough
		{"H", 0.7, 0, 0.25, "H"},  // the letter read keeps too much
		{"N", 0.8, 0, 0, "W"},     // N gets 0
		{"W", 0.1, 0.85, 0, "M"},  // W gets 0.1
		{"M", 0.05, 0.95, 0, "M"}, // already M
	} {
		if got := netLetter(p(tt.w, tt.m, tt.h), tt.read); got != tt.want {
			t.Errorf("read %s, W %.2f M %.2f H %.2f: got %s, want %s", tt.read, tt.w, tt.m, tt.h, got, tt.want)
		}
	}
}

// TestNetMemo: the network's probabilities kept for a crop's glyphs are
// kept for another prepare of the same crop (the read at another scale)
// and dropped for another crop, and by Read.
func TestNetMemo(t *testing.T) {
	a := plate(t, "us-ca", "7WMH123", 240, false, synth.GoBold)
	b := plate(t, "us-ca", "7WMH123", 240, false, synth.GoBold)
	var p prep
	box := image.Rect(1, 2, 3, 4)
	p.prepare(a, 48, 0, false)
	p.netMemo = map[image.Rectangle]*[netOut]float32{box: {}}
	p.prepare(a, 40, 0, false)
	if _, ok := p.netMemo[box]; !ok {
		t.Error("the memo was dropped for the same crop")
	}
	p.prepare(b, 48, 0, false)
	if _, ok := p.netMemo[box]; ok {
		t.Error("the memo was kept for another crop")
	}
	r := openReader(t, Config{})
	r.prep.memoCrop, r.prep.netMemo = a, map[image.Rectangle]*[netOut]float32{box: {}}
	if _, err := r.Read(a); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.prep.netMemo[box]; ok {
		t.Error("Read kept the memo of an earlier read")
	}
}
