// Command platesynth writes a synthetic licence-plate dataset: rendered US
// plates pasted into synthetic street frames (no photos involved), with
// ground truth in the openalpr benchmark layouts.
//
//	platesynth -out DIR [-n 20] [-seed 1] [-layout endtoend|crops]
//	           [-width 1280] [-height 720] [-min-plate 80] [-max-plate 260]
//	           [-formats us-ca,us-tx,...] [-ir 0.25]
//	           [-blur 0.3] [-noise 0.3] [-glare 0.3] [-perspective 0.5]
//
// endtoend writes DIR/synth-0001.jpg and DIR/synth-0001.txt with the line
// "synth-0001.jpg<TAB>x<TAB>y<TAB>width<TAB>height<TAB>PLATE"; crops writes
// plate crops and DIR/groundtruth.csv ("file,state,plate"). The output is
// a function of the flags. Exit status 2 means bad usage, 1 a write error.
//
// The work is done by package alprd/tools/platesynth/synth.
package main

import (
	"alprd/tools/internal/cli"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"alprd/tools/platesynth/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("platesynth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := synth.DefaultOptions()
	out := fs.String("out", "", "output `directory` (required; created if missing)")
	n := fs.Int("n", 20, "number of images")
	seed := fs.Uint64("seed", 1, "random seed; equal flags give equal output")
	layout := fs.String("layout", synth.LayoutEndToEnd, "dataset layout: endtoend or crops")
	width := fs.Int("width", def.Width, "frame width in pixels")
	height := fs.Int("height", def.Height, "frame height in pixels")
	minPlate := fs.Int("min-plate", def.MinPlateWidth, "narrowest plate box in pixels")
	maxPlate := fs.Int("max-plate", def.MaxPlateWidth, "widest plate box in pixels")
	formats := fs.String("formats", "", "comma-separated plate `formats` (default all: "+strings.Join(synth.Formats(), ",")+")")
	ir := fs.Float64("ir", def.IR, "fraction of frames with the infrared look, 0..1")
	blur := fs.Float64("blur", def.Blur, "blur strength, 0..1")
	noise := fs.Float64("noise", def.Noise, "noise strength, 0..1")
	glare := fs.Float64("glare", def.Glare, "glare strength, 0..1")
	persp := fs.Float64("perspective", def.Perspective, "perspective strength, 0..1")
	if status, ok := cli.Parse(fs, args, "platesynth -out DIR [flags]",
		"Writes synthetic licence-plate images with openalpr-style ground truth."); !ok {
		return status
	}
	usage := func(format string, a ...any) int { return cli.Usagef(stderr, "platesynth", format, a...) }
	if fs.NArg() > 0 {
		return usage("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *out == "" {
		return usage("-out is required")
	}
	if *n < 1 {
		return usage("-n %d: want at least 1", *n)
	}
	if *layout != synth.LayoutEndToEnd && *layout != synth.LayoutCrops {
		return usage("-layout %q: want %s or %s", *layout, synth.LayoutEndToEnd, synth.LayoutCrops)
	}
	opts := synth.Options{
		Seed: *seed, Width: *width, Height: *height,
		MinPlateWidth: *minPlate, MaxPlateWidth: *maxPlate,
		IR: *ir, Blur: *blur, Noise: *noise, Glare: *glare, Perspective: *persp,
	}
	if *formats != "" {
		opts.Formats = strings.Split(*formats, ",")
	}
	g, err := synth.New(opts)
	if err != nil {
		return usage("%v", err)
	}
	if err := synth.WriteDataset(*out, *layout, *n, g); err != nil {
		fmt.Fprintf(stderr, "platesynth: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "platesynth: wrote %d %s samples to %s\n", *n, *layout, *out)
	return 0
}
