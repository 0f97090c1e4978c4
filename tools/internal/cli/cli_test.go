package cli

import (
	"bytes"
	"flag"
	"io"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		ok     bool
	}{
		{[]string{"-n", "3"}, 0, true},
		{[]string{"-h"}, 0, false},
		{[]string{"-bogus"}, 2, false},
	} {
		fs := flag.NewFlagSet("tool", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("n", 1, "count")
		if status, ok := Parse(fs, tc.args, "tool [flags]", "Does things."); status != tc.status || ok != tc.ok {
			t.Errorf("%v: got %d, %v; want %d, %v", tc.args, status, ok, tc.status, tc.ok)
		}
	}
}

func TestUsagef(t *testing.T) {
	var b bytes.Buffer
	if got := Usagef(&b, "tool", "-n %d: want at least 1", 0); got != 2 {
		t.Errorf("status: got %d, want 2", got)
	}
	if want := "tool: -n 0: want at least 1\nrun 'tool -h' for usage\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
