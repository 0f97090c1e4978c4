package ocr

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPureGo keeps cgo out of the packages that must stay pure Go: package
// ocr/tess is the only one allowed to depend on a package with cgo files
// (Tesseract); ocr and ocr/detect must build with CGO_ENABLED=0 and must not
// reach a non-standard package that uses cgo.
func TestPureGo(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	for _, pkg := range []string{"alprd/ocr", "alprd/ocr/detect"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command(goBin, "list", "-deps",
				"-f", "{{if .CgoFiles}}{{if not .Standard}}{{.ImportPath}}{{end}}{{end}}", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			if s := strings.TrimSpace(string(out)); s != "" {
				t.Errorf("%s depends on packages with cgo files:\n%s", pkg, s)
			}
			// And it builds without cgo at all.
			cmd := exec.Command(goBin, "build", pkg)
			cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("CGO_ENABLED=0 go build %s: %v\n%s", pkg, err, out)
			}
		})
	}
	// The check itself works: with cgo, tess itself reports cgo files.
	if out, _ := exec.Command(goBin, "env", "CGO_ENABLED").Output(); strings.TrimSpace(string(out)) != "1" {
		return
	}
	out, err := exec.Command(goBin, "list", "-deps",
		"-f", "{{if .CgoFiles}}{{if not .Standard}}{{.ImportPath}}{{end}}{{end}}", "alprd/ocr/tess").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "alprd/ocr/tess") {
		t.Errorf("go list -deps alprd/ocr/tess does not report tess's own cgo files:\n%s", out)
	}
}
