// Package board describes the boards alprd runs on as data: which GPIO pin
// does which job, which camera and GPS device to expect. Each profile is a
// JSON file in profiles/, embedded in the binary and decoded strictly (an
// unknown field, a missing role or a pin used twice is a build defect that the
// package tests catch).
//
// A profile only names things; opening them is the job of hal/pins (GPIO),
// hal/camera and hal/gps.
package board

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Role is a job a GPIO pin does on the unit.
type Role string

// The roles every profile assigns a pin to.
const (
	Illuminator Role = "illuminator" // output, high = IR illuminator on
	StatusLED   Role = "status_led"  // output, high = status LED lit
	Buzzer      Role = "buzzer"      // output, high = buzzer sounding
	Tamper      Role = "tamper"      // input with pull-up, high = enclosure open
)

// Roles returns every role, in a fixed order (outputs first, then inputs).
// The caller may modify the returned slice.
func Roles() []Role {
	return []Role{Illuminator, StatusLED, Buzzer, Tamper}
}

// CameraDefaults is the camera a board is usually fitted with. The
// configuration may override any of it.
type CameraDefaults struct {
	Device string  `json:"device"` // V4L2 device node, e.g. /dev/video0; empty on sim
	Format string  `json:"format"` // pixel format: "mjpeg" or "yuyv"
	Width  int     `json:"width"`  // pixels
	Height int     `json:"height"` // pixels
	FPS    float64 `json:"fps"`    // frames per second requested from the driver
}

// Profile is one board: its pins by role, camera defaults and GPS device.
type Profile struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Sim         bool            `json:"sim"`  // no hardware: use the fakes (pinstest, camera replay)
	Pins        map[Role]string `json:"pins"` // periph pin names (gpioreg.ByName), e.g. "GPIO18"
	Camera      CameraDefaults  `json:"camera"`
	GPSDevice   string          `json:"gps_device"` // serial device of the GPS receiver, e.g. /dev/serial0; empty if none
}

//go:embed profiles/*.json
var profileFS embed.FS

// profiles holds every embedded profile by name. The data is compiled in, so
// a bad file is a programming error: the package panics when loaded, and the
// tests load the same files first.
var profiles = mustLoad(profileFS)

// Lookup returns the profile called name. An unknown name gives an error that
// lists the known names. The returned profile is a copy: changing its Pins
// map does not change the package's data.
func Lookup(name string) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("board: lookup %q: unknown board, known boards are %s",
			name, strings.Join(Names(), ", "))
	}
	p.Pins = cloneMap(p.Pins)
	return p, nil
}

// Names returns the names of every known profile, sorted.
func Names() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func cloneMap(m map[Role]string) map[Role]string {
	c := make(map[Role]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func mustLoad(fsys fs.FS) map[string]Profile {
	m, err := load(fsys)
	if err != nil {
		panic(err)
	}
	return m
}

// load decodes and checks every profiles/*.json file in fsys.
func load(fsys fs.FS) (map[string]Profile, error) {
	files, err := fs.Glob(fsys, "profiles/*.json")
	if err != nil {
		return nil, fmt.Errorf("board: list profiles: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New("board: list profiles: no profiles/*.json")
	}
	m := make(map[string]Profile, len(files))
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("board: read profile %s: %w", f, err)
		}
		p, err := decode(data)
		if err != nil {
			return nil, fmt.Errorf("board: profile %s: %w", f, err)
		}
		if want := strings.TrimSuffix(path.Base(f), ".json"); p.Name != want {
			return nil, fmt.Errorf("board: profile %s: name %q, want %q (the file name)", f, p.Name, want)
		}
		m[p.Name] = p
	}
	return m, nil
}

// decode parses one profile strictly and checks it.
func decode(data []byte) (Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Profile{}, errors.New("decode: data after the profile object")
	}
	if err := p.check(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// check reports the first thing wrong with p.
func (p Profile) check() error {
	if p.Name == "" {
		return errors.New("no name")
	}
	known := Roles()
	for r := range p.Pins {
		if !slices.Contains(known, r) {
			return fmt.Errorf("pin for unknown role %q", r)
		}
	}
	used := make(map[string]Role, len(p.Pins))
	for _, r := range known {
		pin := p.Pins[r]
		if pin == "" {
			return fmt.Errorf("no pin for role %s", r)
		}
		if other, dup := used[pin]; dup {
			return fmt.Errorf("pin %s used for both %s and %s", pin, other, r)
		}
		used[pin] = r
	}
	c := p.Camera
	switch c.Format {
	case "mjpeg", "yuyv":
	default:
		return fmt.Errorf("camera format %q, want mjpeg or yuyv", c.Format)
	}
	if c.Width <= 0 || c.Height <= 0 {
		return fmt.Errorf("camera size %dx%d, want positive", c.Width, c.Height)
	}
	if !(c.FPS > 0) {
		return fmt.Errorf("camera fps %v, want positive", c.FPS)
	}
	if !p.Sim && c.Device == "" {
		return errors.New("no camera device on a hardware board")
	}
	return nil
}
