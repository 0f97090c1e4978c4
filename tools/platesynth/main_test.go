package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunUsageErrors(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no out", nil, "-out is required"},
		{"unknown format", []string{"-out", out, "-formats", "us-ca,us-xx"}, `unknown plate format "us-xx" (known: us-ca, us-fl, us-ny, us-tx, us-wa)`},
		{"bad layout", []string{"-out", out, "-layout", "yolo"}, `-layout "yolo": want endtoend or crops`},
		{"ir above 1", []string{"-out", out, "-ir", "2"}, "IR fraction 2: want 0 to 1"},
		{"zero n", []string{"-out", out, "-n", "0"}, "-n 0: want at least 1"},
		{"min above max", []string{"-out", out, "-min-plate", "200", "-max-plate", "100"}, "less than min plate width"},
		{"plate wider than frame", []string{"-out", out, "-width", "320", "-height", "240", "-max-plate", "400"}, "does not fit a 320x240 frame"},
		{"unknown flag", []string{"-out", out, "-colour"}, "flag provided but not defined: -colour"},
		{"bad number", []string{"-out", out, "-n", "many"}, `invalid value "many" for flag -n`},
		{"extra argument", []string{"-out", out, "extra"}, "unexpected arguments: extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.args, &stdout, &stderr); got != 2 {
				t.Fatalf("got exit status %d, want 2 (stderr %q)", got, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", stderr.String(), tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("usage errors wrote %d files, want none", len(entries))
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := run([]string{"-h"}, &stdout, &stderr); got != 0 {
		t.Fatalf("got exit status %d, want 0", got)
	}
	if !strings.Contains(stderr.String(), "usage: platesynth -out DIR") {
		t.Errorf("got help %q, want the usage line", stderr.String())
	}
}

func TestRunWrites(t *testing.T) {
	tests := []struct {
		layout string
		want   []string
	}{
		{"endtoend", []string{"synth-0001.jpg", "synth-0001.txt", "synth-0002.jpg", "synth-0002.txt", "synth-0003.jpg", "synth-0003.txt"}},
		{"crops", []string{"groundtruth.csv", "synth-0001.jpg", "synth-0002.jpg", "synth-0003.jpg"}},
	}
	for _, tt := range tests {
		t.Run(tt.layout, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ds")
			args := []string{"-out", dir, "-n", "3", "-seed", "5", "-layout", tt.layout,
				"-width", "320", "-height", "240", "-min-plate", "60", "-max-plate", "120", "-formats", "us-ca,us-ny", "-ir", "0.5"}
			var stdout, stderr bytes.Buffer
			if got := run(args, &stdout, &stderr); got != 0 {
				t.Fatalf("got exit status %d, want 0 (stderr %q)", got, stderr.String())
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got files %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunWriteError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if got := run([]string{"-out", filepath.Join(file, "sub"), "-n", "1"}, &stdout, &stderr); got != 1 {
		t.Fatalf("got exit status %d, want 1 (stderr %q)", got, stderr.String())
	}
}
