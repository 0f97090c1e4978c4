package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryKey keeps the README's configuration reference
// true: every key of the file has its row.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## Configuration reference")
	if i < 0 {
		t.Fatal("README has no configuration reference")
	}
	ref := readme[i:]
	if j := strings.Index(ref[3:], "\n## "); j >= 0 {
		ref = ref[:j+3]
	}
	for _, key := range keys(reflect.TypeFor[Config](), "") {
		if !strings.Contains(ref, "`"+key+"`") {
			t.Errorf("README configuration reference lacks `%s`", key)
		}
	}
}

// keys lists the dotted keys of t's JSON fields.
func keys(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
			out = append(out, keys(f.Type, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}
