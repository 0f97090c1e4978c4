package camera

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// want is the reference: color.GrayModel on every pixel.
func want(img image.Image) *image.Gray {
	r := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g.SetGray(x-r.Min.X, y-r.Min.Y, color.GrayModel.Convert(img.At(x, y)).(color.Gray))
		}
	}
	return g
}

func randomImages(t *testing.T) map[string]image.Image {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	rect := image.Rect(3, 5, 3+37, 5+21) // odd sizes, non-zero origin
	rgba := image.NewRGBA(rect)
	nrgba := image.NewNRGBA(rect)
	gray := image.NewGray(rect)
	cmyk := image.NewCMYK(rect)
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(rng.Uint32())
		nrgba.Pix[i] = uint8(rng.Uint32())
		cmyk.Pix[i] = uint8(rng.Uint32())
	}
	// RGBA is premultiplied: keep colour channels at most alpha.
	for i := 0; i < len(rgba.Pix); i += 4 {
		a := rgba.Pix[i+3]
		for c := range 3 {
			rgba.Pix[i+c] = uint8(uint32(rgba.Pix[i+c]) * uint32(a) / 255)
		}
	}
	for i := range gray.Pix {
		gray.Pix[i] = uint8(rng.Uint32())
	}
	return map[string]image.Image{
		"rgba":          rgba,
		"nrgba":         nrgba,
		"gray":          gray,
		"cmyk":          cmyk,
		"gray sub":      gray.SubImage(image.Rect(10, 8, 20, 20)),
		"rgba sub":      rgba.SubImage(image.Rect(4, 6, 30, 9)),
		"empty":         image.NewGray(image.Rect(0, 0, 0, 0)),
		"nrgba one row": nrgba.SubImage(image.Rect(3, 5, 40, 6)),
	}
}

func TestFromImageMatchesGrayModel(t *testing.T) {
	for name, img := range randomImages(t) {
		t.Run(name, func(t *testing.T) {
			got, want := Luma(img), want(img)
			if got.Rect != want.Rect {
				t.Fatalf("got bounds %v, want %v", got.Rect, want.Rect)
			}
			if got.Stride != got.Rect.Dx() {
				t.Errorf("got stride %d, want %d", got.Stride, got.Rect.Dx())
			}
			for i := range want.Pix {
				if got.Pix[i] != want.Pix[i] {
					t.Fatalf("pixel %d: got %d, want %d", i, got.Pix[i], want.Pix[i])
				}
			}
		})
	}
}

func TestFromImageYCbCrTakesYPlane(t *testing.T) {
	for _, tc := range []struct {
		name string
		rect image.Rectangle
		sub  image.Rectangle // zero: whole image
		ss   image.YCbCrSubsampleRatio
	}{
		{"420", image.Rect(0, 0, 33, 17), image.Rectangle{}, image.YCbCrSubsampleRatio420},
		{"422 offset origin", image.Rect(-4, 7, 20, 19), image.Rectangle{}, image.YCbCrSubsampleRatio422},
		{"444 sub-image", image.Rect(0, 0, 40, 30), image.Rect(5, 3, 31, 22), image.YCbCrSubsampleRatio444},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := image.NewYCbCr(tc.rect, tc.ss)
			for i := range src.Y {
				src.Y[i] = uint8(i * 7)
			}
			for i := range src.Cb {
				src.Cb[i], src.Cr[i] = 20, 240 // strong chroma: must not leak into luma
			}
			img := image.Image(src)
			if tc.sub != (image.Rectangle{}) {
				img = src.SubImage(tc.sub)
			}
			b := img.Bounds()
			got := Luma(img)
			if got.Rect != image.Rect(0, 0, b.Dx(), b.Dy()) {
				t.Fatalf("got bounds %v, want %v", got.Rect, image.Rect(0, 0, b.Dx(), b.Dy()))
			}
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					g, w := got.GrayAt(x-b.Min.X, y-b.Min.Y).Y, src.Y[src.YOffset(x, y)]
					if g != w {
						t.Fatalf("(%d,%d): got %d, want %d", x, y, g, w)
					}
				}
			}
		})
	}
}

func TestFromImageDoesNotAlias(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 4, 4))
	got := Luma(src)
	src.Pix[0] = 99
	if got.Pix[0] != 0 {
		t.Errorf("got pixel %d after changing the source, want 0", got.Pix[0])
	}
}
