package eval

import (
	"fmt"
	"image"
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
