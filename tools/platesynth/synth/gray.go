package synth

import (
	"image"
	"math/rand/v2"

	"alprd/hal/camera"
)

// Gray returns the luma of img (BT.601 weights, the same values as
// color.GrayModel) as a new image with origin (0, 0): the plane a camera
// hands to plate detection. img is premultiplied, so transparent pixels,
// such as the corners of a RenderPlate image, come out black.
func Gray(img *image.RGBA) *image.Gray { return camera.Luma(img) }

// Flat returns a uniform w x h grey image of level v: a frame with nothing
// in it.
func Flat(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

// Noise returns a w x h grey image of independent uniform noise, the same
// for the same seed: a frame full of edges and no plate.
func Noise(w, h int, seed uint64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.UintN(256))
	}
	return img
}
