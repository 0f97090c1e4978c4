package synth

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
)

// Dataset layouts for WriteDataset.
const (
	// LayoutEndToEnd is the openalpr benchmark "endtoend" layout: per
	// image NAME.jpg a NAME.txt holding one line
	// "NAME.jpg\tx\ty\twidth\theight\tPLATE\n" (plate box in the frame).
	LayoutEndToEnd = "endtoend"
	// LayoutCrops is a folder of plate crops (see Generator.NextCrop) plus
	// groundtruth.csv: a "file,state,plate" header, then one line per crop.
	LayoutCrops = "crops"
)

// JPEGQuality is the quality of the JPEG files written.
const JPEGQuality = 90

// GroundTruthLine is the endtoend ground truth of s, with its newline.
func GroundTruthLine(s Sample) string {
	return fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%s\n", s.Name, s.Box.Min.X, s.Box.Min.Y, s.Box.Dx(), s.Box.Dy(), s.Plate)
}

// WriteEndToEnd writes each sample's frame as dir/NAME.jpg and its ground
// truth as dir/NAME.txt (LayoutEndToEnd). dir must exist.
func WriteEndToEnd(dir string, samples ...Sample) error {
	for _, s := range samples {
		if err := writeJPEG(filepath.Join(dir, s.Name), s.Frame); err != nil {
			return err
		}
		txt := filepath.Join(dir, strings.TrimSuffix(s.Name, filepath.Ext(s.Name))+".txt")
		if err := os.WriteFile(txt, []byte(GroundTruthLine(s)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteCrops writes each sample's image as dir/NAME.jpg and all of them to
// dir/groundtruth.csv (LayoutCrops), replacing an existing one. dir must
// exist.
func WriteCrops(dir string, samples ...Sample) error {
	i := 0
	return writeCrops(dir, func() (Sample, bool) {
		if i == len(samples) {
			return Sample{}, false
		}
		i++
		return samples[i-1], true
	})
}

func writeCrops(dir string, next func() (Sample, bool)) error {
	f, err := os.Create(filepath.Join(dir, "groundtruth.csv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "file,state,plate")
	for {
		s, ok := next()
		if !ok {
			break
		}
		if err := writeJPEG(filepath.Join(dir, s.Name), s.Frame); err != nil {
			f.Close()
			return err
		}
		fmt.Fprintf(w, "%s,%s,%s\n", s.Name, s.State, s.Plate)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteDataset creates dir if needed and writes the next n samples of g to
// it in the given layout (LayoutEndToEnd or LayoutCrops).
func WriteDataset(dir, layout string, n int, g *Generator) error {
	if layout != LayoutEndToEnd && layout != LayoutCrops {
		return fmt.Errorf("unknown layout %q (want %s or %s)", layout, LayoutEndToEnd, LayoutCrops)
	}
	if n < 0 {
		return fmt.Errorf("negative sample count %d", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if layout == LayoutCrops {
		i := 0
		return writeCrops(dir, func() (Sample, bool) {
			if i == n {
				return Sample{}, false
			}
			i++
			return g.NextCrop(), true
		})
	}
	for i := 0; i < n; i++ {
		if err := WriteEndToEnd(dir, g.Next()); err != nil {
			return err
		}
	}
	return nil
}

func writeJPEG(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		f.Close()
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	return f.Close()
}
