// Package config reads the unit's one configuration file: a versioned JSON
// document, strictly decoded (an unknown or misspelt key is an error that names
// it), with every default in Default and every check in Validate.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"alprd/ocr"
)

// Version is the configuration format this firmware reads.
const Version = 1

// Config is the whole configuration of a unit. JSON keys are snake_case.
type Config struct {
	Version     int         `json:"version"`
	Device      string      `json:"device"` // unit name: MQTT topics and reads carry it
	Board       string      `json:"board"`  // board profile: rpi4, rpi5, cm4, sim
	Camera      Camera      `json:"camera"`
	Illuminator Illuminator `json:"illuminator"`
	GPS         GPS         `json:"gps"`
	OCR         OCR         `json:"ocr"`
	Track       Track       `json:"track"`
	MQTT        MQTT        `json:"mqtt"`
	Keys        Keys        `json:"keys"`
	Storage     Storage     `json:"storage"`
	Spool       Spool       `json:"spool"`
	Hotlist     Hotlist     `json:"hotlist"`
	Console     Console     `json:"console"`
	Health      Health      `json:"health"`
	Log         Log         `json:"log"`
	Watchdog    Watchdog    `json:"watchdog"`
}

// Camera selects and shapes the frame source.
type Camera struct {
	Name   string  `json:"name"`   // camera name carried in reads, e.g. "front"
	Device string  `json:"device"` // V4L2 device; empty = the board's default
	Replay string  `json:"replay"` // folder of JPEG/PNG frames or an MJPEG file; replaces the device
	Loop   bool    `json:"loop"`   // replay: start again at the end
	Format string  `json:"format"` // "mjpeg", "yuyv" or "" (board default)
	Width  int     `json:"width"`
	Height int     `json:"height"`
	FPS    float64 `json:"fps"`
	Queue  int     `json:"queue"` // frames held between capture and OCR; the oldest is dropped past it
}

// Illuminator drives the IR illuminator.
type Illuminator struct {
	Mode     string   `json:"mode"`      // "strobe", "on", "off"
	StrobeMS Duration `json:"strobe_ms"` // pulse length per frame in strobe mode
}

// GPS says where positions come from.
type GPS struct {
	Mode      string  `json:"mode"`   // "nmea", "fixed", "none"
	Device    string  `json:"device"` // nmea: serial device; empty = the board's default
	Baud      int     `json:"baud"`
	Lat       float64 `json:"lat"` // fixed: position of a pole-mounted unit
	Lon       float64 `json:"lon"`
	AccuracyM float64 `json:"accuracy_m"`
}

// OCR tunes detection and reading.
type OCR struct {
	Workers       int     `json:"workers"`        // OCR goroutines, one Tesseract client each
	Language      string  `json:"language"`       // Tesseract models: "plate" (built in), "eng", or both "plate+eng"
	Region        string  `json:"region"`         // plate syntax: "us", "us-ca", "eu", "br", ... or "none"
	Tessdata      string  `json:"tessdata"`       // tessdata folder; empty = Tesseract's default
	MinConfidence float64 `json:"min_confidence"` // reads below this (0..100) are not sent
	MaxPlates     int     `json:"max_plates"`     // regions read per frame at most
	Reread        float64 `json:"reread"`         // the best region is read again, its box grown by this fraction (negative: shrunk), and the readings vote; 0 = once (see ocr.Engine.Reread)
	MinChars      int     `json:"min_chars"`      // readings with fewer characters are not plates
	MaxChars      int     `json:"max_chars"`      // readings with more characters are not plates (see ocr.DefaultMaxChars)
	MinPlateWidth int     `json:"min_plate_width"`
	CropQuality   int     `json:"crop_quality"` // JPEG quality of the plate crop in reads
	// Ignore lists parts of the frame whose regions are not read, each
	// [x0, y0, x1, y1] in fractions of the frame's width and height: the
	// timestamp or name the camera burns into its frames (see ocr.Area).
	Ignore [][]float64 `json:"ignore"`
}

// IgnoreAreas returns Ignore as the engine takes it.
func (o OCR) IgnoreAreas() []ocr.Area {
	var as []ocr.Area
	for _, a := range o.Ignore {
		if len(a) == 4 {
			as = append(as, ocr.Area{X0: a[0], Y0: a[1], X1: a[2], Y1: a[3]})
		}
	}
	return as
}

// Track groups a vehicle's detections across frames and votes one read per
// pass.
type Track struct {
	Window    Duration `json:"window_s"`   // no sighting for this long ends a pass; 0 = no tracking
	MaxAge    Duration `json:"max_age_s"`  // a pass longer than this is cut (parked car)
	MinFrames int      `json:"min_frames"` // passes seen in fewer frames are not sent
}

// MQTT is the uplink to headquarters.
type MQTT struct {
	Broker       string   `json:"broker"` // tcp://host:1883, ssl://host:8883
	ClientID     string   `json:"client_id"`
	Username     string   `json:"username"`
	PasswordFile string   `json:"password_file"` // or the systemd credential "mqtt-password"
	TopicPrefix  string   `json:"topic_prefix"`
	KeepAlive    Duration `json:"keepalive_s"`
	Timeout      Duration `json:"timeout_s"` // one publish's wait for the broker's acknowledgement
}

// Storage is where the unit keeps its state, sealed at rest.
type Storage struct {
	Dir     string `json:"dir"`      // state folder (systemd StateDirectory)
	KeyFile string `json:"key_file"` // 32-byte storage key; empty = the systemd credential "storage-key"
}

// Keys says where the unit's provisioning bundle is (alprprov device):
// device.crt, ca.crt, hq-signing.pub, hq-epoch-N.pub, and the device key.
type Keys struct {
	Dir string `json:"dir"`
	// DeviceKey is the unit's private key (TLS client and envelope
	// signatures); empty = the systemd credential "device-key", else
	// dir/device.key.
	DeviceKey string `json:"device_key"`
	// Suite is the HPKE suite messages are sealed with: "p256", or
	// "mlkem768-p256" (post-quantum hybrid); the newest HQ key of that
	// suite in the bundle is used.
	Suite string `json:"suite"`
}

// Spool is the durable queue of messages for HQ.
type Spool struct {
	MaxMB       int      `json:"max_mb"`       // size cap; past it the oldest reads are dropped (never alerts or audit)
	CommitMS    Duration `json:"commit_ms"`    // group commit interval
	CommitCount int      `json:"commit_count"` // group commit size
	ResendS     Duration `json:"resend_s"`     // publish again from HQ's ack when it has not moved for this long
	Window      int      `json:"window"`       // reads published beyond HQ's last ack at most; 0 = no limit
}

// Hotlist configures the on-unit hot list.
type Hotlist struct {
	Recent Duration `json:"recent_h"`  // reads kept in memory to check new entries against
	MaxAge Duration `json:"max_age_h"` // a list older than this is a health warning
}

// Console is the local control socket of alprctl (the officer's console).
type Console struct {
	Socket  string `json:"socket"`   // Unix socket path
	Users   string `json:"users"`    // users file: name:role:password hash
	CropDir string `json:"crop_dir"` // plate crops of reads and alerts for the console (tmpfs)
}

// Log sets the daemon's logging.
type Log struct {
	Level  string `json:"level"`  // "debug", "info", "warn", "error"
	Format string `json:"format"` // "text", "json"
}

// Health sets the periodic health report.
type Health struct {
	Interval Duration `json:"interval_s"`
}

// Watchdog sets how long capture may stall before the daemon stops petting
// systemd's watchdog.
type Watchdog struct {
	Stall Duration `json:"stall_s"`
}

// Duration is a time span written in the file as a number in the unit that its
// key names (strobe_ms, timeout_s).
type Duration struct {
	time.Duration
	unit time.Duration
}

// Default returns the configuration every file starts from.
func Default() Config {
	return Config{
		Version: Version,
		Board:   "sim",
		Camera: Camera{
			Name:  "front",
			Loop:  true,
			Queue: 4,
		},
		Illuminator: Illuminator{Mode: "strobe", StrobeMS: ms(2)},
		GPS:         GPS{Mode: "none", Baud: 9600},
		OCR: OCR{
			Workers:       1,
			Language:      "plate+eng",
			Region:        "us",
			MinConfidence: 50,
			MaxPlates:     3,
			Reread:        ocr.DefaultReread,
			MinChars:      ocr.DefaultMinChars,
			MaxChars:      ocr.DefaultMaxChars,
			MinPlateWidth: 60,
			CropQuality:   85,
		},
		Track: Track{Window: sec(1), MaxAge: sec(30), MinFrames: 1},
		MQTT: MQTT{
			Broker:      "tcp://127.0.0.1:1883",
			TopicPrefix: "alpr/v1",
			KeepAlive:   sec(30),
			Timeout:     sec(10),
		},
		Keys:    Keys{Dir: "/etc/alprd/keys", Suite: "p256"},
		Storage: Storage{Dir: "/var/lib/alprd"},
		Spool:   Spool{MaxMB: 512, CommitMS: ms(10), CommitCount: 256, ResendS: sec(120), Window: 500},
		Health:  Health{Interval: sec(300)},
		Hotlist: Hotlist{Recent: hours(4), MaxAge: hours(24)},
		Console: Console{
			Socket:  "/run/alprd/ctl.sock",
			Users:   "/etc/alprd/users",
			CropDir: "/run/alprd/crops",
		},
		Log:      Log{Level: "info", Format: "text"},
		Watchdog: Watchdog{Stall: sec(10)},
	}
}

func ms(n int) Duration    { return Duration{time.Duration(n) * time.Millisecond, time.Millisecond} }
func sec(n int) Duration   { return Duration{time.Duration(n) * time.Second, time.Second} }
func hours(n int) Duration { return Duration{time.Duration(n) * time.Hour, time.Hour} }

// Load reads, decodes and validates the file at path.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a configuration from b over Default and validates it.
func Parse(b []byte) (Config, error) {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return Config{}, syntaxError(b, err)
	}
	if err := checkKeys(raw, reflect.TypeFor[Config](), ""); err != nil {
		return Config{}, err
	}
	v, ok := raw["version"]
	if !ok {
		return Config{}, fmt.Errorf("missing key \"version\" (this firmware reads version %d)", Version)
	}
	if f, ok := v.(float64); !ok || f != Version {
		return Config{}, fmt.Errorf("version: got %v, want %d", v, Version)
	}
	c := Default()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Config{}, fmt.Errorf("%s: got a JSON %s, want %s", te.Field, te.Value, typeName(te.Type))
		}
		return Config{}, err
	}
	return c, c.Validate()
}

func syntaxError(b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:se.Offset], []byte("\n"))
		if strings.Contains(se.Error(), "after top-level value") {
			return fmt.Errorf("line %d: trailing data after the configuration object", line)
		}
		return fmt.Errorf("line %d: %v", line, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("the configuration must be a JSON object, got a JSON %s", te.Value)
	}
	return err
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Struct:
		if t == reflect.TypeFor[Duration]() {
			return "a number"
		}
		return "an object"
	}
	return t.String()
}

// checkKeys reports the first key of raw (in sorted order) that t has no field
// for, with its full dotted path and the nearest known key.
func checkKeys(raw map[string]any, t reflect.Type, prefix string) error {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ft, ok := fields[k]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", prefix+k)
			if near := nearest(k, fields); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", prefix+near)
			}
			return errors.New(msg)
		}
		if sub, ok := raw[k].(map[string]any); ok && ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]() {
			if err := checkKeys(sub, ft, prefix+k+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// nearest returns the known key within edit distance 2 of k, if any.
func nearest(k string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for name := range fields {
		if d := editDistance(k, name); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// UnmarshalJSON reads a number in the unit set by Default (milliseconds for
// *_ms keys, seconds for *_s keys).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Duration]()}
	}
	if d.unit == 0 {
		d.unit = time.Second
	}
	d.Duration = time.Duration(f * float64(d.unit))
	return nil
}

// MarshalJSON writes the number in the key's unit.
func (d Duration) MarshalJSON() ([]byte, error) {
	u := d.unit
	if u == 0 {
		u = time.Second
	}
	return json.Marshal(float64(d.Duration) / float64(u))
}

func jsonKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "value"
	case b[0] == '"':
		return "string"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == 'n':
		return "null"
	}
	return "number"
}
