package synth

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Options configures a Generator. Start from DefaultOptions: zero effect
// strengths mean "no such effect", while zero sizes mean the defaults.
type Options struct {
	Seed uint64 // the whole sequence is a function of Seed and the other options

	Width, Height int // frame size in pixels; 0 = 1280 x 720

	// Width range of the plate's bounding box in the frame, in pixels;
	// 0 = 80 and 260 (the maximum default shrinks to fit small frames).
	MinPlateWidth, MaxPlateWidth int

	Formats []string // plate format IDs to draw from (see Formats); empty = all

	IR float64 // fraction (0..1) of frames with the infrared night look

	// Effect strengths, 0 (off) to 1 (strong).
	Blur        float64 // box or horizontal motion blur of up to ~3 px radius
	Noise       float64 // Gaussian sensor noise of up to ~24 levels sigma
	Glare       float64 // chance and brightness of a glare spot on or near the plate
	Perspective float64 // up to ±30° yaw, ±20° pitch, ±8° roll

	// NoTimestamp leaves out the burnt-in camera timestamp (bright text in
	// the top-left corner), as on a camera with the overlay off. Nothing
	// else in the frame changes: plates still keep below its band.
	NoTimestamp bool
}

// DefaultOptions returns moderate settings: 1280x720 frames, plates 80 to
// 260 px wide, all formats, a quarter of the frames IR, and effects mild
// enough that plates of 120+ px remain readable by OCR.
func DefaultOptions() Options {
	return Options{
		Width: 1280, Height: 720,
		MinPlateWidth: 80, MaxPlateWidth: 260,
		IR:   0.25,
		Blur: 0.3, Noise: 0.3, Glare: 0.3, Perspective: 0.5,
	}
}

// Sample is one synthesized image with its ground truth.
type Sample struct {
	Name   string      // file name, "synth-0001.jpg"
	Frame  *image.RGBA // the image, origin at (0, 0), opaque
	Plate  string      // plate text: upper-case letters and digits, e.g. "7ABC123"
	Format string      // plate format ID, e.g. "us-ca"
	State  string      // lower-case state code, e.g. "ca"
	IR     bool        // rendered with the infrared look

	// Box is the axis-aligned bounding box of the plate in Frame (pixels
	// it touches), inside Frame's bounds. Quad holds the plate's corners
	// (top-left, top-right, bottom-right, bottom-left, rounded) and lies
	// within the closed rectangle Box: Box.Min <= p <= Box.Max.
	Box  image.Rectangle
	Quad [4]image.Point
}

// Generator produces a deterministic sequence of samples. It is not safe
// for concurrent use; use one Generator per goroutine.
type Generator struct {
	opts    Options
	formats []*plateFormat
	n       int
}

// New validates opts and returns a generator. The n-th sample (counting
// both Next and NextCrop calls) depends only on opts and n.
func New(opts Options) (*Generator, error) {
	if opts.Width == 0 {
		opts.Width = 1280
	}
	if opts.Height == 0 {
		opts.Height = 720
	}
	if opts.Width < 160 || opts.Height < 120 || opts.Width > 8192 || opts.Height > 8192 {
		return nil, fmt.Errorf("frame size %dx%d: want 160x120 to 8192x8192", opts.Width, opts.Height)
	}
	// The tallest plate box is about 0.6 of its width (pitch and roll).
	room := min(opts.Width-2*edgeMargin, int(float64(opts.Height-plateTop(opts.Height)-edgeMargin)/0.62))
	if opts.MinPlateWidth == 0 {
		opts.MinPlateWidth = min(80, room)
	}
	if opts.MaxPlateWidth == 0 {
		opts.MaxPlateWidth = max(min(260, room), opts.MinPlateWidth)
	}
	switch {
	case opts.MinPlateWidth < 20:
		return nil, fmt.Errorf("min plate width %d: want at least 20 pixels", opts.MinPlateWidth)
	case opts.MaxPlateWidth < opts.MinPlateWidth:
		return nil, fmt.Errorf("max plate width %d is less than min plate width %d", opts.MaxPlateWidth, opts.MinPlateWidth)
	case opts.MaxPlateWidth > room:
		return nil, fmt.Errorf("max plate width %d does not fit a %dx%d frame (at most %d)", opts.MaxPlateWidth, opts.Width, opts.Height, room)
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"IR fraction", opts.IR}, {"blur", opts.Blur}, {"noise", opts.Noise}, {"glare", opts.Glare}, {"perspective", opts.Perspective}} {
		if !(v.v >= 0 && v.v <= 1) {
			return nil, fmt.Errorf("%s %v: want 0 to 1", v.name, v.v)
		}
	}
	g := &Generator{opts: opts}
	ids := opts.Formats
	if len(ids) == 0 {
		ids = Formats()
	}
	for _, id := range ids {
		f, err := lookupFormat(strings.TrimSpace(id))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(g.formats, f) {
			g.formats = append(g.formats, f)
		}
	}
	g.opts.Formats = nil
	for _, f := range g.formats {
		g.opts.Formats = append(g.opts.Formats, f.ID)
	}
	return g, nil
}

// Options returns the generator's options with defaults filled in.
func (g *Generator) Options() Options { return g.opts }

// Next returns the next full frame.
func (g *Generator) Next() Sample {
	g.n++
	return g.render(g.n)
}

// NextCrop returns the next sample cropped to the plate box plus a margin
// of a tenth of the box's width and height on each side (clipped to the
// frame), as for the crops layout. Box and Quad are relative to the crop.
func (g *Generator) NextCrop() Sample {
	g.n++
	s := g.render(g.n)
	mx, my := max(2, s.Box.Dx()/10), max(2, s.Box.Dy()/10)
	r := image.Rect(s.Box.Min.X-mx, s.Box.Min.Y-my, s.Box.Max.X+mx, s.Box.Max.Y+my).Intersect(s.Frame.Bounds())
	crop := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(crop.Pix[(y-r.Min.Y)*crop.Stride:], s.Frame.Pix[s.Frame.PixOffset(r.Min.X, y):s.Frame.PixOffset(r.Max.X, y)])
	}
	s.Frame = crop
	s.Box = s.Box.Sub(r.Min)
	for i := range s.Quad {
		s.Quad[i] = s.Quad[i].Sub(r.Min)
	}
	return s
}

const edgeMargin = 4 // plates keep this far from the frame edges

// plateTop is the lowest y a plate may start at: below the timestamp.
func plateTop(h int) int { return int(math.Ceil(timestampHeight(h)*2.6)) + edgeMargin }

// sampleRand is the random source of sample i: independent of the others.
func (g *Generator) sampleRand(i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.opts.Seed, uint64(i)*0x9e3779b97f4a7c15^0x5eed))
}

func (g *Generator) render(i int) Sample {
	o := &g.opts
	r := g.sampleRand(i)
	f := g.formats[r.IntN(len(g.formats))]
	text := f.randomText(r)
	ir := r.Float64() < o.IR

	// Plate geometry: a projected quad, its box width in range, at a
	// random place that keeps it fully in the frame.
	deg := math.Pi / 180
	p := o.Perspective
	yaw := uniform(r, -30, 30) * deg * p
	pitch := uniform(r, -20, 20) * deg * p
	roll := uniform(r, -8, 8) * deg * p
	boxW := uniform(r, float64(o.MinPlateWidth), float64(o.MaxPlateWidth))
	q := plateQuad(yaw, pitch, roll, boxW)
	qb := quadBounds(q)
	x0 := uniform(r, edgeMargin, float64(o.Width-edgeMargin-qb.Dx()))
	ylo := float64(plateTop(o.Height))
	y0 := uniform(r, ylo, max(ylo, float64(o.Height-edgeMargin-qb.Dy())))
	x0, y0 = math.Floor(x0), math.Floor(y0)
	for k := range q {
		q[k].X += x0
		q[k].Y += y0
	}
	box := quadBounds(q)

	img := image.NewRGBA(image.Rect(0, 0, o.Width, o.Height))
	drawScene(img, r, box)
	if ir {
		toIRScene(img, r)
	}
	// Render the flat plate at about twice the size it appears, then warp
	// it with 2x2 supersampling.
	edge := max(math.Hypot(q[1].X-q[0].X, q[1].Y-q[0].Y), math.Hypot(q[2].X-q[3].X, q[2].Y-q[3].Y))
	plate := renderPlate(f, text, int(min(max(2*edge, 64), 2048)), ir, mainFont)
	warpOnto(img, plate, q)

	// Camera effects. All their random values are drawn whatever the
	// strengths, so that changing one effect leaves the others alone.
	pw := float64(box.Dx())
	glareOn := r.Float64() < 0.2+0.8*o.Glare
	gx := uniform(r, float64(box.Min.X)-pw*0.3, float64(box.Max.X)+pw*0.3)
	gy := uniform(r, float64(box.Min.Y)-pw*0.2, float64(box.Max.Y)+pw*0.2)
	grx := pw * uniform(r, 0.12, 0.45)
	gry := grx * uniform(r, 0.4, 1)
	gamp := 255 * o.Glare * uniform(r, 0.5, 1.2)
	motion := r.Float64() < 0.25
	blurR := o.Blur * r.Float64()
	sigma := 24 * o.Noise * uniform(r, 0.3, 1)
	if o.Glare > 0 && glareOn {
		addGlare(img, gx, gy, grx, gry, gamp)
	}
	if motion { // horizontal motion blur, up to 11 px long
		boxBlur(img, int(math.Round(5*blurR)), 0)
	} else if rad := int(math.Round(3 * blurR)); rad > 0 {
		boxBlur(img, rad, rad)
		boxBlur(img, rad, rad) // two box passes: close to Gaussian
	}
	if ir {
		sigma *= 1.3 // IR frames are darker and noisier
	}
	addNoise(img, r, sigma, ir)
	if !o.NoTimestamp {
		drawTimestamp(img, r) // last: it draws from r
	}

	s := Sample{
		Name:   fmt.Sprintf("synth-%04d.jpg", i),
		Frame:  img,
		Plate:  text,
		Format: f.ID,
		State:  f.State,
		IR:     ir,
		Box:    box.Intersect(img.Bounds()),
	}
	for k, pt := range q {
		s.Quad[k] = image.Pt(int(math.Round(pt.X)), int(math.Round(pt.Y)))
	}
	return s
}
