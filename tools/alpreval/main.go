// Command alpreval runs the recognition engine over a labelled folder of
// images and reports its accuracy and speed: the baseline the recognition
// work is measured against.
//
//	alpreval [flags] DIR
//
// DIR is in one of the openalpr benchmark layouts: full frames NAME.jpg with
// NAME.txt labels ("NAME.jpg x y width height PLATE"), or plate crops with
// groundtruth.csv ("file,state,plate"); the layout is detected (a
// groundtruth.csv means crops) unless -layout says. Frames go through
// ocr.Engine (the detector of package ocr/detect, the Tesseract reader of
// package ocr/tess) exactly as the unit runs them, with the unit's default
// limits; crops skip detection and are read like a region (twice with
// -reread, voted).
//
// Flags:
//
//	-workers N       engines in parallel, each with its own Tesseract (default 1,
//	                 comparable with OpenALPR's one-thread figures)
//	-limit N         only the first N images, by name
//	-layout L        auto, endtoend or crops (default auto)
//	-region R        plate syntax of the Corrector (package ocr/syntax): us, eu,
//	                 br, a jurisdiction such as us-ca, auto (all regions) or
//	                 none (no Corrector); default from the folder name, e.g.
//	                 endtoend-eu -> eu, else auto
//	-html DIR        write DIR/index.html showing each image not read right:
//	                 crop, label, reading, candidates, frame with boxes
//	-v               print each image's result
//	-blank           paint each labelled plate out of its frame first (end-to-end
//	                 sets): what the engine then reads is not a plate, counted
//	                 as "other reads"; the accuracy figures mean nothing then
//	-min-confidence, -max-plates, -reread, -min-chars, -max-chars,
//	-min-plate-width, -lang, -tessdata: engine settings (defaults: the
//	unit's configuration)
//
// Output: progress on stderr (a bar on a terminal, else a line per tenth),
// a table of the figures on stdout, and as the last line of stdout the same
// figures as one line of JSON (see eval.Summary). The metrics are defined
// in package alprd/tools/alpreval/eval. Exit status 2 means bad usage, 1 a
// failed run.
//
// The HTML report holds crops of the data set's images: write it outside
// the repository.
package main

import (
	"alprd/tools/internal/cli"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"alprd/firmware/config"
	"alprd/ocr"
	"alprd/ocr/detect"
	"alprd/ocr/syntax"
	"alprd/ocr/tess"
	"alprd/tools/alpreval/eval"
)

func main() {
	// Run the engine under the unit's limit on the Go heap, so that the
	// peak memory measured is the unit's.
	ocr.LimitGoMemory()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command and returns its exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("alpreval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := config.Default().OCR
	workers := fs.Int("workers", 1, "engines run in parallel, each with its own Tesseract")
	limit := fs.Int("limit", 0, "evaluate only the first `N` images (by name); 0 = all")
	layout := fs.String("layout", "auto", "data set layout: auto, "+eval.LayoutEndToEnd+" or "+eval.LayoutCrops)
	region := fs.String("region", "", "plate syntax of the Corrector: us, eu, br, a jurisdiction (us-ca), auto (all) or none (default from the folder name, else auto)")
	htmlDir := fs.String("html", "", "write an HTML report of the images not read right to `DIR`")
	verbose := fs.Bool("v", false, "print each image's result")
	blank := fs.Bool("blank", false, "paint each labelled plate out of its frame before reading (end-to-end sets): every read is then of something else")
	minConf := fs.Float64("min-confidence", def.MinConfidence, "readings below this confidence (0..100) are dropped")
	maxPlates := fs.Int("max-plates", def.MaxPlates, "regions read per frame")
	reread := fs.Float64("reread", def.Reread, "read each region again with its box grown by this fraction (negative: shrunk) and vote; 0 = once")
	minChars := fs.Int("min-chars", def.MinChars, "readings with fewer characters are dropped")
	maxChars := fs.Int("max-chars", def.MaxChars, "readings with more characters are dropped")
	minWidth := fs.Int("min-plate-width", def.MinPlateWidth, "narrowest plate the detector looks for, in pixels")
	lang := fs.String("lang", def.Language, "Tesseract language")
	tessdata := fs.String("tessdata", def.Tessdata, "tessdata `folder` (default Tesseract's own)")
	if status, ok := cli.Parse(fs, args, "alpreval [flags] DIR",
		"Runs the plate recognition engine over a labelled folder of images (openalpr\nbenchmark layouts) and reports accuracy and speed; the last line of output is JSON."); !ok {
		return status
	}
	usage := func(format string, a ...any) int { return cli.Usagef(stderr, "alpreval", format, a...) }
	fail := func(err error) int {
		fmt.Fprintf(stderr, "alpreval: %v\n", err)
		return 1
	}
	switch {
	case fs.NArg() != 1:
		return usage("want one data set folder, got %d arguments", fs.NArg())
	case *workers < 1:
		return usage("-workers %d: want at least 1", *workers)
	case *limit < 0:
		return usage("-limit %d: want 0 (all) or more", *limit)
	case *layout != "auto" && *layout != eval.LayoutEndToEnd && *layout != eval.LayoutCrops:
		return usage("-layout %q: want auto, %s or %s", *layout, eval.LayoutEndToEnd, eval.LayoutCrops)
	case *maxPlates < 1:
		return usage("-max-plates %d: want at least 1", *maxPlates)
	case *minChars < 1 || *maxChars < *minChars:
		return usage("-min-chars %d, -max-chars %d: want 1 <= min <= max", *minChars, *maxChars)
	case *reread < -0.2 || *reread > 0.2:
		return usage("-reread %g: want -0.2 to 0.2", *reread)
	case *minConf < 0 || *minConf > 100:
		return usage("-min-confidence %g: want 0 to 100", *minConf)
	}
	dir := fs.Arg(0)
	if *region == "" {
		*region = eval.DefaultRegion(dir)
	}
	corrector, corrName, err := correctorFor(*region)
	if err != nil {
		return usage("-region %q: %v", *region, err)
	}

	lay := *layout
	if lay == "auto" {
		lay = ""
	}
	ds, err := eval.Load(dir, lay)
	if err != nil {
		return fail(err)
	}
	if *blank && ds.Layout != eval.LayoutEndToEnd {
		return usage("-blank: %s holds plate crops; painting the plates out needs full frames", dir)
	}
	for _, w := range ds.Warnings {
		fmt.Fprintf(stderr, "alpreval: warning: %s\n", w)
	}
	if *htmlDir != "" {
		if err := os.MkdirAll(*htmlDir, 0o755); err != nil {
			return fail(err)
		}
	}
	tcfg := tess.Config{Language: *lang, TessdataPrefix: *tessdata}
	cfg := eval.Config{
		Detector: detect.New(detect.Options{MinWidth: *minWidth, MaxRegions: *maxPlates}),
		NewReader: func() (ocr.Reader, error) {
			r := tess.New(tcfg)
			if err := r.Open(); err != nil {
				return nil, err
			}
			return r, nil
		},
		NewCorrector:  newCorrector(corrector),
		MaxPlates:     *maxPlates,
		Reread:        *reread,
		MinChars:      *minChars,
		MaxChars:      *maxChars,
		MinConfidence: *minConf,
		Workers:       *workers,
		Limit:         *limit,
		HTMLDir:       *htmlDir,
		Blank:         *blank,
		Region:        *region,
		Corrector:     corrName,
	}
	prog := newProgress(stderr, stdout, *verbose)
	cfg.Progress = prog.update
	rep, err := eval.Run(ctx, ds, cfg)
	prog.finish()
	if err != nil {
		return fail(err)
	}
	if *htmlDir != "" {
		if err := eval.WriteHTML(*htmlDir, rep); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "alpreval: report in %s/index.html\n", strings.TrimRight(*htmlDir, "/"))
	}
	if err := rep.WriteTable(stdout); err != nil {
		return fail(err)
	}
	if err := rep.Summary.WriteJSON(stdout); err != nil {
		return fail(err)
	}
	return 0
}

// correctorFor returns the plate-syntax Corrector for region and its name
// for the report: "auto" means every region package syntax knows, "none"
// no Corrector (readings scored as Tesseract made them), anything else a
// region or jurisdiction of syntax.New ("us", "eu", "br", "us-ca").
func correctorFor(region string) (ocr.Corrector, string, error) {
	switch region {
	case "none":
		return nil, "none", nil
	case "auto":
		var all []string
		for _, r := range syntax.Regions() {
			if !strings.Contains(r, "-") {
				all = append(all, r)
			}
		}
		c, err := syntax.New(all...)
		if err != nil {
			return nil, "", err
		}
		return c, "syntax " + strings.Join(c.Regions(), "+"), nil
	}
	c, err := syntax.New(region)
	if err != nil {
		return nil, "", err
	}
	return c, "syntax " + strings.Join(c.Regions(), "+"), nil
}

// newCorrector shares c between the workers (a syntax.Corrector is
// immutable and safe for concurrent use); nil when c is nil.
func newCorrector(c ocr.Corrector) func() (ocr.Corrector, error) {
	if c == nil {
		return nil
	}
	return func() (ocr.Corrector, error) { return c, nil }
}

// progress shows how far the run is: a bar redrawn on a terminal, else a
// line every tenth of the images; with verbose, a line per image on out.
type progress struct {
	w, out  io.Writer
	tty     bool
	verbose bool
	start   time.Time
	top1    int
	last    int // tenths reported (non-terminal)
	drawn   bool
}

func newProgress(w, out io.Writer, verbose bool) *progress {
	return &progress{w: w, out: out, tty: isTerminal(w), verbose: verbose, start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(done, total int, r *eval.Result) {
	if r.Top1 {
		p.top1++
	}
	if p.verbose {
		p.clear()
		fmt.Fprintln(p.out, resultLine(done, total, r))
	}
	elapsed := time.Since(p.start)
	eta := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
	if p.tty {
		const width = 30
		n := width * done / total
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d  top-1 %.1f %%  eta %s ", strings.Repeat("=", n), strings.Repeat(" ", width-n),
			done, total, 100*float64(p.top1)/float64(done), eta.Round(time.Second))
		p.drawn = true
		return
	}
	if t := 10 * done / total; t > p.last {
		p.last = t
		fmt.Fprintf(p.w, "alpreval: %d/%d images, top-1 %.1f %%, %s elapsed\n", done, total, 100*float64(p.top1)/float64(done), elapsed.Round(100*time.Millisecond))
	}
}

// clear erases the bar so that another line can be printed.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func (p *progress) finish() { p.clear() }

// resultLine is the -v line of one image.
func resultLine(done, total int, r *eval.Result) string {
	verdict := "ok"
	switch {
	case !r.Found:
		verdict = "NOT FOUND"
	case !r.Top1 && r.Top1O0:
		verdict = "ok with O=0"
	case !r.Top1:
		verdict = "MISREAD"
	}
	read := "-"
	if r.Best >= 0 {
		p := r.Plates[r.Best]
		read = fmt.Sprintf("%s (conf %.0f, IoU %.2f)", p.Text, p.Confidence, p.IoU)
	}
	top10 := ""
	if !r.Top1 && r.Top10 {
		top10 = " in top-10"
	}
	return fmt.Sprintf("%4d/%d %-40s label %-9s read %-30s %s%s  %.0f ms",
		done, total, r.Item.Name, r.Item.Label.Plate, read, verdict, top10, float64(r.Recognize.Microseconds())/1000)
}
