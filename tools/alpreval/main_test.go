package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"alprd/ocr"
	"alprd/ocr/tess"
	"alprd/tools/alpreval/eval"
	"alprd/tools/platesynth/synth"
)

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	crops := cropsDir(t)
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no folder", nil, "want one data set folder, got 0 arguments"},
		{"two folders", []string{dir, dir}, "want one data set folder, got 2 arguments"},
		{"workers", []string{"-workers", "0", dir}, "-workers 0: want at least 1"},
		{"limit", []string{"-limit", "-1", dir}, "-limit -1: want 0 (all) or more"},
		{"layout", []string{"-layout", "yolo", dir}, `-layout "yolo": want auto, endtoend or crops`},
		{"region", []string{"-region", "mars", dir}, `-region "mars": syntax: unknown region "mars"`},
		{"chars", []string{"-min-chars", "5", "-max-chars", "3", dir}, "-min-chars 5, -max-chars 3: want 1 <= min <= max"},
		{"confidence", []string{"-min-confidence", "101", dir}, "-min-confidence 101: want 0 to 100"},
		{"max plates", []string{"-max-plates", "0", dir}, "-max-plates 0: want at least 1"},
		{"unknown flag", []string{"-colour", dir}, "flag provided but not defined: -colour"},
		{"blank crops", []string{"-blank", crops}, "-blank: " + crops + " holds plate crops; painting the plates out needs full frames"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), tt.args, &stdout, &stderr); got != 2 {
				t.Fatalf("got exit status %d, want 2 (stderr %q)", got, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("got stdout %q, want none", stdout.String())
			}
		})
	}
}

// cropsDir returns a new folder of one plate crop, in the crops layout.
func cropsDir(t *testing.T) string {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, synth.Flat(40, 20, 200)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, eval.GroundTruthFile), []byte("a.png,ca,7ABC123\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := run(context.Background(), []string{"-h"}, &stdout, &stderr); got != 0 {
		t.Fatalf("got exit status %d, want 0", got)
	}
	if !strings.Contains(stderr.String(), "usage: alpreval [flags] DIR") {
		t.Errorf("got help %q, want the usage line", stderr.String())
	}
}

func TestRunFailures(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"x.jpg": "not a jpeg", "x.txt": "x.jpg\t1\t2\t3\n"} {
		if err := os.WriteFile(filepath.Join(bad, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing folder", []string{filepath.Join(dir, "none")}, "alpreval: eval: data set: stat " + filepath.Join(dir, "none") + ": no such file or directory\n"},
		{"bad label", []string{bad}, "alpreval: " + filepath.Join(bad, "x.txt") + ":1: got 4 fields, want 6 (image x y width height plate)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), tt.args, &stdout, &stderr); got != 1 {
				t.Fatalf("got exit status %d, want 1 (stderr %q)", got, stderr.String())
			}
			if stderr.String() != tt.want {
				t.Errorf("got stderr %q, want %q", stderr.String(), tt.want)
			}
		})
	}
}

// needTesseract skips the test when the reader cannot work at all here (a
// build without cgo); any other failure to open is a test failure.
func needTesseract(t *testing.T) {
	t.Helper()
	r := tess.New(tess.Config{Language: "eng"})
	err := r.Open()
	if errors.Is(err, tess.ErrNoCgo) {
		t.Skip("built without cgo: no Tesseract")
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

// synthSet writes n synthesized samples in layout to a new folder named
// name and returns its path.
func synthSet(t *testing.T, name, layout string, n int, seed uint64) string {
	t.Helper()
	opts := synth.DefaultOptions()
	opts.Seed = seed
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := synth.WriteDataset(dir, layout, n, g); err != nil {
		t.Fatal(err)
	}
	return dir
}

// summaryKeys are the fields of the JSON summary, in order.
var summaryKeys = []string{
	"set", "layout", "images", "region", "corrector",
	"detect_recall", "detect_recall50", "found", "missed", "other_reads", "other_images", "blank",
	"top1", "top1_o0", "top10", "top1_n", "top1_o0_n", "top10_n",
	"median_ms", "p90_ms", "total_s", "decode_median_ms", "decode_total_s", "wall_s",
	"peak_mb", "heap_mb",
	"workers", "max_plates", "reread", "min_chars", "max_chars", "min_confidence",
}

// TestEvaluateSynthetic runs the whole command, real Tesseract included,
// over small synthesized data sets and checks that the figures hang
// together.
func TestEvaluateSynthetic(t *testing.T) {
	needTesseract(t)
	const n = 8
	e2e := synthSet(t, "synth-us", synth.LayoutEndToEnd, n, 11)
	crops := synthSet(t, "crops", synth.LayoutCrops, n, 12)
	tests := []struct {
		name    string
		args    []string
		dir     string
		images  int
		layout  string
		region  string
		corr    string
		workers int
		html    bool
		verbose bool
	}{
		{"endtoend", []string{"-v"}, e2e, n, eval.LayoutEndToEnd, "us", "syntax us", 1, true, true},
		{"endtoend, 2 workers, limit", []string{"-workers", "2", "-limit", "5", "-region", "auto"}, e2e, 5, eval.LayoutEndToEnd, "auto", "syntax br+eu+us", 2, false, false},
		{"crops", nil, crops, n, eval.LayoutCrops, "auto", "syntax br+eu+us", 1, true, false},
		{"crops, no corrector", []string{"-region", "none"}, crops, n, eval.LayoutCrops, "none", "none", 1, false, false},
		{"crops read as endtoend", []string{"-layout", "endtoend"}, crops, 0, "", "", "", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := slices.Clone(tt.args)
			htmlDir := filepath.Join(t.TempDir(), "report")
			if tt.html {
				args = append(args, "-html", htmlDir)
			}
			args = append(args, tt.dir)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			if tt.images == 0 {
				// groundtruth.csv's folder has no NAME.txt labels.
				if code != 1 || !strings.Contains(stderr.String(), "has no label") {
					t.Errorf("got exit status %d, stderr %q, want 1 and a missing label", code, stderr.String())
				}
				return
			}
			if code != 0 {
				t.Fatalf("got exit status %d, want 0; stderr:\n%s", code, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
			last := lines[len(lines)-1]

			// Structure: exactly the documented keys, in order.
			var keys []string
			dec := json.NewDecoder(strings.NewReader(last))
			if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
				t.Fatalf("last line %q: got %v %v, want a JSON object", last, tok, err)
			}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, tok.(string))
				var v any
				if err := dec.Decode(&v); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(keys, summaryKeys) {
				t.Errorf("got keys %q,\nwant %q", keys, summaryKeys)
			}
			var s eval.Summary
			if err := json.Unmarshal([]byte(last), &s); err != nil {
				t.Fatal(err)
			}

			// Figures.
			if s.Set != filepath.Base(tt.dir) || s.Layout != tt.layout || s.Images != tt.images || s.Region != tt.region ||
				s.Workers != tt.workers || s.Corrector != tt.corr {
				t.Errorf("got set %q layout %q images %d region %q workers %d corrector %q, want %q %q %d %q %d %q",
					s.Set, s.Layout, s.Images, s.Region, s.Workers, s.Corrector, filepath.Base(tt.dir), tt.layout, tt.images, tt.region, tt.workers, tt.corr)
			}
			if s.Found+s.Missed != s.Images || s.Found < 0 || s.Missed < 0 {
				t.Errorf("got found %d + missed %d, want %d images", s.Found, s.Missed, s.Images)
			}
			if !(s.Top1N <= s.Top1O0N && s.Top1N <= s.Top10N && s.Top10N <= s.Images) {
				t.Errorf("got top-1 %d, top-1 O=0 %d, top-10 %d of %d: want top-1 <= both <= images", s.Top1N, s.Top1O0N, s.Top10N, s.Images)
			}
			if want := float64(s.Top1N) / float64(s.Images); abs(s.Top1-want) > 1e-4 {
				t.Errorf("got top-1 rate %v, want %v", s.Top1, want)
			}
			if s.Top1 < 0.5 {
				t.Errorf("got top-1 %.2f on synthetic plates, want at least 0.5", s.Top1)
			}
			if tt.layout == eval.LayoutEndToEnd {
				if s.DetectRecall == nil || s.DetectRecall50 == nil || *s.DetectRecall50 > *s.DetectRecall || *s.DetectRecall > 1 || *s.DetectRecall < 0.5 {
					t.Errorf("got detection recall %v, at 0.5 %v: want 0.5 <= recall <= 1 and recall at 0.5 below", ptr(s.DetectRecall), ptr(s.DetectRecall50))
				}
			} else if s.DetectRecall != nil || s.DetectRecall50 != nil {
				t.Errorf("got detection recall %v for crops, want null", *s.DetectRecall)
			}
			if !(0 < s.MedianMS && s.MedianMS <= s.P90MS && s.P90MS <= 1000*s.TotalS+0.1 && s.TotalS <= s.WallS*float64(s.Workers)+0.01) {
				t.Errorf("got median %v ms, p90 %v ms, total %v s, wall %v s: want 0 < median <= p90 <= total <= wall x workers", s.MedianMS, s.P90MS, s.TotalS, s.WallS)
			}
			if s.PeakMB <= 0 || s.HeapMB <= 0 {
				t.Errorf("got peak %v MB, heap %v MB, want both above 0", s.PeakMB, s.HeapMB)
			}
			if s.MaxPlates != 3 || s.MinChars != 2 || s.MaxChars != ocr.DefaultMaxChars || s.MinConfidence != 50 {
				t.Errorf("got limits %d %d..%d %v, want the unit's defaults 3 2..%d 50", s.MaxPlates, s.MinChars, s.MaxChars, s.MinConfidence, ocr.DefaultMaxChars)
			}

			// The human table and -v lines come before the JSON.
			if !strings.Contains(stdout.String(), "top-1 exact") {
				t.Errorf("got stdout %q, want the table", stdout.String())
			}
			perImage := regexp.MustCompile(`^ *[0-9]+/` + itoa(tt.images) + ` `)
			got := 0
			for _, l := range lines {
				if perImage.MatchString(l) {
					got++
				}
			}
			if tt.verbose && got != tt.images || !tt.verbose && got != 0 {
				t.Errorf("got %d per-image lines, want %d (verbose %v)", got, tt.images, tt.verbose)
			}
			if !strings.Contains(stderr.String(), itoa(tt.images)+"/"+itoa(tt.images)+" images") {
				t.Errorf("got stderr %q, want progress lines", stderr.String())
			}

			if tt.html {
				b, err := os.ReadFile(filepath.Join(htmlDir, "index.html"))
				if err != nil {
					t.Fatal(err)
				}
				if got, want := strings.Count(string(b), `class="entry"`), s.Images-s.Top1N; got != want {
					t.Errorf("got %d report entries, want %d (images not read right)", got, want)
				}
				files, _ := filepath.Glob(filepath.Join(htmlDir, "*-crop.png"))
				if len(files) != s.Images-s.Top1N {
					t.Errorf("got %d crops, want %d", len(files), s.Images-s.Top1N)
				}
			}
		})
	}
}

func abs(v float64) float64 { return max(v, -v) }

func ptr(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestEvaluateBlank runs the command with -blank over a synthesized set: with
// its plates painted out, no returned plate overlaps a label box, and every
// read counts as another read; the same frames as they are have their plates
// found.
func TestEvaluateBlank(t *testing.T) {
	needTesseract(t)
	const n = 6
	dir := synthSet(t, "synth-us", synth.LayoutEndToEnd, n, 13)
	summary := func(args ...string) (eval.Summary, string) {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append(args, dir), &stdout, &stderr); code != 0 {
			t.Fatalf("%v: got exit status %d, want 0; stderr:\n%s", args, code, stderr.String())
		}
		out := strings.TrimRight(stdout.String(), "\n")
		var s eval.Summary
		if err := json.Unmarshal([]byte(out[strings.LastIndexByte(out, '\n')+1:]), &s); err != nil {
			t.Fatal(err)
		}
		return s, out
	}
	plain, _ := summary()
	blank, table := summary("-blank")
	if plain.Blank || !blank.Blank {
		t.Errorf("got blank %v without -blank, %v with it", plain.Blank, blank.Blank)
	}
	if plain.Found < n-1 {
		t.Errorf("without -blank: %d of %d plates found, want %d or more", plain.Found, n, n-1)
	}
	if blank.Found != 0 || blank.Top1N != 0 {
		t.Errorf("with -blank: %d plates found, %d read right, want none", blank.Found, blank.Top1N)
	}
	if blank.OtherImages > blank.OtherReads || blank.OtherImages > n || plain.OtherImages > plain.OtherReads {
		t.Errorf("got other reads %d in %d images (blank), %d in %d (plain): want images <= reads, <= %d",
			blank.OtherReads, blank.OtherImages, plain.OtherReads, plain.OtherImages, n)
	}
	if !strings.Contains(table, "each labelled plate painted out") || !strings.Contains(table, "other reads") {
		t.Errorf("got table %q, want the blank line and the other reads", table)
	}
}
