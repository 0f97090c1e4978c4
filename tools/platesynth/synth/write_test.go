package synth

import (
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func decodeJPEG(t *testing.T, name string) image.Image {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return img
}

func TestGroundTruthLine(t *testing.T) {
	s := Sample{Name: "synth-0007.jpg", Plate: "7ABC123", Box: image.Rect(10, 20, 130, 80)}
	if got, want := GroundTruthLine(s), "synth-0007.jpg\t10\t20\t120\t60\t7ABC123\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

var plateText = regexp.MustCompile(`^[A-Z0-9]+$`)

func TestWriteDatasetEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") // created by WriteDataset
	o := smallOptions(9)
	if err := WriteDataset(dir, LayoutEndToEnd, 4, newGen(t, o)); err != nil {
		t.Fatal(err)
	}
	want := newGen(t, o) // the same samples, to compare with
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 8 {
		t.Fatalf("got %d files, want 8 (4 .jpg + 4 .txt)", len(entries))
	}
	for i := 1; i <= 4; i++ {
		s := want.Next()
		base := "synth-000" + strconv.Itoa(i)
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, base+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			line, ok := strings.CutSuffix(string(data), "\n")
			if !ok || strings.Contains(line, "\n") {
				t.Fatalf("got %q, want exactly one line ending in a newline", data)
			}
			f := strings.Split(line, "\t")
			if len(f) != 6 {
				t.Fatalf("got %d tab-separated fields in %q, want 6", len(f), line)
			}
			if f[0] != base+".jpg" {
				t.Errorf("got image name %q, want %q", f[0], base+".jpg")
			}
			var box [4]int
			for k := range box {
				if box[k], err = strconv.Atoi(f[1+k]); err != nil {
					t.Fatalf("field %d %q: %v", 1+k, f[1+k], err)
				}
			}
			if got, wantBox := image.Rect(box[0], box[1], box[0]+box[2], box[1]+box[3]), s.Box; got != wantBox {
				t.Errorf("got box %v, want %v", got, wantBox)
			}
			if f[5] != s.Plate || !plateText.MatchString(f[5]) {
				t.Errorf("got plate %q, want %q (upper-case letters and digits)", f[5], s.Plate)
			}
			img := decodeJPEG(t, filepath.Join(dir, base+".jpg"))
			if got, want := img.Bounds(), image.Rect(0, 0, o.Width, o.Height); got != want {
				t.Errorf("got image bounds %v, want %v", got, want)
			}
		})
	}
}

func TestWriteDatasetCrops(t *testing.T) {
	dir := t.TempDir()
	o := smallOptions(10)
	if err := WriteDataset(dir, LayoutCrops, 5, newGen(t, o)); err != nil {
		t.Fatal(err)
	}
	want := newGen(t, o)
	data, err := os.ReadFile(filepath.Join(dir, "groundtruth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 6 || lines[0] != "file,state,plate" {
		t.Fatalf("got csv %q, want a header line and 5 rows", data)
	}
	for i, line := range lines[1:] {
		s := want.NextCrop()
		if got, w := line, s.Name+","+s.State+","+s.Plate; got != w {
			t.Errorf("row %d: got %q, want %q", i+1, got, w)
		}
		img := decodeJPEG(t, filepath.Join(dir, s.Name))
		if got, w := img.Bounds().Size(), s.Frame.Bounds().Size(); got != w {
			t.Errorf("row %d: got crop size %v, want %v", i+1, got, w)
		}
	}
}

func TestWriteCropsReplacesCSV(t *testing.T) {
	dir := t.TempDir()
	g := newGen(t, smallOptions(11))
	if err := WriteCrops(dir, g.NextCrop(), g.NextCrop()); err != nil {
		t.Fatal(err)
	}
	s := g.NextCrop()
	if err := WriteCrops(dir, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "groundtruth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "file,state,plate\n"+s.Name+","+s.State+","+s.Plate+"\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestWriteDatasetErrors(t *testing.T) {
	g := newGen(t, smallOptions(12))
	tests := []struct {
		name, layout string
		n            int
		want         string
	}{
		{"bad layout", "yolo", 1, `unknown layout "yolo"`},
		{"negative n", LayoutCrops, -1, "negative sample count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteDataset(t.TempDir(), tt.layout, tt.n, g)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("unwritable dir", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteDataset(filepath.Join(file, "sub"), LayoutEndToEnd, 1, g); err == nil {
			t.Fatal("got nil error writing under a regular file, want an error")
		}
	})
}
