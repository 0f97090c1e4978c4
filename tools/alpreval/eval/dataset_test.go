package eval

import (
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseLabel(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		image   string
		label   Label
		wantErr string
	}{
		{"tabs", "a.jpg\t935\t362\t99\t49\tYG9X2G\n", "a.jpg", Label{Plate: "YG9X2G", Box: image.Rect(935, 362, 1034, 411)}, ""},
		{"spaces", "a.jpg 1 2  3   4 ABC123", "a.jpg", Label{Plate: "ABC123", Box: image.Rect(1, 2, 4, 6)}, ""},
		{"CRLF and blank lines", "\r\na.jpg\t1\t2\t3\t4\tABC123\r\n\r\n", "a.jpg", Label{Plate: "ABC123", Box: image.Rect(1, 2, 4, 6)}, ""},
		{"tab and spaces mixed", "a.jpg\t 1 \t2\t3\t4\t ABC123 ", "a.jpg", Label{Plate: "ABC123", Box: image.Rect(1, 2, 4, 6)}, ""},
		{"name with a space, tabs", "my car.jpg\t1\t2\t3\t4\tABC123", "my car.jpg", Label{Plate: "ABC123", Box: image.Rect(1, 2, 4, 6)}, ""},
		{"lower case plate", "a.jpg\t1\t2\t3\t4\tabc123", "a.jpg", Label{Plate: "ABC123", Box: image.Rect(1, 2, 4, 6)}, ""},
		{"empty file", "", "", Label{}, "x.txt: no label line"},
		{"only blank lines", "\n \r\n", "", Label{}, "x.txt: no label line"},
		{"too few fields", "a.jpg\t1\t2\t3\tABC123", "", Label{}, "x.txt:1: got 5 fields, want 6 (image x y width height plate)"},
		{"too many fields", "a.jpg 1 2 3 4 AB 12", "", Label{}, "x.txt:1: got 7 fields, want 6 (image x y width height plate)"},
		{"bad x", "a.jpg\tten\t2\t3\t4\tABC", "", Label{}, `x.txt:1: x "ten": want a whole number of pixels`},
		{"negative x, y", "a.jpg\t-1\t-2\t3\t4\tABC", "a.jpg", Label{Plate: "ABC", Box: image.Rect(-1, -2, 2, 2)}, ""},
		{"negative width", "a.jpg\t1\t2\t-3\t4\tABC", "", Label{}, "x.txt:1: empty box -3x4"},
		{"fractional width", "a.jpg\t1\t2\t3.5\t4\tABC", "", Label{}, `x.txt:1: width "3.5": want a whole number of pixels`},
		{"zero height", "a.jpg\t1\t2\t3\t0\tABC", "", Label{}, "x.txt:1: empty box 3x0"},
		{"dash in plate", "a.jpg\t1\t2\t3\t4\tAB-123", "", Label{}, `x.txt:1: plate "AB-123": want letters and digits only`},
		{"second line", "\na.jpg\t1\t2\t3\t4\tABC\nb.jpg\t1\t2\t3\t4\tDEF\n", "", Label{}, "x.txt:3: more than one label line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, lb, err := ParseLabel("x.txt", strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if img != tt.image || lb != tt.label {
				t.Errorf("got %q %+v, want %q %+v", img, lb, tt.image, tt.label)
			}
		})
	}
}

func TestParseGroundTruth(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Item
		wantErr string
	}{
		{"header", "file,state,plate\nak399.png,ak,FGJ235\nal1181.png,al,26A178N\n",
			[]Item{{Name: "ak399.png", Label: Label{Plate: "FGJ235", State: "ak"}}, {Name: "al1181.png", Label: Label{Plate: "26A178N", State: "al"}}}, ""},
		{"no header, CRLF, spaces", "ak399.png, ak , fgj235\r\n\r\nb.png,,X1\r\n",
			[]Item{{Name: "ak399.png", Label: Label{Plate: "FGJ235", State: "ak"}}, {Name: "b.png", Label: Label{Plate: "X1"}}}, ""},
		{"header only", "File,State,Plate\n", nil, ""},
		{"two fields", "file,state,plate\na.png,FGJ235\n", nil, "g.csv:2: got 2 fields, want 3 (file,state,plate)"},
		{"space in plate", "file,state,plate\na.png,ak,AB 123\n", nil, `g.csv:2: plate "AB 123": want letters and digits only`},
		{"empty plate", "a.png,ak,\n", nil, "g.csv:1: empty plate"},
		{"empty file", "\n,ak,ABC\n", nil, "g.csv:2: empty file name"},
		{"duplicate", "a.png,ak,ABC\nb.png,ak,ABD\na.png,ak,ABE\n", nil, "g.csv:3: a.png already labelled on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGroundTruth("g.csv", strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDefaultRegion(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"/data/endtoend-us", "us"},
		{"../shared/datasets/endtoend-eu/", "eu"},
		{"crops_br", "br"},
		{"crops-US", "us"},
		{"/tmp/busy", "auto"}, // "us" only as a word
		{"synth", "auto"},
	}
	for _, tt := range tests {
		if got := DefaultRegion(tt.dir); got != tt.want {
			t.Errorf("DefaultRegion(%q): got %q, want %q", tt.dir, got, tt.want)
		}
	}
}

// writeFiles creates dir/name with each content.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		layout  string // "" = detect
		want    []string
		wantLay string
		wantErr string // with DIR for the folder
		warn    int
	}{
		{"endtoend", map[string]string{
			"b.jpg": "", "b.txt": "b.jpg\t1\t2\t3\t4\tBBB\n",
			"a.png": "", "a.txt": "a.png\t1\t2\t3\t4\tAAA\n",
			"notes.txt": "hello",
		}, "", []string{"a.png", "b.jpg"}, LayoutEndToEnd, "", 1},
		{"crops", map[string]string{
			"groundtruth.csv": "file,state,plate\nz.png,ca,ZZZ\ny.png,ca,YYY\n", "z.png": "", "y.png": "",
		}, "", []string{"y.png", "z.png"}, LayoutCrops, "", 0},
		{"missing label", map[string]string{"a.jpg": ""}, "", nil, "", "eval: image a.jpg has no label: open DIR/a.txt: no such file or directory", 0},
		{"bad label", map[string]string{"a.jpg": "", "a.txt": "a.jpg 1 2 3\n"}, "", nil, "", "DIR/a.txt:1: got 4 fields, want 6 (image x y width height plate)", 0},
		{"label of another image", map[string]string{"a.jpg": "", "a.txt": "b.jpg 1 2 3 4 AAA\n"}, "", nil, "", `eval: DIR/a.txt: label names image "b.jpg", want "a.jpg"`, 0},
		{"missing crop", map[string]string{"groundtruth.csv": "a.png,ca,AAA\n"}, "", nil, "", "eval: DIR/groundtruth.csv: stat DIR/a.png: no such file or directory", 0},
		{"empty", map[string]string{"x.txt": ""}, "", nil, "", "eval: data set DIR (endtoend): no labelled images", 0},
		{"forced layout", map[string]string{"groundtruth.csv": "a.png,ca,AAA\n", "a.png": ""}, LayoutEndToEnd, nil, "", "eval: image a.png has no label: open DIR/a.txt: no such file or directory", 0},
		{"bad layout", map[string]string{}, "yolo", nil, "", `eval: unknown layout "yolo" (want endtoend or crops)`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			ds, err := Load(dir, tt.layout)
			if tt.wantErr != "" {
				want := strings.ReplaceAll(tt.wantErr, "DIR", dir)
				if err == nil || err.Error() != want {
					t.Fatalf("got error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var names []string
			for _, it := range ds.Items {
				names = append(names, it.Name)
				if it.Path != filepath.Join(dir, it.Name) {
					t.Errorf("got path %q, want %q", it.Path, filepath.Join(dir, it.Name))
				}
			}
			if !reflect.DeepEqual(names, tt.want) || ds.Layout != tt.wantLay {
				t.Errorf("got %v %s, want %v %s", names, ds.Layout, tt.want, tt.wantLay)
			}
			if len(ds.Warnings) != tt.warn {
				t.Errorf("got warnings %q, want %d", ds.Warnings, tt.warn)
			}
		})
	}
}

func TestLoadNotADir(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	writeFiles(t, filepath.Dir(f), map[string]string{"f": ""})
	_, err := Load(f, "")
	if want := "eval: data set " + f + ": not a directory"; err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}
