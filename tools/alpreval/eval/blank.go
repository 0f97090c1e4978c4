package eval

import (
	"image"
	"slices"
)

// Blank paints out the plate in box of img: the box grown by an eighth of
// its width left and right and a fifth of its height above and below (a
// label box is tight to the characters' plate, not to its frame and
// screws), clipped to the frame, becomes the median grey of the grown
// box's border pixels. The frame then holds no plate but keeps the rest of
// the car and the street: what the unit sees on an empty road, or before a
// car's plate comes into view. An empty box changes nothing.
func Blank(img *image.Gray, box image.Rectangle) {
	dx, dy := box.Dx()/8, box.Dy()/5
	b := image.Rect(box.Min.X-dx, box.Min.Y-dy, box.Max.X+dx, box.Max.Y+dy).Intersect(img.Rect)
	if box.Empty() || b.Empty() {
		return
	}
	var edge []uint8
	for x := b.Min.X; x < b.Max.X; x++ {
		edge = append(edge, img.GrayAt(x, b.Min.Y).Y, img.GrayAt(x, b.Max.Y-1).Y)
	}
	for y := b.Min.Y + 1; y < b.Max.Y-1; y++ {
		edge = append(edge, img.GrayAt(b.Min.X, y).Y, img.GrayAt(b.Max.X-1, y).Y)
	}
	slices.Sort(edge)
	v := edge[len(edge)/2]
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)]
		for i := range row {
			row[i] = v
		}
	}
}
