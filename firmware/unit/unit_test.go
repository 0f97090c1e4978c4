package unit

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"alprd/firmware/config"
	"alprd/firmware/mosquittotest"
	"alprd/firmware/pipeline"
	"alprd/firmware/record"
	"alprd/hal/pins/pinstest"
	"alprd/tools/alprprov/prov"
	"alprd/tools/platesynth/synth"
)

// TestEndToEnd runs the whole unit on the sim board against a real Mosquitto
// broker: synthesized frames are replayed once, every read arrives at a
// subscriber with its fields filled, most plates read exactly, the retained
// state goes online then offline, the illuminator ends off, and no goroutine
// is left behind.
func TestEndToEnd(t *testing.T) {
	broker := mosquittotest.Start(t).Addr
	frames, truth := synthFrames(t, 8, 7)

	u := testConfig(t, broker, frames)
	cfg := u.cfg
	hq := newHQ(t, broker, u.kit.Opener)
	baseline := runtime.NumGoroutine()

	var fake *pinstest.Pins
	var p *pipeline.Pipeline
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := RunWith(ctx, cfg, testLogger(t), Options{
		Pins:    func(f *pinstest.Pins) { fake = f },
		Started: func(pp *pipeline.Pipeline) { p = pp },
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if p == nil || fake == nil {
		t.Fatal("Started or Pins hook not called")
	}
	st := p.Stats()
	if st.Frames != uint64(len(truth)) {
		t.Errorf("frames: got %d, want %d", st.Frames, len(truth))
	}
	if st.Delivered != st.Reads || st.Undelivered != 0 {
		t.Errorf("published %d of %d reads, %d given up", st.Delivered, st.Reads, st.Undelivered)
	}
	if fake.Illuminator.Level() {
		t.Error("illuminator on after Run returned, want off")
	}
	if len(fake.Illuminator.History()) < 2 {
		t.Errorf("illuminator: got %d writes, want strobes", len(fake.Illuminator.History()))
	}
	waitGoroutines(t, baseline)

	reads := hq.waitReads(int(st.Delivered))
	if len(reads) != int(st.Delivered) {
		t.Fatalf("subscriber got %d reads, unit published %d", len(reads), st.Delivered)
	}
	correct := map[string]bool{}
	for _, r := range reads {
		if r.Device != "test-unit" || r.Camera != "front" || r.Firmware != Version {
			t.Errorf("read %s: device %q camera %q firmware %q", r.ID, r.Device, r.Camera, r.Firmware)
		}
		if r.Position == nil || r.Position.Source != "fixed" || r.Position.Lat != 37.8044 {
			t.Errorf("read %s: position %+v, want the fixed one", r.ID, r.Position)
		}
		if _, err := jpeg.Decode(bytes.NewReader(r.Crop)); err != nil {
			t.Errorf("read %s: crop: %v", r.ID, err)
		}
		if len(r.Candidates) == 0 || r.Candidates[0].Text != r.Plate {
			t.Errorf("read %s: candidates %+v, want the plate first", r.ID, r.Candidates)
		}
		if age := time.Since(time.Time(r.Time)); age < 0 || age > 3*time.Minute {
			t.Errorf("read %s: time %v", r.ID, time.Time(r.Time))
		}
		if want, ok := truth[r.FrameSeq]; ok && r.Plate == want {
			correct[want] = true
		}
	}
	if len(correct) < len(truth)*6/10 {
		t.Errorf("read %d of %d plates exactly, want at least 60 %%; reads: %v", len(correct), len(truth), plates(reads))
	}
	states := hq.stateLog()
	if len(states) < 2 || states[0] != "online" || states[len(states)-1] != "offline" {
		t.Errorf("state messages: got %v, want online ... offline", states)
	}
}

// TestNoBroker checks that the unit runs and stops cleanly while the broker
// is out of reach: reads wait, and are reported unpublished at shutdown.
func TestNoBroker(t *testing.T) {
	frames, _ := synthFrames(t, 2, 11)
	cfg := testConfig(t, "127.0.0.1:1", frames).cfg // nothing listens on port 1
	cfg.Camera.Loop = true
	cfg.Camera.FPS = 5
	baseline := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var p *pipeline.Pipeline
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- RunWith(ctx, cfg, testLogger(t), Options{Started: func(pp *pipeline.Pipeline) { p = pp; close(started) }})
	}()
	<-started
	deadline := time.Now().Add(time.Minute)
	for p.Stats().Reads == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s := p.Stats(); s.Reads == 0 || s.Delivered != s.Reads {
		t.Errorf("got %d reads, %d spooled, want some reads, all spooled", s.Reads, s.Delivered)
	}
	waitGoroutines(t, baseline)
}

// TestPassVoting replays one car crossing the frame in six frames: the unit
// sends one read for the pass, voted over all six frames.
func TestPassVoting(t *testing.T) {
	broker := mosquittotest.Start(t).Addr
	opts := synth.DefaultOptions()
	opts.Seed, opts.IR, opts.MinPlateWidth, opts.MaxPlateWidth = 21, 0, 170, 200
	opts.Blur, opts.Noise, opts.Glare = 0, 0, 0
	opts.NoTimestamp = true
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := g.Next()
	dir := t.TempDir()
	var samples []synth.Sample
	for i := range 6 {
		// The car moves 12 px right and 4 px down per frame.
		shifted := image.NewRGBA(s.Frame.Rect)
		draw.Draw(shifted, s.Frame.Rect.Add(image.Pt(12*i, 4*i)), s.Frame, image.Point{}, draw.Src)
		samples = append(samples, synth.Sample{Name: fmt.Sprintf("pass-%02d.jpg", i), Frame: shifted, Plate: s.Plate,
			Box: s.Box.Add(image.Pt(12*i, 4*i)), Quad: s.Quad})
	}
	if err := synth.WriteEndToEnd(dir, samples...); err != nil {
		t.Fatal(err)
	}
	u := testConfig(t, broker, dir)
	hq := newHQ(t, broker, u.kit.Opener)
	cfg := u.cfg
	cfg.Camera.FPS = 10
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var p *pipeline.Pipeline
	if err := RunWith(ctx, cfg, testLogger(t), Options{Started: func(pp *pipeline.Pipeline) { p = pp }}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	reads := hq.waitReads(int(p.Stats().Delivered))
	if len(reads) != 1 {
		t.Fatalf("got %d reads %v, want 1 for the pass", len(reads), plates(reads))
	}
	if r := reads[0]; r.Plate != s.Plate || r.Frames != 6 {
		t.Errorf("got plate %q voted over %d frames, want %q over 6", r.Plate, r.Frames, s.Plate)
	}
}

// testUnit is a provisioned test unit: its configuration and HQ's keys.
type testUnit struct {
	cfg config.Config
	kit *prov.DevKit
}

func testConfig(t testing.TB, broker, frames string) testUnit {
	t.Helper()
	kit, err := prov.NewDevKit(filepath.Join(t.TempDir(), "pki"), "test-unit")
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	cfg := config.Default()
	cfg.Device = "test-unit"
	cfg.Camera.Replay = frames
	cfg.Camera.Loop = false
	cfg.Camera.Queue = 64 // keep every frame: the test counts them
	cfg.GPS = config.GPS{Mode: "fixed", Lat: 37.8044, Lon: -122.2712, AccuracyM: 5, Baud: 9600}
	cfg.MQTT.Broker = "tcp://" + broker
	cfg.MQTT.Timeout.Duration = 5 * time.Second
	cfg.Keys.Dir = kit.Bundle
	cfg.Storage.Dir = filepath.Join(state, "state")
	cfg.Console.Socket = filepath.Join(state, "ctl.sock")
	cfg.Console.Users = filepath.Join(state, "users")
	cfg.Console.CropDir = filepath.Join(state, "crops")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return testUnit{cfg, kit}
}

// synthFrames writes n synthesized day frames and returns their folder and
// the plate of each frame by its replay sequence number (name order).
func synthFrames(t testing.TB, n int, seed uint64) (string, map[uint64]string) {
	t.Helper()
	opts := synth.DefaultOptions()
	opts.Seed = seed
	opts.MinPlateWidth, opts.MaxPlateWidth = 150, 240
	opts.IR = 0
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truth := map[uint64]string{}
	var samples []synth.Sample
	for i := range n {
		s := g.Next()
		samples = append(samples, s)
		truth[uint64(i+1)] = s.Plate
	}
	if err := synth.WriteEndToEnd(dir, samples...); err != nil {
		t.Fatal(err)
	}
	return dir, truth
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func plates(reads []record.Read) []string {
	var out []string
	for _, r := range reads {
		out = append(out, fmt.Sprintf("%d:%s", r.FrameSeq, r.Plate))
	}
	return out
}

// waitGoroutines fails the test when more goroutines than baseline are still
// running 10 s after the unit stopped.
func waitGoroutines(t testing.TB, baseline int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: got %d after shutdown, want at most %d\n%s", runtime.NumGoroutine(), baseline, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
