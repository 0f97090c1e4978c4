package eval

import (
	"bytes"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	xdraw "golang.org/x/image/draw"
)

// ThumbWidth is the width of the frame thumbnails in the HTML report.
const ThumbWidth = 640

var (
	labelColor  = color.RGBA{0, 200, 0, 255} // label box: green
	detectColor = color.RGBA{230, 0, 0, 255} // detector regions: red
)

// reported reports whether the report shows r: an image not read right, or,
// with the plates painted out (blank), one that gave a read.
func reported(r *Result, blank bool) bool {
	if blank {
		return len(r.Plates) > 0
	}
	return !r.Top1
}

// writeEvidence writes, for an image the report shows (see reported), the
// plate crop (from the best plate's box, or from the label box when the
// plate was not found and the frame is not blanked) and, for frames, a
// thumbnail with the label box in green and the detector regions in red,
// and records their names in r.
func writeEvidence(dir string, img image.Image, r *Result, blank bool) error {
	b := img.Bounds()
	box := r.Box
	if (r.Found || blank) && r.Best >= 0 {
		box = r.Plates[r.Best].Box
	}
	box = box.Add(b.Min).Intersect(b)
	if !box.Empty() {
		if sub, ok := img.(interface {
			SubImage(image.Rectangle) image.Image
		}); ok {
			r.CropFile = fmt.Sprintf("%04d-crop.png", r.Index+1)
			var buf bytes.Buffer
			if err := png.Encode(&buf, sub.SubImage(box)); err != nil {
				return fmt.Errorf("eval: html: %s: %w", r.Item.Name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, r.CropFile), buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("eval: html: %w", err)
			}
		}
	}
	if r.Item.Label.Box.Empty() { // a crop: the image is the plate, no frame to show
		return nil
	}
	k := min(1, float64(ThumbWidth)/float64(b.Dx()))
	tw, th := max(1, int(float64(b.Dx())*k)), max(1, int(float64(b.Dy())*k))
	thumb := image.NewRGBA(image.Rect(0, 0, tw, th))
	xdraw.ApproxBiLinear.Scale(thumb, thumb.Rect, img, b, xdraw.Src, nil)
	scale := func(r image.Rectangle) image.Rectangle {
		return image.Rect(int(float64(r.Min.X)*k), int(float64(r.Min.Y)*k), int(float64(r.Max.X)*k+0.999), int(float64(r.Max.Y)*k+0.999))
	}
	for _, reg := range r.Regions {
		strokeRect(thumb, scale(reg), detectColor)
	}
	strokeRect(thumb, scale(r.Box), labelColor)
	r.FrameFile = fmt.Sprintf("%04d-frame.jpg", r.Index+1)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, thumb, &jpeg.Options{Quality: 85}); err != nil {
		return fmt.Errorf("eval: html: %s: %w", r.Item.Name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, r.FrameFile), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("eval: html: %w", err)
	}
	return nil
}

// strokeRect draws a 2-pixel outline just outside r (clipped to img).
func strokeRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	o := r.Inset(-2)
	for y := o.Min.Y; y < o.Max.Y; y++ {
		for x := o.Min.X; x < o.Max.X; x++ {
			if (image.Point{x, y}).In(r) {
				continue
			}
			if (image.Point{x, y}).In(img.Rect) {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

type htmlEntry struct {
	*Result
	Num      int    // 1-based, as in the file names
	Kind     string // missed, misread, misread (O=0)
	Reading  string
	Raw      string
	Conf     string
	IoU      string
	Cands    []string
	Others   []string // the other returned plates
	TimeMS   string
	DetectOK string
}

// WriteHTML writes dir/index.html: the summary, then each image whose best
// plate was not read right (with the plates painted out, each image that
// gave a read), with its crop and thumbnail (see Config.HTMLDir; dir is
// the same folder).
func WriteHTML(dir string, rep *Report) error {
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		return err
	}
	blank := rep.Summary.Blank
	var entries []htmlEntry
	for i := range rep.Results {
		r := &rep.Results[i]
		if !reported(r, blank) {
			continue
		}
		e := htmlEntry{Result: r, Num: r.Index + 1, Kind: "misread", Reading: "(none)", TimeMS: fmt.Sprintf("%.0f ms", float64(r.Recognize.Microseconds())/1000)}
		switch {
		case blank:
			e.Kind = "read with the plate painted out"
		case !r.Found:
			e.Kind = "not found"
		case r.Top1O0:
			e.Kind = "misread (right with O=0)"
		}
		if rep.Set.Layout == LayoutEndToEnd {
			e.DetectOK = fmt.Sprintf("detector: %d region(s) read, best IoU with label %.2f", len(r.Regions), bestRegionIoU(r))
		}
		if r.Best >= 0 {
			p := r.Plates[r.Best]
			e.Reading, e.Raw = p.Text, p.Raw
			e.Conf = fmt.Sprintf("%.1f", p.Confidence)
			e.IoU = fmt.Sprintf("%.2f", p.IoU)
			for _, c := range p.Candidates[:min(TopN, len(p.Candidates))] {
				e.Cands = append(e.Cands, fmt.Sprintf("%s (%.1f)", c.Text, c.Confidence))
			}
		}
		for j, p := range r.Plates {
			if j != r.Best {
				e.Others = append(e.Others, fmt.Sprintf("%s (conf %.1f, IoU %.2f)", p.Text, p.Confidence, p.IoU))
			}
		}
		entries = append(entries, e)
	}
	var buf bytes.Buffer
	err := htmlTmpl.Execute(&buf, map[string]any{
		"Title":   "alpreval: " + rep.Summary.Set,
		"Table":   strings.TrimRight(table.String(), "\n"),
		"Entries": entries,
		"Failed":  len(entries),
		"Images":  rep.Summary.Images,
		"Blank":   blank,
	})
	if err != nil {
		return fmt.Errorf("eval: html: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("eval: html: %w", err)
	}
	return nil
}

func bestRegionIoU(r *Result) float64 {
	best := 0.0
	for _, reg := range r.Regions {
		best = max(best, IoU(reg, r.Box))
	}
	return best
}

var htmlTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; }
pre { background: #f4f4f4; padding: .6em; }
.entry { display: flex; gap: 1.5em; border-top: 1px solid #ccc; padding: .8em 0; align-items: flex-start; }
.crop { min-width: 200px; max-width: 320px; image-rendering: pixelated; border: 1px solid #888; }
.frame { max-width: 640px; }
.kind { font-weight: bold; }
.label { color: #080; font-family: monospace; font-size: 1.3em; }
.read { color: #c00; font-family: monospace; font-size: 1.3em; }
ol { margin: .2em 0; padding-left: 1.5em; font-family: monospace; }
</style></head><body>
<h1>{{.Title}}</h1>
<pre>{{.Table}}</pre>
<p>{{.Failed}} of {{.Images}} images {{if .Blank}}gave a read with their labelled plate painted out{{else}}not read right (top-1){{end}}. Frame thumbnails: label box green, detector regions red.</p>
{{range .Entries}}<div class="entry">
<div>
<div class="kind">#{{.Num}} {{.Kind}}</div>
<div>{{.Item.Name}}</div>
<div>label <span class="label">{{.Item.Label.Plate}}</span></div>
<div>read <span class="read">{{.Reading}}</span>{{if .Conf}} conf {{.Conf}}, IoU {{.IoU}}{{end}}</div>
{{if .Raw}}<div>raw {{printf "%q" .Raw}}</div>{{end}}
{{if .Cands}}<div>candidates:<ol>{{range .Cands}}<li>{{.}}</li>{{end}}</ol></div>{{end}}
{{if .Others}}<div>other plates: {{range .Others}}{{.}}; {{end}}</div>{{end}}
{{if .DetectOK}}<div>{{.DetectOK}}</div>{{end}}
<div>{{.TimeMS}}</div>
</div>
{{if .CropFile}}<img class="crop" src="{{.CropFile}}" alt="crop">{{end}}
{{if .FrameFile}}<a href="{{.FrameFile}}"><img class="frame" src="{{.FrameFile}}" alt="frame"></a>{{end}}
</div>
{{end}}</body></html>
`))
