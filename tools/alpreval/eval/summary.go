package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Summary holds the figures of a run; it is the JSON line alpreval prints
// last. Rates are fractions 0..1 of Images; see the package doc for their
// definitions.
type Summary struct {
	Set       string `json:"set"`    // data set folder name
	Layout    string `json:"layout"` // endtoend or crops
	Images    int    `json:"images"`
	Region    string `json:"region"`
	Corrector string `json:"corrector"` // "none" when readings are kept as read

	DetectRecall   *float64 `json:"detect_recall"`   // IoU >= 0.3; null for crops
	DetectRecall50 *float64 `json:"detect_recall50"` // IoU >= 0.5; null for crops
	Found          int      `json:"found"`
	Missed         int      `json:"missed"` // images - found: "plates not found"

	// OtherReads counts the plates returned that do not overlap the label
	// box (IoU below MatchIoU): another car's plate, or what is not a
	// plate; with Blank, every plate returned (the labelled one is gone).
	// OtherImages counts the images with one or more.
	OtherReads  int  `json:"other_reads"`
	OtherImages int  `json:"other_images"`
	Blank       bool `json:"blank"` // the labelled plates painted out (Config.Blank)

	Top1    float64 `json:"top1"`
	Top1O0  float64 `json:"top1_o0"`
	Top10   float64 `json:"top10"`
	Top1N   int     `json:"top1_n"` // counts behind the rates
	Top1O0N int     `json:"top1_o0_n"`
	Top10N  int     `json:"top10_n"`

	MedianMS       float64 `json:"median_ms"` // recognition time per image
	P90MS          float64 `json:"p90_ms"`
	TotalS         float64 `json:"total_s"` // sum of recognition times
	DecodeMedianMS float64 `json:"decode_median_ms"`
	DecodeTotalS   float64 `json:"decode_total_s"`
	WallS          float64 `json:"wall_s"` // the whole run

	PeakMB float64 `json:"peak_mb"` // VmHWM at the end of the run; 0 when unknown
	HeapMB float64 `json:"heap_mb"` // Go heap obtained from the system

	Workers       int     `json:"workers"`
	MaxPlates     int     `json:"max_plates"`
	Reread        float64 `json:"reread"`
	MinChars      int     `json:"min_chars"`
	MaxChars      int     `json:"max_chars"`
	MinConfidence float64 `json:"min_confidence"`
}

// Summarize computes the summary of results (memory figures aside).
func Summarize(ds *Dataset, cfg Config, results []Result, wall time.Duration) Summary {
	cfg = cfg.withDefaults()
	s := Summary{
		Set: ds.Name, Layout: ds.Layout, Images: len(results), Region: cfg.Region, Corrector: cfg.Corrector,
		Workers: cfg.Workers, MaxPlates: cfg.MaxPlates, Reread: cfg.Reread, MinChars: cfg.MinChars, MaxChars: cfg.MaxChars,
		MinConfidence: cfg.MinConfidence, WallS: round(wall.Seconds(), 3), Blank: cfg.Blank,
	}
	var det, det50 int
	rec := make([]time.Duration, 0, len(results))
	dec := make([]time.Duration, 0, len(results))
	var recSum, decSum time.Duration
	for _, r := range results {
		det += b2i(r.Detected)
		det50 += b2i(r.Detected50)
		s.Found += b2i(r.Found)
		s.Top1N += b2i(r.Top1)
		s.Top1O0N += b2i(r.Top1O0)
		s.Top10N += b2i(r.Top10)
		other := 0
		for _, p := range r.Plates {
			other += b2i(cfg.Blank || p.IoU < MatchIoU)
		}
		s.OtherReads += other
		s.OtherImages += b2i(other > 0)
		rec = append(rec, r.Recognize)
		dec = append(dec, r.Decode)
		recSum += r.Recognize
		decSum += r.Decode
	}
	s.Missed = s.Images - s.Found
	rate := func(n int) float64 {
		if s.Images == 0 {
			return 0
		}
		return round(float64(n)/float64(s.Images), 4)
	}
	if ds.Layout == LayoutEndToEnd {
		a, b := rate(det), rate(det50)
		s.DetectRecall, s.DetectRecall50 = &a, &b
	}
	s.Top1, s.Top1O0, s.Top10 = rate(s.Top1N), rate(s.Top1O0N), rate(s.Top10N)
	s.MedianMS = ms(Quantile(rec, 0.5))
	s.P90MS = ms(Quantile(rec, 0.9))
	s.TotalS = round(recSum.Seconds(), 3)
	s.DecodeMedianMS = ms(Quantile(dec, 0.5))
	s.DecodeTotalS = round(decSum.Seconds(), 3)
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }

// memory returns the process's peak resident set (VmHWM, 0 when it cannot be
// read) and the Go heap obtained from the system, in MB (2^20 bytes).
func memory() (peak, heap float64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	heap = round(float64(m.HeapSys)/(1<<20), 1)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if kb, ok := statusKB(b, "VmHWM"); ok {
			peak = round(float64(kb)/1024, 1)
		}
	}
	return peak, heap
}

// statusKB finds "key:   N kB" in the text of /proc/self/status.
func statusKB(status []byte, key string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		return n, err == nil
	}
	return 0, false
}

// WriteJSON writes s as one line of JSON.
func (s Summary) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// WriteTable writes the human-readable report of rep: the figures with
// their definitions.
func (rep *Report) WriteTable(w io.Writer) error {
	s := rep.Summary
	bw := bufio.NewWriter(w)
	pct := func(n int) string {
		if s.Images == 0 {
			return "-"
		}
		return fmt.Sprintf("%5.1f %% (%d/%d)", 100*float64(n)/float64(s.Images), n, s.Images)
	}
	row := func(k, format string, a ...any) { fmt.Fprintf(bw, "%-16s %s\n", k, fmt.Sprintf(format, a...)) }
	row("set", "%s (%s, %d images)", s.Set, s.Layout, s.Images)
	if s.Blank {
		row("blank", "each labelled plate painted out: every read is of something else, and the accuracy below means nothing")
	}
	row("engine", "region %s, corrector %s; max %d plates/frame, reread %g, %d..%d chars, min confidence %g; %d worker(s)",
		s.Region, s.Corrector, s.MaxPlates, s.Reread, s.MinChars, s.MaxChars, s.MinConfidence, s.Workers)
	if s.DetectRecall != nil {
		var det, det50 int
		for _, r := range rep.Results {
			det += b2i(r.Detected)
			det50 += b2i(r.Detected50)
		}
		row("detect recall", "%s  a region read has IoU >= %.1f with the label box", pct(det), MatchIoU)
		row("  at IoU 0.5", "%s", pct(det50))
		row("not found", "%d  no returned plate has IoU >= %.1f (detection miss or reading dropped)", s.Missed, MatchIoU)
	} else {
		row("not found", "%d  reading dropped (fewer than %d or more than %d chars, or confidence below %g)", s.Missed, s.MinChars, s.MaxChars, s.MinConfidence)
	}
	if s.DetectRecall != nil {
		what := fmt.Sprintf("returned plates with IoU < %.1f with the label box: another plate, or not a plate", MatchIoU)
		if s.Blank {
			what = "every plate returned: none of them is the labelled one"
		}
		row("other reads", "%d in %d images  %s", s.OtherReads, s.OtherImages, what)
	}
	row("top-1 exact", "%s  best plate's text == label", pct(s.Top1N))
	row("top-1 O=0", "%s  the same, letter O == digit 0", pct(s.Top1O0N))
	row("top-10", "%s  label among the first %d candidates", pct(s.Top10N), TopN)
	row("time/image", "median %.0f ms, p90 %.0f ms, total %.1f s (recognition, decode excluded)", s.MedianMS, s.P90MS, s.TotalS)
	row("decode/image", "median %.0f ms, total %.1f s", s.DecodeMedianMS, s.DecodeTotalS)
	row("wall", "%.1f s", s.WallS)
	peak := "unknown"
	if s.PeakMB > 0 {
		peak = fmt.Sprintf("%.0f MB", s.PeakMB)
	}
	row("memory", "peak RSS (VmHWM) %s, Go heap %.0f MB", peak, s.HeapMB)
	return bw.Flush()
}
