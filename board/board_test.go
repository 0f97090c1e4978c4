package board

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestProfilesHaveEveryRoleOnce(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			p, err := Lookup(name)
			if err != nil {
				t.Fatalf("Lookup(%q): got error %v, want nil", name, err)
			}
			if p.Name != name {
				t.Errorf("Name: got %q, want %q", p.Name, name)
			}
			if got, want := len(p.Pins), len(Roles()); got != want {
				t.Errorf("len(Pins): got %d, want %d", got, want)
			}
			seen := map[string]Role{}
			for _, r := range Roles() {
				pin, ok := p.Pins[r]
				if !ok || pin == "" {
					t.Errorf("Pins[%s]: got none, want a pin name", r)
					continue
				}
				if other, dup := seen[pin]; dup {
					t.Errorf("pin %s: got roles %s and %s, want one role per pin", pin, other, r)
				}
				seen[pin] = r
				if !p.Sim {
					if _, ok := HeaderPin(pin); !ok {
						t.Errorf("Pins[%s] = %s: got no header pin, want a 40-pin header GPIO", r, pin)
					}
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	got := Names()
	want := []string{"cm4", "rpi4", "rpi5", "sim"}
	if !slices.Equal(got, want) {
		t.Errorf("Names(): got %v, want %v", got, want)
	}
}

func TestSimProfile(t *testing.T) {
	tests := []struct {
		name string
		sim  bool
	}{
		{"rpi4", false},
		{"rpi5", false},
		{"cm4", false},
		{"sim", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Lookup(tt.name)
			if err != nil {
				t.Fatalf("Lookup(%q): got error %v, want nil", tt.name, err)
			}
			if p.Sim != tt.sim {
				t.Errorf("Sim: got %v, want %v", p.Sim, tt.sim)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("rpi3")
	if err == nil {
		t.Fatal("Lookup(\"rpi3\"): got nil error, want one")
	}
	want := `board: lookup "rpi3": unknown board, known boards are cm4, rpi4, rpi5, sim`
	if got := err.Error(); got != want {
		t.Errorf("error: got %q, want %q", got, want)
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	p, err := Lookup("rpi4")
	if err != nil {
		t.Fatal(err)
	}
	p.Pins[Illuminator] = "GPIO4"
	again, err := Lookup("rpi4")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.Pins[Illuminator], "GPIO18"; got != want {
		t.Errorf("Pins[illuminator] after changing a copy: got %s, want %s", got, want)
	}
}

func TestHeaderPin(t *testing.T) {
	tests := []struct {
		name string
		want int
		ok   bool
	}{
		{"GPIO18", 12, true},
		{"GPIO23", 16, true},
		{"GPIO24", 18, true},
		{"GPIO25", 22, true},
		{"GPIO14", 8, true},
		{"GPIO15", 10, true},
		{"GPIO2", 3, true},
		{"GPIO27", 13, true},
		{"GPIO28", 0, false},
		{"SIM_IR", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := HeaderPin(tt.name)
			if got != tt.want || ok != tt.ok {
				t.Errorf("HeaderPin(%q): got %d, %v, want %d, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
	// The header has 28 GPIOs on 28 distinct physical pins out of 40.
	seen := map[int]string{}
	for name, n := range header40 {
		if n < 1 || n > 40 {
			t.Errorf("header40[%s]: got %d, want 1..40", name, n)
		}
		if other, dup := seen[n]; dup {
			t.Errorf("header pin %d: got %s and %s, want one GPIO", n, other, name)
		}
		seen[n] = name
	}
	if got, want := len(header40), 28; got != want {
		t.Errorf("len(header40): got %d, want %d", got, want)
	}
}

func TestWiringTable(t *testing.T) {
	got := WiringTable()
	for _, want := range []string{
		"### rpi4\n",
		"### rpi5\n",
		"### cm4\n",
		"### sim\n",
		"| illuminator | GPIO18 | 12 | out |",
		"| status_led | GPIO23 | 16 | out |",
		"| buzzer | GPIO24 | 18 | out |",
		"| tamper | GPIO25 | 22 | in |",
		"| illuminator | SIM_IR | — | out | simulated",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("WiringTable(): got no %q in\n%s", want, got)
		}
	}
}

const goodProfile = `{
  "name": "x",
  "description": "test board",
  "sim": false,
  "pins": {"illuminator": "GPIO18", "status_led": "GPIO23", "buzzer": "GPIO24", "tamper": "GPIO25"},
  "camera": {"device": "/dev/video0", "format": "mjpeg", "width": 640, "height": 480, "fps": 30},
  "gps_device": "/dev/serial0"
}`

func TestLoadRejectsBadProfiles(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		data    string
		wantErr string // substring; empty means no error
	}{
		{"good", "x.json", goodProfile, ""},
		{"unknown field", "x.json", strings.Replace(goodProfile, `"sim": false`, `"sim": false, "colour": "red"`, 1), `unknown field "colour"`},
		{"missing role", "x.json", strings.Replace(goodProfile, `, "tamper": "GPIO25"`, "", 1), "no pin for role tamper"},
		{"unknown role", "x.json", strings.Replace(goodProfile, `"tamper": "GPIO25"`, `"tamper": "GPIO25", "siren": "GPIO4"`, 1), `unknown role "siren"`},
		{"duplicate pin", "x.json", strings.Replace(goodProfile, `"GPIO24"`, `"GPIO23"`, 1), "pin GPIO23 used for both status_led and buzzer"},
		{"bad format", "x.json", strings.Replace(goodProfile, `"mjpeg"`, `"h264"`, 1), `camera format "h264"`},
		{"zero fps", "x.json", strings.Replace(goodProfile, `"fps": 30`, `"fps": 0`, 1), "camera fps 0"},
		{"no camera device", "x.json", strings.Replace(goodProfile, `"/dev/video0"`, `""`, 1), "no camera device"},
		{"name mismatch", "y.json", goodProfile, `name "x", want "y"`},
		{"trailing data", "x.json", goodProfile + "{}", "data after the profile"},
		{"not json", "x.json", "pins: GPIO18", "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"profiles/" + tt.file: {Data: []byte(tt.data)}}
			m, err := load(fsys)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("load: got error %v, want nil", err)
				}
				if _, ok := m["x"]; !ok {
					t.Errorf("load: got %v, want profile x", m)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("load: got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadNoProfiles(t *testing.T) {
	if _, err := load(fstest.MapFS{}); err == nil {
		t.Error("load(empty): got nil error, want one")
	}
}
