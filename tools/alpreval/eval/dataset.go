package eval

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Data set layouts.
const (
	LayoutEndToEnd = "endtoend" // frames with NAME.txt labels
	LayoutCrops    = "crops"    // plate crops with groundtruth.csv
)

// GroundTruthFile is the label file of LayoutCrops.
const GroundTruthFile = "groundtruth.csv"

// Label is the ground truth of one image.
type Label struct {
	Plate string          // upper-case letters and digits
	Box   image.Rectangle // plate box in the frame; empty for crops (the whole image)
	State string          // crops only: the state column, as written
}

// Item is one labelled image of a data set.
type Item struct {
	Name  string // file name inside the data set folder
	Path  string // path to the image
	Label Label
}

// Dataset is a labelled folder of images.
type Dataset struct {
	Dir    string
	Name   string // base name of Dir, e.g. "endtoend-us"
	Layout string // LayoutEndToEnd or LayoutCrops
	Items  []Item // sorted by Name
	// Warnings are things Load skipped, e.g. a .txt file with no image.
	Warnings []string
}

// DetectLayout returns LayoutCrops when dir holds groundtruth.csv, else
// LayoutEndToEnd.
func DetectLayout(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("eval: data set: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("eval: data set %s: not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, GroundTruthFile)); err == nil {
		return LayoutCrops, nil
	}
	return LayoutEndToEnd, nil
}

// DefaultRegion guesses the plate region of a data set from its folder name:
// "us", "eu" or "br" when the name has that word (separated by '-', '_' or
// '.', as in "endtoend-us"), else "auto".
func DefaultRegion(dir string) string {
	words := strings.FieldsFunc(strings.ToLower(filepath.Base(filepath.Clean(dir))), func(r rune) bool {
		return r == '-' || r == '_' || r == '.' || r == ' '
	})
	for _, w := range words {
		switch w {
		case "us", "eu", "br":
			return w
		}
	}
	return "auto"
}

// Load reads the labels of the data set in dir. layout is LayoutEndToEnd,
// LayoutCrops, or "" to detect it (DetectLayout). Images are not decoded,
// but each one must exist. A label that does not parse is an error naming
// its file and line.
func Load(dir, layout string) (*Dataset, error) {
	if layout == "" {
		var err error
		if layout, err = DetectLayout(dir); err != nil {
			return nil, err
		}
	}
	ds := &Dataset{Dir: dir, Name: filepath.Base(filepath.Clean(dir)), Layout: layout}
	var err error
	switch layout {
	case LayoutEndToEnd:
		err = ds.loadEndToEnd()
	case LayoutCrops:
		err = ds.loadCrops()
	default:
		return nil, fmt.Errorf("eval: unknown layout %q (want %s or %s)", layout, LayoutEndToEnd, LayoutCrops)
	}
	if err != nil {
		return nil, err
	}
	if len(ds.Items) == 0 {
		return nil, fmt.Errorf("eval: data set %s (%s): no labelled images", dir, layout)
	}
	sort.Slice(ds.Items, func(i, j int) bool { return ds.Items[i].Name < ds.Items[j].Name })
	return ds, nil
}

// isImage reports whether name has an image extension alpreval decodes.
func isImage(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

func (ds *Dataset) loadEndToEnd() error {
	entries, err := os.ReadDir(ds.Dir)
	if err != nil {
		return fmt.Errorf("eval: data set: %w", err)
	}
	labelled := map[string]bool{} // .txt files that belong to an image
	for _, e := range entries {
		if e.IsDir() || !isImage(e.Name()) {
			continue
		}
		txt := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())) + ".txt"
		path := filepath.Join(ds.Dir, txt)
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("eval: image %s has no label: %w", e.Name(), err)
		}
		name, lb, err := ParseLabel(path, f)
		f.Close()
		if err != nil {
			return err
		}
		if name != e.Name() {
			return fmt.Errorf("eval: %s: label names image %q, want %q", path, name, e.Name())
		}
		labelled[txt] = true
		ds.Items = append(ds.Items, Item{Name: e.Name(), Path: filepath.Join(ds.Dir, e.Name()), Label: lb})
	}
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".txt") && !labelled[e.Name()] {
			ds.Warnings = append(ds.Warnings, fmt.Sprintf("%s: no image with this name, skipped", filepath.Join(ds.Dir, e.Name())))
		}
	}
	return nil
}

func (ds *Dataset) loadCrops() error {
	path := filepath.Join(ds.Dir, GroundTruthFile)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("eval: data set: %w", err)
	}
	defer f.Close()
	items, err := ParseGroundTruth(path, f)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].Path = filepath.Join(ds.Dir, items[i].Name)
		if _, err := os.Stat(items[i].Path); err != nil {
			return fmt.Errorf("eval: %s: %w", path, err)
		}
	}
	ds.Items = items
	return nil
}

// lines calls fn with each line of r that is not blank, with its 1-based
// number, the line ending (LF or CRLF) and surrounding space removed.
func lines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return sc.Err()
}

// ParseLabel parses an end-to-end label file: one line
// "IMAGE<TAB>x<TAB>y<TAB>width<TAB>height<TAB>PLATE". Fields may be
// separated by tabs or by runs of spaces (then the image name must not
// contain a space); CRLF line endings and blank lines are accepted. The
// plate is upper-cased. It returns the image name and the label; errors are
// "FILE:LINE: problem", FILE being name.
func ParseLabel(name string, r io.Reader) (imageName string, lb Label, err error) {
	found := false
	err = lines(r, func(n int, line string) error {
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
		}
		if found {
			return fail("more than one label line")
		}
		found = true
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			f = strings.Fields(line)
		}
		if len(f) != 6 {
			return fail("got %d fields, want 6 (image x y width height plate)", len(f))
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		// x and y may be negative: some labels (endtoend-br's) start a box
		// a pixel outside the frame.
		var v [4]int
		for i, what := range []string{"x", "y", "width", "height"} {
			px, err := strconv.Atoi(f[1+i])
			if err != nil {
				return fail("%s %q: want a whole number of pixels", what, f[1+i])
			}
			v[i] = px
		}
		if v[2] <= 0 || v[3] <= 0 {
			return fail("empty box %dx%d", v[2], v[3])
		}
		plate, err := plateText(f[5])
		if err != nil {
			return fail("%v", err)
		}
		imageName = f[0]
		lb = Label{Plate: plate, Box: image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3])}
		return nil
	})
	if err != nil {
		return "", Label{}, err
	}
	if !found {
		return "", Label{}, fmt.Errorf("%s: no label line", name)
	}
	return imageName, lb, nil
}

// plateText upper-cases s and checks that it is letters and digits.
func plateText(s string) (string, error) {
	p := strings.ToUpper(s)
	if p == "" {
		return "", errors.New("empty plate")
	}
	for _, c := range p {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "", fmt.Errorf("plate %q: want letters and digits only", s)
		}
	}
	return p, nil
}

// ParseGroundTruth parses a crops groundtruth.csv: lines "file,state,plate"
// (spaces around fields and CRLF line endings accepted), the first line
// possibly the header "file,state,plate". The plate is upper-cased. Errors
// are "FILE:LINE: problem", FILE being name. The items' Path is left empty.
func ParseGroundTruth(name string, r io.Reader) ([]Item, error) {
	var items []Item
	seen := map[string]int{}
	first := true
	err := lines(r, func(n int, line string) error {
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
		}
		f := strings.Split(line, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		header := first && len(f) == 3 && strings.EqualFold(f[0], "file") && strings.EqualFold(f[2], "plate")
		first = false
		if header {
			return nil
		}
		if len(f) != 3 {
			return fail("got %d fields, want 3 (file,state,plate)", len(f))
		}
		if f[0] == "" {
			return fail("empty file name")
		}
		if m := seen[f[0]]; m != 0 {
			return fail("%s already labelled on line %d", f[0], m)
		}
		seen[f[0]] = n
		plate, err := plateText(f[2])
		if err != nil {
			return fail("%v", err)
		}
		items = append(items, Item{Name: f[0], Label: Label{Plate: plate, State: f[1]}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}
