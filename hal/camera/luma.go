package camera

import (
	"image"
	"image/color"
)

// Luma returns the luma plane of img, as Frame carries it: a new image with
// its own pixels, origin (0, 0) and Stride equal to its width; img is never
// aliased.
//
// For *image.YCbCr (what image/jpeg gives for colour JPEGs) it copies the Y
// plane as is, row by row honouring YStride; *image.Gray is copied. *image.RGBA
// and *image.NRGBA are converted with the same arithmetic as color.GrayModel
// (BT.601 weights), and any other type goes through color.GrayModel pixel by
// pixel, which is slower but exact.
func Luma(img image.Image) *image.Gray {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return dst
	}
	switch src := img.(type) {
	case *image.YCbCr:
		for y := range h {
			i := src.YOffset(r.Min.X, r.Min.Y+y)
			copy(dst.Pix[y*w:(y+1)*w], src.Y[i:i+w])
		}
	case *image.Gray:
		for y := range h {
			i := src.PixOffset(r.Min.X, r.Min.Y+y)
			copy(dst.Pix[y*w:(y+1)*w], src.Pix[i:i+w])
		}
	case *image.RGBA:
		for y := range h {
			i := src.PixOffset(r.Min.X, r.Min.Y+y)
			row := src.Pix[i : i+4*w]
			out := dst.Pix[y*w : (y+1)*w]
			for x := range out {
				p := row[4*x : 4*x+4 : 4*x+4]
				out[x] = gray16(widen(p[0]), widen(p[1]), widen(p[2]))
			}
		}
	case *image.NRGBA:
		for y := range h {
			i := src.PixOffset(r.Min.X, r.Min.Y+y)
			row := src.Pix[i : i+4*w]
			out := dst.Pix[y*w : (y+1)*w]
			for x := range out {
				p := row[4*x : 4*x+4 : 4*x+4]
				a := uint32(p[3])
				out[x] = gray16(widen(p[0])*a/0xff, widen(p[1])*a/0xff, widen(p[2])*a/0xff)
			}
		}
	default:
		for y := range h {
			out := dst.Pix[y*w : (y+1)*w]
			for x := range out {
				out[x] = color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return dst
}

// widen turns an 8-bit sample into the 16-bit one color.Color.RGBA reports.
func widen(v uint8) uint32 { return uint32(v) | uint32(v)<<8 }

// gray16 is color.GrayModel's formula on 16-bit samples.
func gray16(r, g, b uint32) uint8 {
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
}
