package detect

// Measurement on real photographs. The images are not part of the
// repository (licence and privacy): the test runs only when ALPRD_DATASETS
// names the folder holding the endtoend-* sets, and skips otherwise.
//
//	ALPRD_DATASETS=/work/shared/datasets go test -run TestRealRecall -v ./ocr/detect
//
// ALPRD_DETECT_VERBOSE=1 logs every image, not only the ones whose plate is
// not in the best three regions; ALPRD_DETECT_OUT=dir writes each frame with
// its regions drawn (for looking by hand; never commit what it writes).

import (
	"bufio"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"alprd/ocr"
)

// realSample is one labelled photograph: file name and plate box.
type realSample struct {
	name  string
	box   image.Rectangle
	plate string
}

// readLabels reads the NAME.txt files of an endtoend set: one line
// "NAME.jpg<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE" each.
func readLabels(dir string) ([]realSample, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []realSample
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Split(strings.TrimSpace(sc.Text()), "\t")
			if len(fs) < 5 {
				continue
			}
			var v [4]int
			for i := range v {
				if v[i], err = strconv.Atoi(strings.TrimSpace(fs[i+1])); err != nil {
					f.Close()
					return nil, fmt.Errorf("%s: field %d: %w", n, i+2, err)
				}
			}
			s := realSample{name: fs[0], box: image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3])}
			if len(fs) > 5 {
				s.plate = fs[5]
			}
			out = append(out, s)
		}
		f.Close()
	}
	return out, nil
}

// loadLuma decodes a JPEG and returns its luma plane.
func loadLuma(name string) (*image.Gray, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch m := img.(type) {
	case *image.Gray:
		return m, nil
	case *image.YCbCr:
		b := m.Rect
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			o := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Y[o:o+b.Dx()])
		}
		return g, nil
	}
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g, nil
}

// realStats accumulates the figures of one set.
type realStats struct {
	n         int
	hit       [2][3]int // [IoU >= 0.3, >= 0.5][top-1, top-3, top-8]
	sumIoU    float64   // best IoU among all regions
	sumIoU3   float64   // best IoU among the best three
	ranks     [5]int    // rank at IoU >= 0.3: 0, 1, 2, 3..7, not found
	false8    int       // regions with IoU < 0.3
	false3    int       // of them in the best three
	ms        []float64 // detection time per image
	engineMs  []float64 // detection + 20 ms per region read (at most 3)
	regions   int
	dims      map[image.Point]int
	sumTightW float64 // sum over matched (top-3, IoU >= 0.3) of region w / truth w
	sumTightH float64
	nTight    int
}

func TestRealRecall(t *testing.T) {
	root := os.Getenv("ALPRD_DATASETS")
	if root == "" {
		t.Skip("ALPRD_DATASETS not set: no real images to measure on")
	}
	verbose := os.Getenv("ALPRD_DETECT_VERBOSE") != ""
	out := os.Getenv("ALPRD_DETECT_OUT")
	d := New(Options{})
	for _, set := range []string{"endtoend-us", "endtoend-eu", "endtoend-br"} {
		t.Run(set, func(t *testing.T) {
			dir := filepath.Join(root, set)
			samples, err := readLabels(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(samples) == 0 {
				t.Skipf("no labelled images in %s", dir)
			}
			st := realStats{dims: map[image.Point]int{}}
			for _, s := range samples {
				img, err := loadLuma(filepath.Join(dir, s.name))
				if err != nil {
					t.Fatal(err)
				}
				st.dims[img.Rect.Size()]++
				d.Detect(img) // warm the scratch for this size
				start := time.Now()
				rs := d.Detect(img)
				el := float64(time.Since(start).Microseconds()) / 1000
				st.add(s, rs, el)
				rank, best := realRank(rs, s.box, 0.3)
				if verbose || rank < 0 || rank > 2 {
					t.Logf("%s %v %s: rank %d best IoU %.2f, %d regions, %.1f ms", s.name, s.box, s.plate, rank, best, len(rs), el)
					for i, r := range rs {
						if i < 3 || verbose {
							t.Logf("    %d %v score %.2f IoU %.2f", i, r.Box, r.Score, iou(r.Box, s.box))
						}
					}
				}
				if out != "" {
					name := strings.TrimSuffix(s.name, filepath.Ext(s.name))
					dumpTo(t, filepath.Join(out, set), name, img, rs, s.box)
				}
			}
			st.report(t, set)
		})
	}
}

// realRank returns the rank of the first region whose IoU with truth is at
// least min (-1 when none) and the best IoU of all regions.
func realRank(rs []ocr.Region, truth image.Rectangle, min float64) (int, float64) {
	rank, best := -1, 0.0
	for i, r := range rs {
		v := iou(r.Box, truth)
		if v >= min && rank < 0 {
			rank = i
		}
		best = max(best, v)
	}
	return rank, best
}

func (st *realStats) add(s realSample, rs []ocr.Region, ms float64) {
	st.n++
	st.ms = append(st.ms, ms)
	st.engineMs = append(st.engineMs, ms+20*float64(min(len(rs), 3)))
	st.regions += len(rs)
	for ti, th := range []float64{0.3, 0.5} {
		rank, _ := realRank(rs, s.box, th)
		for ki, k := range []int{1, 3, 8} {
			if rank >= 0 && rank < k {
				st.hit[ti][ki]++
			}
		}
	}
	rank, best := realRank(rs, s.box, 0.3)
	st.sumIoU += best
	_, best3 := realRank(rs[:min(len(rs), 3)], s.box, 0.3)
	st.sumIoU3 += best3
	switch {
	case rank < 0:
		st.ranks[4]++
	case rank < 3:
		st.ranks[rank]++
	default:
		st.ranks[3]++
	}
	if rank >= 0 && rank < 3 {
		r := rs[rank].Box
		st.sumTightW += float64(r.Dx()) / float64(s.box.Dx())
		st.sumTightH += float64(r.Dy()) / float64(s.box.Dy())
		st.nTight++
	}
	for i, r := range rs {
		if iou(r.Box, s.box) < 0.3 {
			st.false8++
			if i < 3 {
				st.false3++
			}
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func pctile(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func (st *realStats) report(t *testing.T, set string) {
	n := float64(st.n)
	pc := func(k int) string { return fmt.Sprintf("%5.1f%%", 100*float64(k)/n) }
	t.Logf("%s: %d images %v", set, st.n, st.dims)
	t.Logf("  recall IoU>=0.3  top-1 %s  top-3 %s  top-8 %s", pc(st.hit[0][0]), pc(st.hit[0][1]), pc(st.hit[0][2]))
	t.Logf("  recall IoU>=0.5  top-1 %s  top-3 %s  top-8 %s", pc(st.hit[1][0]), pc(st.hit[1][1]), pc(st.hit[1][2]))
	t.Logf("  not found (IoU>=0.3): in top-3 %d, in top-8 %d of %d", st.n-st.hit[0][1], st.n-st.hit[0][2], st.n)
	t.Logf("  mean best IoU: all regions %.3f, top-3 %.3f", st.sumIoU/n, st.sumIoU3/n)
	t.Logf("  rank of plate (IoU>=0.3): 0:%d 1:%d 2:%d 3-7:%d none:%d", st.ranks[0], st.ranks[1], st.ranks[2], st.ranks[3], st.ranks[4])
	if st.nTight > 0 {
		t.Logf("  matched box / truth: width %.2f height %.2f", st.sumTightW/float64(st.nTight), st.sumTightH/float64(st.nTight))
	}
	t.Logf("  regions per image %.2f, false (IoU<0.3) %.2f, false in top-3 %.2f", float64(st.regions)/n, float64(st.false8)/n, float64(st.false3)/n)
	t.Logf("  detect ms: median %.2f p90 %.2f max %.2f; engine estimate (+20 ms per region read, <= 3): median %.1f p90 %.1f",
		median(st.ms), pctile(st.ms, 90), pctile(st.ms, 100), median(st.engineMs), pctile(st.engineMs, 90))
}

// dumpTo writes img with the truth (green) and the regions
// (red best, yellow second and third, blue others) drawn on it as a PNG in dir.
func dumpTo(t *testing.T, dir, name string, img *image.Gray, rs []ocr.Region, truth image.Rectangle) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := image.NewRGBA(img.Rect)
	draw.Draw(c, c.Rect, img, img.Rect.Min, draw.Src)
	rect := func(b image.Rectangle, col [3]uint8) {
		for _, e := range []image.Rectangle{
			image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+1), image.Rect(b.Min.X, b.Max.Y-1, b.Max.X, b.Max.Y),
			image.Rect(b.Min.X, b.Min.Y, b.Min.X+1, b.Max.Y), image.Rect(b.Max.X-1, b.Min.Y, b.Max.X, b.Max.Y),
		} {
			e = e.Intersect(c.Rect)
			for y := e.Min.Y; y < e.Max.Y; y++ {
				for x := e.Min.X; x < e.Max.X; x++ {
					o := c.PixOffset(x, y)
					c.Pix[o], c.Pix[o+1], c.Pix[o+2] = col[0], col[1], col[2]
				}
			}
		}
	}
	rect(truth.Inset(-2), [3]uint8{0, 255, 0})
	for i := len(rs) - 1; i >= 0; i-- {
		col := [3]uint8{0, 120, 255}
		switch i {
		case 0:
			col = [3]uint8{255, 0, 0}
		case 1, 2:
			col = [3]uint8{255, 200, 0}
		}
		rect(rs[i].Box, col)
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

// BenchmarkRealDetect runs Detect over the 1280x720 frames of endtoend-us
// (skipped without ALPRD_DATASETS).
func BenchmarkRealDetect(b *testing.B) {
	root := os.Getenv("ALPRD_DATASETS")
	if root == "" {
		b.Skip("ALPRD_DATASETS not set")
	}
	dir := filepath.Join(root, "endtoend-us")
	samples, err := readLabels(dir)
	if err != nil {
		b.Fatal(err)
	}
	var imgs []*image.Gray
	for _, s := range samples {
		img, err := loadLuma(filepath.Join(dir, s.name))
		if err != nil {
			b.Fatal(err)
		}
		if img.Rect.Dx() == 1280 && img.Rect.Dy() == 720 {
			imgs = append(imgs, img)
		}
	}
	d := New(Options{})
	d.Detect(imgs[0])
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Detect(imgs[i%len(imgs)])
	}
}
