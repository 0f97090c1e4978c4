package eval

import (
	"alprd/hal/camera"

	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"alprd/ocr"
)

// Config says how to run the engine over a data set. Zero limits take the
// Engine's defaults.
type Config struct {
	// Detector finds plates in end-to-end frames; unused for crops. It is
	// shared by the workers, so it must be safe for concurrent use.
	Detector ocr.Detector
	// NewReader returns an open Reader; each worker calls it once and Run
	// closes what it returns.
	NewReader func() (ocr.Reader, error)
	// NewCorrector returns the Corrector of one worker; nil means none
	// (readings are kept as read), as does a nil Corrector returned.
	NewCorrector func() (ocr.Corrector, error)

	MaxPlates     int     // regions read per frame; 0 = 3 (the Engine's default)
	Reread        float64 // see ocr.Engine.Reread; 0 = one read per region
	MinChars      int     // 0 = ocr.DefaultMinChars
	MaxChars      int     // 0 = ocr.DefaultMaxChars
	MinConfidence float64 // readings below are dropped

	Workers int // goroutines, each with its own Engine and Reader; 0 = 1
	Limit   int // evaluate only the first Limit images (by name); 0 = all

	// Blank paints each labelled plate out of its frame before recognition
	// (see Blank), end-to-end sets only: every plate the Engine then
	// returns is a read of something that is not the plate (Summary's
	// OtherReads), and the accuracy figures mean nothing.
	Blank bool

	// HTMLDir, when set, receives for each image not read right (top-1;
	// with Blank, each image that gave a read) a crop and a frame
	// thumbnail, for WriteHTML to link. It must exist.
	HTMLDir string

	// Progress, when set, is called after each image, in the order they
	// finish, from one goroutine at a time.
	Progress func(done, total int, r *Result)

	// Reported in the summary only.
	Region    string // plate region the Corrector was made for
	Corrector string // what the Corrector is, "none" when nil
}

func (c Config) withDefaults() Config {
	if c.MaxPlates <= 0 {
		c.MaxPlates = 3
	}
	if c.MinChars <= 0 {
		c.MinChars = ocr.DefaultMinChars
	}
	if c.MaxChars <= 0 {
		c.MaxChars = ocr.DefaultMaxChars
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.Corrector == "" {
		c.Corrector = "none"
	}
	return c
}

// Result is the evaluation of one image.
type Result struct {
	Index   int // position in the evaluated items
	Item    Item
	Size    image.Point       // image size in pixels
	Box     image.Rectangle   // the label box (the whole image for crops)
	Regions []image.Rectangle // end-to-end: the detector regions the engine read
	Plates  []Plate           // what the engine returned, best detection first
	Outcome

	Decode    time.Duration // reading the file and taking its luma plane
	Recognize time.Duration // Engine.Recognize, or Read+Correct for crops

	// Files written to Config.HTMLDir, relative to it; empty when none.
	CropFile, FrameFile string
}

// Report is a finished evaluation.
type Report struct {
	Set     *Dataset
	Config  Config // with defaults filled in
	Results []Result
	Wall    time.Duration // the whole run, readers' start-up included
	Summary Summary
}

// Run evaluates cfg's engine over ds. It stops at the first engine, decode
// or write error, or when ctx is done, and returns that error.
func Run(ctx context.Context, ds *Dataset, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if cfg.NewReader == nil {
		return nil, errors.New("eval: run: no NewReader")
	}
	if ds.Layout == LayoutEndToEnd && cfg.Detector == nil {
		return nil, errors.New("eval: run: no Detector for an end-to-end data set")
	}
	if cfg.Blank && ds.Layout != LayoutEndToEnd {
		return nil, errors.New("eval: run: Blank needs an end-to-end data set (crops are all plate)")
	}
	items := ds.Items
	if cfg.Limit > 0 && cfg.Limit < len(items) {
		items = items[:cfg.Limit]
	}
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	results := make([]Result, len(items))
	jobs := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Workers, len(items)) {
		wg.Go(func() {
			if err := work(ctx, ds.Layout, cfg, items, results, jobs, done); err != nil {
				cancel(err)
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := range items {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()
	n := 0
	for i := range done {
		n++
		if cfg.Progress != nil {
			cfg.Progress(n, len(items), &results[i])
		}
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	rep := &Report{Set: ds, Config: cfg, Results: results, Wall: time.Since(start)}
	rep.Summary = Summarize(ds, cfg, results, rep.Wall)
	rep.Summary.PeakMB, rep.Summary.HeapMB = memory()
	return rep, nil
}

// work is one worker: it takes item indices from jobs until jobs is closed
// or ctx is done, and sends each finished index to done.
func work(ctx context.Context, layout string, cfg Config, items []Item, results []Result, jobs <-chan int, done chan<- int) (err error) {
	reader, err := cfg.NewReader()
	if err != nil {
		return fmt.Errorf("eval: opening a reader: %w", err)
	}
	defer func() {
		if cerr := reader.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("eval: closing a reader: %w", cerr)
		}
	}()
	var corr ocr.Corrector
	if cfg.NewCorrector != nil {
		if corr, err = cfg.NewCorrector(); err != nil {
			return fmt.Errorf("eval: making a corrector: %w", err)
		}
	}
	rec := &recorder{d: cfg.Detector}
	eng := &ocr.Engine{
		Detector: rec, Reader: reader, Corrector: corr,
		MaxPlates: cfg.MaxPlates, MinChars: cfg.MinChars, MaxChars: cfg.MaxChars, MinConfidence: cfg.MinConfidence,
		Reread: cfg.Reread,
	}
	for i := range jobs {
		r := &results[i]
		*r = Result{Index: i, Item: items[i]}
		if err := evalOne(layout, cfg, eng, rec, r); err != nil {
			return err
		}
		select {
		case done <- i:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// evalOne decodes, recognises and scores one image into r.
func evalOne(layout string, cfg Config, eng *ocr.Engine, rec *recorder, r *Result) error {
	t := time.Now()
	img, err := Decode(r.Item.Path)
	if err != nil {
		return err
	}
	gray := camera.Luma(img)
	if cfg.Blank { // end-to-end only (see Run)
		Blank(gray, r.Item.Label.Box)
		img = gray // the report shows the frame as read
	}
	r.Decode = time.Since(t)
	r.Size = gray.Rect.Size()

	if layout == LayoutCrops {
		r.Box = gray.Rect
		t = time.Now()
		rd, _, err := eng.Read(gray, gray.Rect)
		if err != nil {
			return fmt.Errorf("eval: %s: %w", r.Item.Name, err)
		}
		r.Recognize = time.Since(t)
		if eng.Keeps(rd) {
			r.Plates = []Plate{PlateOf(ocr.Plate{Region: ocr.Region{Box: gray.Rect}, Reading: rd})}
		}
	} else {
		r.Box = r.Item.Label.Box
		rec.regions = nil
		t = time.Now()
		plates, err := eng.Recognize(gray)
		r.Recognize = time.Since(t)
		if err != nil {
			return fmt.Errorf("eval: %s: %w", r.Item.Name, err)
		}
		for _, reg := range rec.regions[:min(len(rec.regions), cfg.MaxPlates)] {
			r.Regions = append(r.Regions, reg.Box)
		}
		for _, p := range plates {
			r.Plates = append(r.Plates, PlateOf(p))
		}
	}
	r.Outcome = Score(r.Box, r.Item.Label.Plate, r.Regions, r.Plates)
	if cfg.HTMLDir != "" && reported(r, cfg.Blank) {
		return writeEvidence(cfg.HTMLDir, img, r, cfg.Blank)
	}
	return nil
}

// recorder is a Detector that remembers what it returned last, so that
// detection can be scored apart from reading. One per worker.
type recorder struct {
	d       ocr.Detector
	regions []ocr.Region
}

func (r *recorder) Detect(img *image.Gray) []ocr.Region {
	r.regions = r.d.Detect(img)
	return r.regions
}
