package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"alprd/board"
	"alprd/ocr/syntax"
)

// maxIgnore is the most areas ocr.ignore may list.
const maxIgnore = 8

// Validate checks every value and returns all problems at once, each naming its
// key and what it allows.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, got any, want string) {
		errs = append(errs, fmt.Errorf("%s: got %v, want %s", key, quote(got), want))
	}
	oneOf := func(key, got string, allowed ...string) {
		if !slices.Contains(allowed, got) {
			bad(key, got, "one of "+strings.Join(quoteAll(allowed), ", "))
		}
	}
	intIn := func(key string, got, lo, hi int) {
		if got < lo || got > hi {
			bad(key, got, fmt.Sprintf("a whole number from %d to %d", lo, hi))
		}
	}
	floatIn := func(key string, got, lo, hi float64) {
		if got < lo || got > hi {
			bad(key, got, fmt.Sprintf("a number from %g to %g", lo, hi))
		}
	}
	durIn := func(key string, got Duration, lo, hi time.Duration, unit time.Duration) {
		if got.Duration < lo || got.Duration > hi {
			bad(key, float64(got.Duration)/float64(unit), fmt.Sprintf("a number from %g to %g", float64(lo)/float64(unit), float64(hi)/float64(unit)))
		}
	}

	if c.Device == "" {
		errs = append(errs, errors.New(`device: missing, want the unit's name (letters, digits, "-", "_", ".")`))
	} else if !validName(c.Device) {
		bad("device", c.Device, `letters, digits, "-", "_" and "." only, at most 64`)
	}
	prof, err := board.Lookup(c.Board)
	if err != nil {
		bad("board", c.Board, "one of "+strings.Join(quoteAll(board.Names()), ", "))
	}

	if !validName(c.Camera.Name) {
		bad("camera.name", c.Camera.Name, `letters, digits, "-", "_" and "." only, at most 64`)
	}
	if err == nil && prof.Sim && c.Camera.Replay == "" {
		errs = append(errs, fmt.Errorf("camera.replay: missing, want a folder of frames or an MJPEG file (board %q has no camera)", c.Board))
	}
	oneOf("camera.format", c.Camera.Format, "", "mjpeg", "yuyv")
	intIn("camera.width", c.Camera.Width, 0, 4096)
	intIn("camera.height", c.Camera.Height, 0, 4096)
	floatIn("camera.fps", c.Camera.FPS, 0, 120)
	intIn("camera.queue", c.Camera.Queue, 1, 64)

	oneOf("illuminator.mode", c.Illuminator.Mode, "strobe", "on", "off")
	durIn("illuminator.strobe_ms", c.Illuminator.StrobeMS, 100*time.Microsecond, 50*time.Millisecond, time.Millisecond)

	oneOf("gps.mode", c.GPS.Mode, "nmea", "fixed", "none")
	if !slices.Contains([]int{4800, 9600, 19200, 38400, 57600, 115200}, c.GPS.Baud) {
		bad("gps.baud", c.GPS.Baud, "one of 4800, 9600, 19200, 38400, 57600, 115200")
	}
	if c.GPS.Mode == "fixed" {
		floatIn("gps.lat", c.GPS.Lat, -90, 90)
		floatIn("gps.lon", c.GPS.Lon, -180, 180)
		floatIn("gps.accuracy_m", c.GPS.AccuracyM, 0, 10000)
		if c.GPS.Lat == 0 && c.GPS.Lon == 0 {
			errs = append(errs, errors.New(`gps.lat, gps.lon: missing, want the unit's position when gps.mode is "fixed"`))
		}
	}

	intIn("ocr.workers", c.OCR.Workers, 1, 16)
	if c.OCR.Language == "" {
		errs = append(errs, errors.New(`ocr.language: missing, want a Tesseract language such as "eng"`))
	}
	if c.OCR.Region != "none" {
		if _, err := syntax.New(c.OCR.Region); err != nil {
			bad("ocr.region", c.OCR.Region, `"us", "eu", "br", a jurisdiction such as "us-ca" or "eu-sk", or "none"`)
		}
	}
	durIn("track.window_s", c.Track.Window, 0, 10*time.Second, time.Second)
	durIn("track.max_age_s", c.Track.MaxAge, time.Second, 10*time.Minute, time.Second)
	intIn("track.min_frames", c.Track.MinFrames, 1, 100)
	floatIn("ocr.min_confidence", c.OCR.MinConfidence, 0, 100)
	intIn("ocr.max_plates", c.OCR.MaxPlates, 1, 16)
	floatIn("ocr.reread", c.OCR.Reread, -0.2, 0.2)
	intIn("ocr.min_chars", c.OCR.MinChars, 1, 12)
	intIn("ocr.max_chars", c.OCR.MaxChars, max(c.OCR.MinChars, 1), 16)
	intIn("ocr.min_plate_width", c.OCR.MinPlateWidth, 20, 2000)
	intIn("ocr.crop_quality", c.OCR.CropQuality, 1, 100)
	if len(c.OCR.Ignore) > maxIgnore {
		bad("ocr.ignore", len(c.OCR.Ignore), fmt.Sprintf("at most %d areas", maxIgnore))
	}
	for i, a := range c.OCR.Ignore {
		if len(a) != 4 || !(0 <= a[0] && a[0] < a[2] && a[2] <= 1 && 0 <= a[1] && a[1] < a[3] && a[3] <= 1) {
			bad(fmt.Sprintf("ocr.ignore[%d]", i), a, "[x0, y0, x1, y1] in fractions of the frame, 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1")
		}
	}

	if u, err := url.Parse(c.MQTT.Broker); err != nil || u.Host == "" || !slices.Contains([]string{"tcp", "ssl", "tls", "mqtt", "mqtts"}, u.Scheme) {
		bad("mqtt.broker", c.MQTT.Broker, `a URL such as "tcp://host:1883" or "ssl://host:8883"`)
	}
	if c.MQTT.TopicPrefix == "" || strings.ContainsAny(c.MQTT.TopicPrefix, "+#") || strings.HasPrefix(c.MQTT.TopicPrefix, "/") || strings.HasSuffix(c.MQTT.TopicPrefix, "/") {
		bad("mqtt.topic_prefix", c.MQTT.TopicPrefix, `topic levels without "+", "#" or a leading or trailing "/"`)
	}
	durIn("mqtt.keepalive_s", c.MQTT.KeepAlive, 5*time.Second, 10*time.Minute, time.Second)
	durIn("mqtt.timeout_s", c.MQTT.Timeout, time.Second, 5*time.Minute, time.Second)

	for _, kv := range [][2]string{{"keys.dir", c.Keys.Dir}, {"storage.dir", c.Storage.Dir}, {"console.socket", c.Console.Socket}, {"console.users", c.Console.Users}, {"console.crop_dir", c.Console.CropDir}} {
		if !filepath.IsAbs(kv[1]) {
			bad(kv[0], kv[1], "an absolute path")
		}
	}
	if c.Keys.DeviceKey != "" && !filepath.IsAbs(c.Keys.DeviceKey) {
		bad("keys.device_key", c.Keys.DeviceKey, "an absolute path")
	}
	oneOf("keys.suite", c.Keys.Suite, "p256", "mlkem768-p256")
	intIn("spool.max_mb", c.Spool.MaxMB, 16, 1<<20)
	durIn("spool.commit_ms", c.Spool.CommitMS, time.Millisecond, time.Second, time.Millisecond)
	intIn("spool.commit_count", c.Spool.CommitCount, 1, 65536)
	intIn("spool.window", c.Spool.Window, 0, 1_000_000)
	durIn("spool.resend_s", c.Spool.ResendS, 5*time.Second, time.Hour, time.Second)
	durIn("health.interval_s", c.Health.Interval, 10*time.Second, 24*time.Hour, time.Second)
	durIn("hotlist.recent_h", c.Hotlist.Recent, 0, 48*time.Hour, time.Hour)
	durIn("hotlist.max_age_h", c.Hotlist.MaxAge, time.Hour, 30*24*time.Hour, time.Hour)

	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf("log.format", c.Log.Format, "text", "json")
	durIn("watchdog.stall_s", c.Watchdog.Stall, time.Second, 10*time.Minute, time.Second)

	return errors.Join(errs...)
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func quote(v any) any {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return v
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
