package ocr

import (
	"image"
	"testing"
)

func TestCrop(t *testing.T) {
	img := image.NewGray(image.Rect(10, 20, 30, 35))
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			img.Pix[img.PixOffset(x, y)] = uint8(x*7 + y)
		}
	}
	sub := img.SubImage(image.Rect(12, 22, 28, 33)).(*image.Gray)
	tests := []struct {
		name string
		src  *image.Gray
		r    image.Rectangle
		want image.Rectangle // in src coordinates, after clipping
	}{
		{"inside", img, image.Rect(12, 21, 18, 30), image.Rect(12, 21, 18, 30)},
		{"clipped", img, image.Rect(0, 0, 15, 25), image.Rect(10, 20, 15, 25)},
		{"whole", img, image.Rect(-100, -100, 100, 100), img.Rect},
		{"outside", img, image.Rect(100, 100, 120, 120), image.Rectangle{}},
		{"sub-image", sub, image.Rect(20, 25, 40, 40), image.Rect(20, 25, 28, 33)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Crop(tt.src, tt.r)
			if got.Rect.Min != (image.Point{}) || got.Rect.Dx() != tt.want.Dx() || got.Rect.Dy() != tt.want.Dy() {
				t.Fatalf("bounds %v, want size %v at the origin", got.Rect, tt.want.Size())
			}
			for y := 0; y < got.Rect.Dy(); y++ {
				for x := 0; x < got.Rect.Dx(); x++ {
					sx, sy := tt.want.Min.X+x, tt.want.Min.Y+y
					if g, w := got.GrayAt(x, y).Y, uint8(sx*7+sy); g != w {
						t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, g, w)
					}
				}
			}
		})
	}
	// The copy is independent.
	c := Crop(img, img.Rect)
	c.Pix[0] = 255
	if img.Pix[0] == 255 {
		t.Error("Crop shares memory with its source")
	}
}
