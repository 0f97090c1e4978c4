package unit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"alprd/board"
	"alprd/firmware/config"
	"alprd/firmware/pipeline"
	"alprd/firmware/sdnotify"
	"alprd/firmware/track"
	"alprd/hal/camera"
	"alprd/hal/camera/replay"
	"alprd/hal/camera/v4l2"
	"alprd/hal/gps"
	"alprd/hal/pins"
	"alprd/hal/pins/pinstest"
	"alprd/ocr"
	"alprd/ocr/detect"
	"alprd/ocr/syntax"
	"alprd/ocr/tess"
)

// Version is the firmware version, set at build time with
// -ldflags "-X alprd/firmware/unit.Version=...".
var Version = "dev"

// ErrConfig marks errors that a configuration change must fix: the daemon
// exits with status 125 and systemd does not restart it.
var ErrConfig = errors.New("bad configuration")

// NewLogger returns the daemon's logger as cfg asks.
func NewLogger(w io.Writer, cfg config.Log) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Options lets tests and benchmarks observe a running unit.
type Options struct {
	// Started is called with the pipeline once the camera is open and the
	// readers are ready, before READY is sent to systemd.
	Started func(*pipeline.Pipeline)
	// Pins receives the fake pins on the sim board.
	Pins func(*pinstest.Pins)
}

// Run runs the unit until ctx is done (or a replay without loop ends), then
// drains, switches the illuminator off and returns.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	return RunWith(ctx, cfg, log, Options{})
}

// RunWith is Run with observation hooks.
func RunWith(ctx context.Context, cfg config.Config, log *slog.Logger, opt Options) error {
	prof, err := board.Lookup(cfg.Board)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	log.Info("alprd starting", "version", Version, "device", cfg.Device, "board", prof.Name)

	hw, err := openPins(prof, opt)
	if err != nil {
		return err
	}
	defer hw.Halt()

	src := openCamera(cfg.Camera, prof, log)
	position := openGPS(cfg.GPS, prof, log)

	// Helpers stop when Run returns, before the pins are halted.
	runCtx, cancel := context.WithCancel(ctx)
	var helpers sync.WaitGroup
	defer helpers.Wait()
	defer cancel()
	helpers.Go(func() { runGPS(runCtx, position, log) })

	var light pipeline.Illuminator
	switch cfg.Illuminator.Mode {
	case "on":
		if err := hw.Illuminator.On(); err != nil {
			return err
		}
	case "strobe":
		light = hw.Illuminator
	}

	svc, err := openServices(cfg, log, hw.Buzzer)
	if err != nil {
		return err
	}
	defer func() {
		cancel()
		helpers.Wait()
		svc.close()
	}()
	if err := svc.run(runCtx, &helpers); err != nil {
		return err
	}
	defer svc.flush(0) // on early returns: stop the sender

	var corrector ocr.Corrector
	if cfg.OCR.Region != "none" {
		c, err := syntax.New(cfg.OCR.Region)
		if err != nil {
			return fmt.Errorf("%w: ocr.region: %w", ErrConfig, err)
		}
		corrector = c
	}

	notify := sdnotify.FromEnv()
	p, err := pipeline.New(pipeline.Config{
		Device:   cfg.Device,
		Camera:   cfg.Camera.Name,
		Firmware: Version,
		Source:   src,
		Detector: detect.New(detect.Options{MinWidth: cfg.OCR.MinPlateWidth, MaxRegions: cfg.OCR.MaxPlates}),
		NewReader: func() (ocr.Reader, error) {
			r := tess.New(tess.Config{Language: cfg.OCR.Language, TessdataPrefix: cfg.OCR.Tessdata})
			if err := r.Open(); err != nil {
				return nil, err
			}
			return r, nil
		},
		Corrector: corrector,
		Track: track.Config{
			Window:    cfg.Track.Window.Duration,
			MaxAge:    cfg.Track.MaxAge.Duration,
			MinFrames: cfg.Track.MinFrames,
		},
		Sink:          svc.disp,
		GPS:           position,
		Light:         light,
		Strobe:        cfg.Illuminator.StrobeMS.Duration,
		Workers:       cfg.OCR.Workers,
		Queue:         cfg.Camera.Queue,
		MaxPlates:     cfg.OCR.MaxPlates,
		Reread:        cfg.OCR.Reread,
		MinConfidence: cfg.OCR.MinConfidence,
		MinChars:      cfg.OCR.MinChars,
		MaxChars:      cfg.OCR.MaxChars,
		Ignore:        cfg.OCR.IgnoreAreas(),
		CropQuality:   cfg.OCR.CropQuality,
		Log:           log,
		Ready: func(p *pipeline.Pipeline) {
			if opt.Started != nil {
				opt.Started(p)
			}
			notify.Ready()
			log.Info("alprd ready")
		},
	})
	if err != nil {
		return err
	}
	var ps pipelineStats = statsOf{p}
	svc.pl.Store(&ps)
	tester := &selfTester{svc: svc, hw: hw, p: p}
	svc.tester.Store(tester)
	helpers.Go(func() { hw.LED.Run(runCtx) })
	helpers.Go(func() { tester.atStart(runCtx) })
	helpers.Go(func() { watchTamper(runCtx, hw, svc) })
	helpers.Go(func() { watchdog(runCtx, notify, p, cfg.Watchdog.Stall.Duration, log) })
	helpers.Go(func() { report(runCtx, p, log) })

	err = p.Run(ctx)
	notify.Stopping()
	svc.flush(cfg.MQTT.Timeout.Duration)
	s := p.Stats()
	log.Info("alprd stopping", "frames", s.Frames, "dropped", s.Dropped, "processed", s.Processed, "reads", s.Reads, "delivered", s.Delivered, "undelivered", s.Undelivered)
	if herr := hw.Halt(); herr != nil {
		log.Error("halt", "err", herr)
	}
	return err
}

func openPins(prof board.Profile, opt Options) (*pins.Set, error) {
	if prof.Sim {
		set, fake := pinstest.New()
		if opt.Pins != nil {
			opt.Pins(fake)
		}
		return set, nil
	}
	set, err := pins.Open(prof.Pins)
	if err != nil {
		return nil, fmt.Errorf("unit: gpio on board %s: %w", prof.Name, err)
	}
	return set, nil
}

func openCamera(c config.Camera, prof board.Profile, log *slog.Logger) camera.Source {
	if c.Replay != "" {
		return replay.New(replay.Config{Path: c.Replay, FPS: c.FPS, Loop: c.Loop})
	}
	cam := v4l2.Config{
		Device: prof.Camera.Device, Format: prof.Camera.Format,
		Width: prof.Camera.Width, Height: prof.Camera.Height, FPS: prof.Camera.FPS,
	}
	if c.Device != "" {
		cam.Device = c.Device
	}
	if c.Format != "" {
		cam.Format = c.Format
	}
	if c.Width > 0 && c.Height > 0 {
		cam.Width, cam.Height = c.Width, c.Height
	}
	if c.FPS > 0 {
		cam.FPS = c.FPS
	}
	return v4l2.New(cam, log)
}

func openGPS(c config.GPS, prof board.Profile, log *slog.Logger) gps.Source {
	switch c.Mode {
	case "fixed":
		return gps.NewFixed(gps.Fix{Lat: c.Lat, Lon: c.Lon, AccuracyM: c.AccuracyM})
	case "nmea":
		dev := c.Device
		if dev == "" {
			dev = prof.GPSDevice
		}
		return gps.NewSerial(dev, c.Baud, log)
	}
	return nil
}

// runGPS keeps the receiver running, reopening it after failures.
func runGPS(ctx context.Context, src gps.Source, log *slog.Logger) {
	if src == nil {
		return
	}
	backoff := time.Second
	for {
		err := src.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		log.Warn("gps failed, retrying", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// watchdog pets systemd's watchdog only while frames flow: a stalled camera
// makes systemd restart the daemon.
func watchdog(ctx context.Context, n *sdnotify.Notifier, p *pipeline.Pipeline, stall time.Duration, log *slog.Logger) {
	interval := sdnotify.WatchdogInterval()
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		last := p.LastFrame()
		if !last.IsZero() && time.Since(last) < stall {
			n.Watchdog()
			warned = false
		} else if !warned {
			log.Warn("no frames: not petting the watchdog", "last_frame", last)
			warned = true
		}
	}
}

// report logs the pipeline's counters once a minute.
func report(ctx context.Context, p *pipeline.Pipeline, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s := p.Stats()
			log.Info("stats", "frames", s.Frames, "dropped", s.Dropped, "processed", s.Processed, "reads", s.Reads, "delivered", s.Delivered, "camera_errors", s.CameraErrs)
		}
	}
}

// mqttPassword reads the MQTT password from mqtt.password_file, or else from
// the systemd credential "mqtt-password" when there is one.
func mqttPassword(c config.MQTT) (string, error) {
	path := c.PasswordFile
	if path == "" {
		dir := os.Getenv("CREDENTIALS_DIRECTORY")
		if dir == "" {
			return "", nil
		}
		path = filepath.Join(dir, "mqtt-password")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("mqtt.password_file: %w", err)
	}
	return string(trimNewline(b)), nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// statsOf gives the pipeline's counters to the health report.
type statsOf struct{ p *pipeline.Pipeline }

func (s statsOf) counters() (frames, dropped uint64) {
	st := s.p.Stats()
	return st.Frames, st.Dropped
}

// watchTamper reports every opening of the enclosure: an event to HQ, the
// log, a long beep and the LED's fault pattern until the next self-test.
func watchTamper(ctx context.Context, hw *pins.Set, svc *services) {
	if hw.Tamper == nil {
		return
	}
	err := hw.Tamper.Watch(ctx, func(opened bool) {
		if !opened {
			svc.log.Info("enclosure shut")
			return
		}
		svc.log.Error("TAMPER: enclosure opened")
		svc.event("tamper", map[string]any{"opened": true})
		hw.LED.Pattern(pins.FastBlink)
		if hw.Buzzer != nil {
			go hw.Buzzer.Beep(ctx, pins.LongBeep)
		}
	})
	if err != nil && ctx.Err() == nil {
		svc.log.Error("tamper switch", "err", err)
	}
}
