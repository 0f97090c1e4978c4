package ocr

import "image"

// Crop returns a copy of the part of img inside r (clipped to img's bounds),
// with its origin at (0, 0), for handing a Region to a Reader. The copy is
// independent of img, so the frame's buffer can be reused at once. It
// returns an empty image when r misses img.
func Crop(img *image.Gray, r image.Rectangle) *image.Gray {
	r = r.Intersect(img.Rect)
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], img.Pix[img.PixOffset(r.Min.X, r.Min.Y+y):])
	}
	return out
}
