package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const minimal = `{"version": 1, "device": "unit-7", "camera": {"replay": "/frames"}}`

func TestParseMinimal(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Device = "unit-7"
	want.Camera.Replay = "/frames"
	if c.Device != want.Device || c.Camera != want.Camera || !reflect.DeepEqual(c.OCR, want.OCR) || c.MQTT.Broker != want.MQTT.Broker {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c.Illuminator.StrobeMS.Duration != 2*time.Millisecond {
		t.Errorf("illuminator.strobe_ms: got %v, want 2ms", c.Illuminator.StrobeMS.Duration)
	}
}

func TestDurationUnits(t *testing.T) {
	c, err := Parse([]byte(`{"version":1,"device":"u","camera":{"replay":"x"},"illuminator":{"strobe_ms":1.5},"mqtt":{"timeout_s":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Illuminator.StrobeMS.Duration, 1500*time.Microsecond; got != want {
		t.Errorf("strobe_ms: got %v, want %v", got, want)
	}
	if got, want := c.MQTT.Timeout.Duration, 3*time.Second; got != want {
		t.Errorf("timeout_s: got %v, want %v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"unknown top key", `{"version":1,"device":"u","camera":{"replay":"x"},"devise":"u"}`,
			`unknown key "devise" (did you mean "device"?)`},
		{"unknown nested key", `{"version":1,"device":"u","camera":{"replay":"x","fsp":10}}`,
			`unknown key "camera.fsp" (did you mean "camera.fps"?)`},
		{"unknown key far from any", `{"version":1,"device":"u","camera":{"replay":"x"},"ocr":{"colour":1}}`,
			`unknown key "ocr.colour"`},
		{"missing version", `{"device":"u"}`,
			`missing key "version" (this firmware reads version 1)`},
		{"wrong version", `{"version":2,"device":"u"}`,
			`version: got 2, want 1`},
		{"wrong type", `{"version":1,"device":"u","camera":{"replay":"x","fps":"fast"}}`,
			`camera.fps: got a JSON string, want a number`},
		{"wrong duration type", `{"version":1,"device":"u","camera":{"replay":"x"},"mqtt":{"timeout_s":"10s"}}`,
			`mqtt.timeout_s: got a JSON string, want a number`},
		{"syntax", "{\"version\":1,\n\"device\":\"u\",,}",
			`line 2: invalid character ',' looking for beginning of object key string`},
		{"not an object", `[1]`,
			`the configuration must be a JSON object, got a JSON array`},
		{"bad value", `{"version":1,"device":"u","camera":{"replay":"x","fps":500}}`,
			`camera.fps: got 500, want a number from 0 to 120`},
		{"bad enum", `{"version":1,"device":"u","camera":{"replay":"x"},"illuminator":{"mode":"blink"}}`,
			`illuminator.mode: got "blink", want one of "strobe", "on", "off"`},
		{"bad board", `{"version":1,"device":"u","board":"rpi3","camera":{"replay":"x"}}`,
			`board: got "rpi3", want one of "cm4", "rpi4", "rpi5", "sim"`},
		{"missing device", `{"version":1,"camera":{"replay":"x"}}`,
			`device: missing, want the unit's name (letters, digits, "-", "_", ".")`},
		{"bad device", `{"version":1,"device":"a/b","camera":{"replay":"x"}}`,
			`device: got "a/b", want letters, digits, "-", "_" and "." only, at most 64`},
		{"sim without replay", `{"version":1,"device":"u"}`,
			`camera.replay: missing, want a folder of frames or an MJPEG file (board "sim" has no camera)`},
		{"bad broker", `{"version":1,"device":"u","camera":{"replay":"x"},"mqtt":{"broker":"localhost"}}`,
			`mqtt.broker: got "localhost", want a URL such as "tcp://host:1883" or "ssl://host:8883"`},
		{"fixed gps without position", `{"version":1,"device":"u","camera":{"replay":"x"},"gps":{"mode":"fixed"}}`,
			`gps.lat, gps.lon: missing, want the unit's position when gps.mode is "fixed"`},
		{"two problems", `{"version":1,"device":"u","camera":{"replay":"x","queue":0},"ocr":{"workers":99}}`,
			"camera.queue: got 0, want a whole number from 1 to 64\nocr.workers: got 99, want a whole number from 1 to 16"},
		{"bad region", `{"version":1,"device":"u","camera":{"replay":"x"},"ocr":{"region":"us-zz"}}`,
			`ocr.region: got "us-zz", want "us", "eu", "br", a jurisdiction such as "us-ca" or "eu-sk", or "none"`},
		{"negative track window", `{"version":1,"device":"u","camera":{"replay":"x"},"track":{"window_s":-1}}`,
			`track.window_s: got -1, want a number from 0 to 10`},
		{"bad ignore area", `{"version":1,"device":"u","camera":{"replay":"x"},"ocr":{"ignore":[[0,0,0.3,0.07],[0.5,0.1,0.4,0.2]]}}`,
			`ocr.ignore[1]: got [0.5 0.1 0.4 0.2], want [x0, y0, x1, y1] in fractions of the frame, 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1`},
		{"ignore area beyond the frame", `{"version":1,"device":"u","camera":{"replay":"x"},"ocr":{"ignore":[[0,0,1.5,0.07]]}}`,
			`ocr.ignore[0]: got [0 0 1.5 0.07], want [x0, y0, x1, y1] in fractions of the frame, 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1`},
		{"ignore area of three numbers", `{"version":1,"device":"u","camera":{"replay":"x"},"ocr":{"ignore":[[0,0,1]]}}`,
			`ocr.ignore[0]: got [0 0 1], want [x0, y0, x1, y1] in fractions of the frame, 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1`},
		{"too many ignore areas", `{"version":1,"device":"u","camera":{"replay":"x"},"ocr":{"ignore":[[0,0,1,1],[0,0,1,1],[0,0,1,1],[0,0,1,1],[0,0,1,1],[0,0,1,1],[0,0,1,1],[0,0,1,1],[0,0,1,1]]}}`,
			`ocr.ignore: got 9, want at most 8 areas`},
		{"trailing data", `{"version":1,"device":"u","camera":{"replay":"x"}} {}`,
			`line 1: trailing data after the configuration object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(dir, "nope.json")
		_, err := Load(path)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want an error wrapping fs.ErrNotExist", err)
		}
		if want := "config: open " + path + ": no such file or directory"; err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
	})
	t.Run("names the file", func(t *testing.T) {
		path := filepath.Join(dir, "bad.json")
		os.WriteFile(path, []byte(`{"version":1,"device":"u","camera":{"replay":"x"},"extra":1}`), 0o600)
		_, err := Load(path)
		if want := "config: " + path + `: unknown key "extra"`; err == nil || err.Error() != want {
			t.Errorf("got %v, want %q", err, want)
		}
	})
	t.Run("examples are valid", func(t *testing.T) {
		files, _ := filepath.Glob("../../board/examples/*.json")
		files2, _ := filepath.Glob("testdata/*.json")
		for _, f := range append(files, files2...) {
			if _, err := Load(f); err != nil && !strings.Contains(f, "invalid") {
				t.Errorf("%s: %v", f, err)
			}
		}
	})
}
