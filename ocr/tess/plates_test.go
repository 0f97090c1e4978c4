package tess

import (
	"image"
	"image/draw"
	"math/rand/v2"
	"testing"

	"alprd/tools/platesynth/synth"
)

// plate renders a flat synthesized plate (see synth.RenderPlateFace) of
// the given format, text and width on a white background and returns its
// luma.
func plate(t testing.TB, format, text string, width int, ir bool, tf synth.Typeface) *image.Gray {
	t.Helper()
	p, err := synth.RenderPlateFace(format, text, width, ir, tf)
	if err != nil {
		t.Fatalf("synth.RenderPlateFace: %v", err)
	}
	on := image.NewRGBA(p.Bounds())
	draw.Draw(on, on.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(on, on.Rect, p, image.Point{}, draw.Over)
	return synth.Gray(on)
}

// invert turns img into its negative: light characters on a dark plate.
func invert(img *image.Gray) *image.Gray {
	for i, v := range img.Pix {
		img.Pix[i] = 255 - v
	}
	return img
}

// soften gives img a camera's softness and sensor noise: a 3x3 [1 2 1]
// blur and uniform noise of ±amp levels.
func soften(img *image.Gray, amp int, seed uint64) *image.Gray {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	at := func(x, y int) int {
		return int(img.Pix[min(max(y, 0), h-1)*img.Stride+min(max(x, 0), w-1)])
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for y := range h {
		for x := range w {
			s := 4*at(x, y) + 2*(at(x-1, y)+at(x+1, y)+at(x, y-1)+at(x, y+1)) +
				at(x-1, y-1) + at(x+1, y-1) + at(x-1, y+1) + at(x+1, y+1)
			v := (s+8)/16 + rng.IntN(2*amp+1) - amp
			out.Pix[y*out.Stride+x] = uint8(min(max(v, 0), 255))
		}
	}
	return out
}

// frame synthesizes the first 1280x720 frame (default effects) for seed,
// day or IR, with a plate box plateW pixels wide; it returns the frame's
// luma and ground truth.
func frame(t testing.TB, plateW int, ir bool, seed uint64) (*image.Gray, synth.Sample) {
	t.Helper()
	o := synth.DefaultOptions()
	o.Seed = seed
	o.MinPlateWidth, o.MaxPlateWidth = plateW, plateW
	o.IR = 0
	if ir {
		o.IR = 1
	}
	g, err := synth.New(o)
	if err != nil {
		t.Fatalf("synth.New: %v", err)
	}
	s := g.Next()
	return synth.Gray(s.Frame), s
}
