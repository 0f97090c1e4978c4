package plateimg

import (
	"image"
	"image/png"
	"os"
	"testing"
)

func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("PLATEIMG_OUT")
	if dir == "" {
		t.Skip("set PLATEIMG_OUT to a directory to write sample images")
	}
	p := Plate{Text: "7ABC123", Header: "CALIFORNIA", Width: 240, Border: true}
	write(t, dir+"/plate.png", p.Render())
	write(t, dir+"/day.png", Day(1280, 720, p, 640, 450, 1).Img)
	write(t, dir+"/ir.png", IR(1280, 720, p, 500, 400, 1).Img)
}

func write(t *testing.T, path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
