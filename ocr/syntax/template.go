package syntax

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed templates/*.txt
var templateFiles embed.FS

// maxLen is the longest pattern, in classes, a template may have.
const maxLen = 10

// Classes of a pattern position.
const (
	letter = 'L'
	digit  = 'D'
	either = 'A'
)

// template is one plate format of one jurisdiction, as decoded from a line.
type template struct {
	region       string // file the template comes from: "us"
	jurisdiction string // "us-ca"
	classes      string // pattern without separators: "DLLLDDD"
	example      string // "7ABC123"
	note         string
	file         string // "templates/us.txt"
	line         int
}

// loadTemplates decodes every embedded template file once; the files are
// read in name order and each in line order, which fixes every tie-break
// downstream.
var loadTemplates = sync.OnceValues(func() ([]template, error) {
	return loadFS(templateFiles, "templates")
})

func loadFS(fsys fs.FS, dir string) ([]template, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("syntax: read templates: %w", err)
	}
	var all []template
	for _, e := range entries { // ReadDir sorts by name
		if e.IsDir() || path.Ext(e.Name()) != ".txt" {
			continue
		}
		name := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("syntax: read templates: %w", err)
		}
		ts, err := parse(name, data)
		if err != nil {
			return nil, err
		}
		all = append(all, ts...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("syntax: no templates in %s", dir)
	}
	return all, nil
}

// parse decodes one template file; name is its path, whose base without
// extension is the region. Errors name the file and the line.
func parse(name string, data []byte) ([]template, error) {
	region := strings.TrimSuffix(path.Base(name), path.Ext(name))
	if !isCode(region, 2, 3) {
		return nil, fmt.Errorf("syntax: %s: file name must be a region of 2-3 lower-case letters", name)
	}
	var ts []template
	seen := map[string]int{} // jurisdiction + " " + classes -> line
	for i, line := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("syntax: %s:%d: %s", name, lineNo, fmt.Sprintf(format, args...))
		}
		if len(f) < 3 {
			return nil, fail("want JURISDICTION PATTERN EXAMPLE [NOTE], got %d field(s)", len(f))
		}
		jur, pat, example := f[0], f[1], f[2]
		if code, ok := strings.CutPrefix(jur, region+"-"); jur != region && (!ok || !isCode(code, 2, 3)) {
			return nil, fail("jurisdiction %q: want %q or %q followed by a 2-3 letter lower-case code", jur, region, region+"-")
		}
		classes, err := compile(pat)
		if err != nil {
			return nil, fail("pattern %q: %v", pat, err)
		}
		if !isPlate(example) {
			return nil, fail("example %q: want upper-case letters and digits only", example)
		}
		if _, _, ok := fit(example, classes, 0); !ok {
			return nil, fail("example %q does not fit pattern %q", example, pat)
		}
		key := jur + " " + classes
		if prev, dup := seen[key]; dup {
			return nil, fail("pattern %q for %s repeats line %d", pat, jur, prev)
		}
		seen[key] = lineNo
		ts = append(ts, template{
			region:       region,
			jurisdiction: jur,
			classes:      classes,
			example:      example,
			note:         strings.Join(f[3:], " "),
			file:         name,
			line:         lineNo,
		})
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("syntax: %s: no templates", name)
	}
	return ts, nil
}

// compile checks a pattern and returns its classes without separators.
func compile(pat string) (string, error) {
	var b strings.Builder
	prevSep := true // a pattern must not start with a separator
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case letter, digit, either:
			b.WriteByte(c)
			prevSep = false
		case '-', '.':
			if prevSep {
				return "", fmt.Errorf("separator %q at %d must follow a class", c, i+1)
			}
			prevSep = true
		default:
			return "", fmt.Errorf("unknown class %q at %d, want L, D, A or a separator - .", c, i+1)
		}
	}
	if prevSep && len(pat) > 0 {
		return "", fmt.Errorf("pattern must end with a class")
	}
	if n := b.Len(); n < 2 || n > maxLen {
		return "", fmt.Errorf("%d classes, want 2 to %d", n, maxLen)
	}
	return b.String(), nil
}

// isCode reports whether s is min to max lower-case ASCII letters.
func isCode(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// isPlate reports whether s is non-empty and only upper-case ASCII letters
// and digits.
func isPlate(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Regions returns the region names New accepts, sorted: the regions ("br",
// "eu", "us") and every jurisdiction of them ("eu-sk", "us-ca", ...).
func Regions() []string {
	ts, err := loadTemplates()
	if err != nil {
		return nil
	}
	return knownRegions(ts)
}

func knownRegions(ts []template) []string {
	set := map[string]bool{}
	for _, t := range ts {
		set[t.region] = true
		set[t.jurisdiction] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
