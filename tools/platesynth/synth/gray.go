package synth

import "image"

// Gray returns the luma of img (BT.601 weights, the same values as
// color.GrayModel) as a new image with origin (0, 0): the plane a camera
// hands to plate detection. img is premultiplied, so transparent pixels,
// such as the corners of a RenderPlate image, come out black.
func Gray(img *image.RGBA) *image.Gray {
	r := img.Bounds()
	w := r.Dx()
	g := image.NewGray(image.Rect(0, 0, w, r.Dy()))
	for y := range r.Dy() {
		i := img.PixOffset(r.Min.X, r.Min.Y+y)
		src := img.Pix[i : i+4*w]
		dst := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range dst {
			p := src[4*x : 4*x+3 : 4*x+3]
			// color.GrayModel on 16-bit samples (v*0x101), folded to 8 bits.
			r, gg, b := uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101
			dst[x] = uint8((19595*r + 38470*gg + 7471*b + 1<<15) >> 24)
		}
	}
	return g
}
