package prov

import (
	"strings"
	"testing"
)

func TestValidNames(t *testing.T) {
	long := strings.Repeat("a", MaxNameLen)
	tests := []struct {
		name         string
		device, hq   bool // valid as a unit id, as an HQ identity
		wantInDevErr string
	}{
		{"unit-0042", true, false, ""},
		{"U_7.front", true, false, ""},
		{"7", true, false, ""},
		{long, true, false, ""},
		{long + "a", false, false, "at most 64"},
		{"", false, false, "empty"},
		{"unit+1", false, false, `'+'`},
		{"unit#1", false, false, `'#'`},
		{"alpr/unit", false, false, `'/'`},
		{"%u", false, false, `'%'`},
		{"unit 1", false, false, `' '`},
		{".unit", false, false, "starts with"},
		{"-unit", false, false, "starts with"},
		{"..", false, false, "starts with"},
		{"unité", false, false, "'é'"},
		{"hq-main", false, true, "must not start with"},
		{"HQ-main", false, false, "must not start with"},
		{"Hq-x", false, false, "must not start with"},
		{"hq-", false, false, "must not start with"},
		{"hq", true, false, ""},
		{"hqmain", true, false, ""},
		{"hq-audit.2", false, true, "must not start with"},
		{"hq-a/b", false, false, "'/'"},
	}
	for _, tt := range tests {
		err := ValidDevice(tt.name)
		if got := err == nil; got != tt.device {
			t.Errorf("ValidDevice(%q): got %v, want valid %v", tt.name, err, tt.device)
		}
		if err != nil && !strings.Contains(err.Error(), tt.wantInDevErr) {
			t.Errorf("ValidDevice(%q): got %q, want it to mention %s", tt.name, err, tt.wantInDevErr)
		}
		if err := ValidHQ(tt.name); (err == nil) != tt.hq {
			t.Errorf("ValidHQ(%q): got %v, want valid %v", tt.name, err, tt.hq)
		}
	}
}

// No name is both a unit's and an HQ identity's, whatever the case: a unit
// can never hold HQ's ACL rights.
func TestDeviceAndHQNamesDisjoint(t *testing.T) {
	for _, prefix := range []string{"hq-", "HQ-", "hQ-", "Hq-"} {
		for _, rest := range []string{"main", "x", "0", "a.b"} {
			if n := prefix + rest; ValidDevice(n) == nil {
				t.Errorf("ValidDevice(%q): got nil, want an error", n)
			}
		}
	}
}

func TestValidPrefix(t *testing.T) {
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"alpr/v1", true},
		{"dept/alpr/v1", true},
		{"alpr", true},
		{"", false},
		{"/alpr", false},
		{"alpr/", false},
		{"alpr//v1", false},
		{"alpr/+", false},
		{"alpr/#", false},
		{"alpr/%u", false},
		{"$SYS/alpr", false},
		{"alpr v1", false},
	}
	for _, tt := range tests {
		if err := ValidPrefix(tt.prefix); (err == nil) != tt.ok {
			t.Errorf("ValidPrefix(%q): got %v, want ok %v", tt.prefix, err, tt.ok)
		}
	}
}
