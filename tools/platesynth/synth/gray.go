package synth

import (
	"image"

	"alprd/hal/camera"
)

// Gray returns the luma of img (BT.601 weights, the same values as
// color.GrayModel) as a new image with origin (0, 0): the plane a camera
// hands to plate detection. img is premultiplied, so transparent pixels,
// such as the corners of a RenderPlate image, come out black.
func Gray(img *image.RGBA) *image.Gray { return camera.Luma(img) }
