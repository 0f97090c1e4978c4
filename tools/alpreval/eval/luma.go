package eval

import (
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // decoders for the data sets
	_ "image/png"
	"os"
)

// Decode reads the image file at path.
func Decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("eval: decoding %s: %w", path, err)
	}
	return img, nil
}

// Luma returns the luma plane of img with its origin at (0, 0), as the
// Engine takes it. For *image.YCbCr (what JPEG decodes to, and what a camera
// delivers) it is the Y plane itself, copied; for *image.Gray a copy; for
// other images the colour model's conversion (ITU-R BT.601 weights).
func Luma(img image.Image) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < b.Dy(); y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], m.Y[off:off+b.Dx()])
		}
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], m.Pix[off:off+b.Dx()])
		}
	default:
		draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	}
	return out
}
