//go:build cgo

package tess

import (
	"encoding/csv"
	"image"
	"image/draw"
	_ "image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"alprd/ocr"
)

// The real plate crops of the shared development data sets (see the
// data sets' README): never part of the repository, so this test skips
// unless $ALPRD_DATASETS names the folder that holds crops-us/. It
// measures, it does not assert: the figures are for people.
//
//	ALPRD_DATASETS=../shared/datasets go test -run TestCropsUS -v ./ocr/tess
//
// Other variables: ALPRD_CFG=lang=eng,charh=40,binarize (the Config);
// ALPRD_PLATE_MODEL=FILE (a plate.traineddata to try in place of the
// built-in one, e.g. a fresh train/train.sh output); ALPRD_ONLY=SUBSTR (only
// the files whose name holds it); ALPRD_MISSES=1 (log every miss);
// ALPRD_DUMP=DIR (write what Tesseract was given, for looking at; never into
// the repository).

type labelled struct {
	name, state, plate string
	img                *image.Gray
}

func cropsUS(tb testing.TB) []labelled {
	tb.Helper()
	root := os.Getenv("ALPRD_DATASETS")
	if root == "" {
		tb.Skip("ALPRD_DATASETS not set")
	}
	dir := filepath.Join(root, "crops-us")
	f, err := os.Open(filepath.Join(dir, "groundtruth.csv"))
	if err != nil {
		tb.Skipf("no crops-us: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var out []labelled
	for i, r := range recs {
		if i == 0 || len(r) < 3 {
			continue
		}
		if only := os.Getenv("ALPRD_ONLY"); only != "" && !strings.Contains(r[0], only) {
			continue
		}
		img, err := loadGray(filepath.Join(dir, r[0]))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, labelled{r[0], r[1], strings.ToUpper(r[2]), img})
	}
	return out
}

func loadGray(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		return nil, err
	}
	if g, ok := m.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(m.Bounds())
	draw.Draw(g, g.Rect, m, m.Bounds().Min, draw.Src)
	return g, nil
}

// TestCropsUS reports top-1 exact, within-candidates and time per plate on
// crops-us.
func TestCropsUS(t *testing.T) {
	set := cropsUS(t)
	cfg := Config{}
	for _, kv := range strings.Split(os.Getenv("ALPRD_CFG"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "binarize":
			cfg.Binarize = true
		case "lang":
			cfg.Language = v
		case "charh":
			cfg.CharHeight, _ = strconv.Atoi(v)
		}
	}
	r := New(cfg)
	if p := os.Getenv("ALPRD_PLATE_MODEL"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r.model = b
	}
	if err := r.Open(); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var top1, topN, o0 int
	var times []time.Duration
	for _, s := range set {
		start := time.Now()
		rd, err := r.Read(s.img)
		el := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		times = append(times, el)
		if dir := os.Getenv("ALPRD_DUMP"); dir != "" {
			dump(t, filepath.Join(dir, strings.TrimSuffix(s.name, ".png")+"-prep.png"), r.prep.image())
			dump(t, filepath.Join(dir, strings.TrimSuffix(s.name, ".png")+"-line.png"), r.prep.line())
		}
		in := slices.ContainsFunc(rd.Candidates, func(c ocr.Candidate) bool { return c.Text == s.plate })
		switch {
		case rd.Text == s.plate:
			top1++
		case os.Getenv("ALPRD_MISSES") != "":
			var cs []string
			for _, c := range rd.Candidates {
				cs = append(cs, c.Text)
			}
			t.Logf("miss %-12s want %-8s got %-8s in=%v raw %q %v", s.name, s.plate, rd.Text, in, rd.Raw, cs)
		}
		if in {
			topN++
		}
		if strings.ReplaceAll(rd.Text, "O", "0") == strings.ReplaceAll(s.plate, "O", "0") {
			o0++
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	n := len(set)
	var sum time.Duration
	for _, d := range times {
		sum += d
	}
	t.Logf("crops-us, language %q: %d plates, top-1 exact %.1f%% (%d), O=0 %.1f%%, within candidates %.1f%% (%d); per plate mean %.1f ms, median %.1f ms, p90 %.1f ms",
		r.cfg.Language, n, pc(top1, n), top1, pc(o0, n), pc(topN, n), topN,
		ms(sum/time.Duration(n)), ms(times[n/2]), ms(times[n*9/10]))
}

func pc(a, n int) float64        { return 100 * float64(a) / float64(n) }
func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// dump writes img as a PNG (for looking at what Tesseract was given).
func dump(t testing.TB, path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
