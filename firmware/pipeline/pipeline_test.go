package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"alprd/firmware/pipeline"
	"alprd/firmware/record"
	"alprd/firmware/track"
	"alprd/hal/camera"
	"alprd/hal/camera/cameratest"
	"alprd/hal/camera/replay"
	"alprd/hal/gps"
	"alprd/hal/gps/gpstest"
	"alprd/ocr"
)

// plate is where the default fake detector finds a plate in test frames.
var plate = image.Rect(8, 8, 40, 24)

// detector is a fake ocr.Detector that finds the same boxes in every frame.
type detector []image.Rectangle

func (d detector) Detect(*image.Gray) []ocr.Region {
	rs := make([]ocr.Region, len(d))
	for i, b := range d {
		rs[i] = ocr.Region{Box: b, Score: 0.9}
	}
	return rs
}

// readers makes fake ocr.Readers and counts them.
type readers struct {
	// gate, when set, makes every Read wait for a value from it or for it to
	// be closed (release).
	gate chan struct{}
	// read gives the reading of a crop; nil: a good reading of "AB123".
	read func(crop *image.Gray) (ocr.Reading, error)
	// failAt is the NewReader call (counting from 1) that fails; 0: none.
	failAt int

	calls, closed atomic.Int32
	release       func() // closes gate once
}

var errNoEngine = errors.New("no engine")

func (rs *readers) New() (ocr.Reader, error) {
	if int(rs.calls.Add(1)) == rs.failAt {
		return nil, errNoEngine
	}
	return reader{rs}, nil
}

func (rs *readers) block() {
	rs.gate = make(chan struct{})
	rs.release = sync.OnceFunc(func() { close(rs.gate) })
}

type reader struct{ rs *readers }

func (r reader) Read(crop *image.Gray) (ocr.Reading, error) {
	if r.rs.gate != nil {
		<-r.rs.gate
	}
	if r.rs.read != nil {
		return r.rs.read(crop)
	}
	return reading("AB123", 90), nil
}

func (r reader) Close() error {
	r.rs.closed.Add(1)
	return nil
}

func reading(text string, confidence float64) ocr.Reading {
	return ocr.Reading{Text: text, Raw: text, Confidence: confidence, Candidates: []ocr.Candidate{{Text: text, Confidence: confidence}}}
}

// fakeSink records the reads it takes, as JSON as they would travel. With
// gate set, every Put waits for a value from gate or for its ctx.
type fakeSink struct {
	gate chan struct{}

	mu       sync.Mutex
	payloads [][]byte
	ctxDone  int // Put calls that ended with their ctx
}

func (u *fakeSink) Put(ctx context.Context, r record.Read) error {
	if u.gate != nil {
		select {
		case <-u.gate:
		case <-ctx.Done():
			u.mu.Lock()
			u.ctxDone++
			u.mu.Unlock()
			return ctx.Err()
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.payloads = append(u.payloads, b)
	return nil
}

// reads decodes what the sink took.
func (u *fakeSink) reads(t *testing.T) []record.Read {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	var rs []record.Read
	for i, b := range u.payloads {
		r, err := record.Decode(b)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		rs = append(rs, r)
	}
	return rs
}

func seqs(rs []record.Read) []uint64 {
	s := make([]uint64, len(rs))
	for i, r := range rs {
		s[i] = r.FrameSeq
	}
	return s
}

type light struct {
	mu     sync.Mutex
	pulses []time.Duration
}

func (l *light) Strobe(d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pulses = append(l.pulses, d)
	return nil
}

// rig is a pipeline's configuration over fakes.
type rig struct {
	src *cameratest.Source
	rs  *readers
	up  *fakeSink
	cfg pipeline.Config
}

func newRig() *rig {
	r := &rig{src: cameratest.New(), rs: &readers{}, up: &fakeSink{}}
	r.cfg = pipeline.Config{
		Device: "unit-7", Camera: "front", Firmware: "v1.2.3",
		Source: r.src, Detector: detector{plate}, NewReader: r.rs.New, Sink: r.up,
		Queue: 4, MinConfidence: 50,
	}
	return r
}

// running is a pipeline whose Run was started.
type running struct {
	p      *pipeline.Pipeline
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// run starts Run. The test's cleanup cancels it, releases the readers and
// waits for Run, so that a failed test leaves no goroutine behind.
func (r *rig) run(t *testing.T) *running {
	t.Helper()
	p, err := pipeline.New(r.cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := &running{p: p, cancel: cancel, done: make(chan struct{})}
	go func() {
		x.err = p.Run(ctx)
		close(x.done)
	}()
	t.Cleanup(func() {
		cancel()
		if r.rs.release != nil {
			r.rs.release()
		}
		<-x.done
	})
	return x
}

func (x *running) wait() error {
	<-x.done
	return x.err
}

func (x *running) returned() bool {
	select {
	case <-x.done:
		return true
	default:
		return false
	}
}

func frame() camera.Frame { return cameratest.Frame(64, 32, 0) }

func TestNew(t *testing.T) {
	r := newRig()
	tests := []struct {
		name    string
		edit    func(*pipeline.Config)
		wantErr bool
	}{
		{"complete", func(*pipeline.Config) {}, false},
		{"optional parts missing", func(c *pipeline.Config) { c.GPS, c.Light, c.Log, c.Ready = nil, nil, nil, nil }, false},
		{"no source", func(c *pipeline.Config) { c.Source = nil }, true},
		{"no detector", func(c *pipeline.Config) { c.Detector = nil }, true},
		{"no readers", func(c *pipeline.Config) { c.NewReader = nil }, true},
		{"no sink", func(c *pipeline.Config) { c.Sink = nil }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := r.cfg
			tt.edit(&cfg)
			p, err := pipeline.New(cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: got error %v, want error: %v", err, tt.wantErr)
			}
			if (p == nil) != tt.wantErr {
				t.Errorf("New: got pipeline %v, want one: %v", p != nil, !tt.wantErr)
			}
		})
	}
	if n := r.rs.calls.Load(); n != 0 {
		t.Errorf("New made %d readers, want none (no I/O before Run)", n)
	}
	if n := r.src.Opens(); n != 0 {
		t.Errorf("New opened the camera %d times, want 0", n)
	}
}

// TestDropOldest blocks the readers and sends frames faster than they are
// read: capture goes on counting, the queue keeps the newest frames and
// every older one is dropped and counted.
func TestDropOldest(t *testing.T) {
	tests := []struct {
		workers, queue, frames int
	}{
		{workers: 1, queue: 3, frames: 10},
		{workers: 1, queue: 1, frames: 5},
		{workers: 1, queue: 4, frames: 5}, // exactly full: nothing dropped
		{workers: 2, queue: 2, frames: 9},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("workers=%d/queue=%d/frames=%d", tt.workers, tt.queue, tt.frames), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig()
				r.rs.block()
				r.cfg.Workers, r.cfg.Queue = tt.workers, tt.queue
				x := r.run(t)

				// The first frames go to the workers, which block in Read.
				for range tt.workers {
					r.src.Frames <- frame()
					synctest.Wait()
				}
				for range tt.frames - tt.workers {
					r.src.Frames <- frame()
				}
				synctest.Wait()

				st := x.p.Stats()
				if st.Frames != uint64(tt.frames) {
					t.Errorf("frames counted while the readers are blocked: got %d, want %d", st.Frames, tt.frames)
				}
				if st.Processed != 0 {
					t.Errorf("processed while the readers are blocked: got %d, want 0", st.Processed)
				}
				wantDropped := max(0, tt.frames-tt.workers-tt.queue)
				if st.Dropped != uint64(wantDropped) {
					t.Errorf("dropped: got %d, want %d", st.Dropped, wantDropped)
				}
				if got := x.p.LastFrame(); !got.Equal(time.Now()) {
					t.Errorf("LastFrame: got %v, want %v", got, time.Now())
				}

				r.rs.release()
				r.src.Errs <- io.EOF
				if err := x.wait(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				var want []uint64
				for s := 1; s <= tt.frames; s++ {
					if s <= tt.workers || s > tt.workers+wantDropped {
						want = append(want, uint64(s))
					}
				}
				got := seqs(r.up.reads(t))
				slices.Sort(got) // several workers publish in any order
				if !slices.Equal(got, want) {
					t.Errorf("frames read: got %v, want %v", got, want)
				}
				st = x.p.Stats()
				if st.Dropped != uint64(wantDropped) || st.Processed != uint64(len(want)) || st.Delivered != uint64(len(want)) {
					t.Errorf("stats: got dropped %d processed %d published %d, want %d, %d, %d",
						st.Dropped, st.Processed, st.Delivered, wantDropped, len(want), len(want))
				}
			})
		})
	}
}

// TestCameraLost: a lost camera is closed and reopened after a backoff that
// doubles while the camera fails and starts again after a frame.
func TestCameraLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		x := r.run(t)
		opens := func(when string, want int) {
			t.Helper()
			synctest.Wait()
			if got := r.src.Opens(); got != want {
				t.Errorf("%s: Opens got %d, want %d", when, got, want)
			}
		}

		r.src.Frames <- frame()
		r.src.Lose()
		synctest.Wait()
		if got := r.src.Closes(); got != 1 {
			t.Errorf("after loss: Closes got %d, want 1", got)
		}
		if got := x.p.Stats().CameraErrs; got != 1 {
			t.Errorf("after loss: CameraErrs got %d, want 1", got)
		}
		time.Sleep(499 * time.Millisecond)
		opens("499 ms after the first loss", 1)
		time.Sleep(time.Millisecond)
		opens("500 ms after the first loss", 2)

		// Lost again before any frame: the backoff doubles.
		r.src.Lose()
		time.Sleep(999 * time.Millisecond)
		opens("999 ms after the second loss", 2)
		time.Sleep(time.Millisecond)
		opens("1 s after the second loss", 3)

		// A frame resets the backoff.
		r.src.Frames <- frame()
		r.src.Lose()
		time.Sleep(500 * time.Millisecond)
		opens("500 ms after a loss following a frame", 4)

		r.src.Frames <- frame()
		synctest.Wait()
		if x.returned() {
			t.Fatalf("Run returned %v after camera losses, want it running", x.err)
		}
		x.cancel()
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		st := x.p.Stats()
		if st.CameraErrs != 3 || st.Frames != 3 || st.Delivered != 3 {
			t.Errorf("stats: got camera errors %d frames %d published %d, want 3, 3, 3", st.CameraErrs, st.Frames, st.Delivered)
		}
		if got := r.src.Closes(); got != 4 {
			t.Errorf("Closes: got %d, want 4 (3 losses and the end)", got)
		}
	})
}

// TestCameraReopenFails: the pipeline keeps trying to reopen a lost camera
// that does not come back at once.
func TestCameraReopenFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		x := r.run(t)
		r.src.Frames <- frame()
		r.src.FailOpen(errors.New("no such device"))
		r.src.Lose()
		for i, d := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second} {
			time.Sleep(d)
			synctest.Wait()
			if got := r.src.Opens(); got != i+2 {
				t.Errorf("attempt %d: Opens got %d, want %d", i+1, got, i+2)
			}
			if x.returned() {
				t.Fatalf("Run returned %v after a failed reopen, want it retrying", x.err)
			}
		}
		r.src.FailOpen(nil)
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if got := r.src.Opens(); got != 5 {
			t.Errorf("after the camera came back: Opens got %d, want 5", got)
		}
		r.src.Frames <- frame()
		r.src.Errs <- io.EOF
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := seqs(r.up.reads(t)); !slices.Equal(got, []uint64{1, 1}) {
			t.Errorf("frames read: got %v, want [1 1] (one before, one after reopening)", got)
		}
		if got := x.p.Stats().CameraErrs; got != 1 {
			t.Errorf("CameraErrs: got %d, want 1", got)
		}
	})
}

// TestCameraLostCancel: cancelling during the reopen backoff stops at once.
func TestCameraLostCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		x := r.run(t)
		r.src.Lose()
		synctest.Wait()
		start := time.Now()
		x.cancel()
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Run returned %v after cancel, want at once", d)
		}
		if got := r.src.Opens(); got != 1 {
			t.Errorf("Opens: got %d, want 1", got)
		}
	})
}

func TestCameraFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		r.rs.block()
		x := r.run(t)
		r.src.Frames <- frame()
		r.src.Frames <- frame()
		broken := errors.New("bad ioctl")
		r.src.Errs <- broken
		synctest.Wait()
		if x.returned() {
			t.Fatal("Run returned before the queued frames were read")
		}
		r.rs.release()
		if err := x.wait(); !errors.Is(err, broken) {
			t.Errorf("Run: got %v, want %v", err, broken)
		}
		if got := seqs(r.up.reads(t)); !slices.Equal(got, []uint64{1, 2}) {
			t.Errorf("frames read: got %v, want [1 2]", got)
		}
	})
}

// TestDrain: frames queued when ctx is cancelled are read and published
// before Run returns.
func TestDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		r.rs.block()
		x := r.run(t)
		for range 3 {
			r.src.Frames <- frame()
		}
		synctest.Wait()
		x.cancel()
		synctest.Wait()
		if x.returned() {
			t.Fatal("Run returned with frames still queued")
		}
		r.rs.release()
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := seqs(r.up.reads(t)); !slices.Equal(got, []uint64{1, 2, 3}) {
			t.Errorf("frames read: got %v, want [1 2 3]", got)
		}
		if st := x.p.Stats(); st.Processed != 3 || st.Delivered != 3 || st.Undelivered != 0 {
			t.Errorf("stats: got processed %d delivered %d undelivered %d, want 3, 3, 0", st.Processed, st.Delivered, st.Undelivered)
		}
	})
}

// TestDrainTimeout: after ctx is cancelled the sink goes on taking reads
// for DrainTimeout, then gives up on the rest and counts them.
func TestDrainTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		r.up.gate = make(chan struct{})
		r.cfg.DrainTimeout = 5 * time.Second
		x := r.run(t)
		for range 3 {
			r.src.Frames <- frame()
		}
		synctest.Wait() // read 1 waits in Put, reads 2 and 3 behind it

		x.cancel()
		cancelled := time.Now()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if x.returned() {
			t.Fatalf("Run returned %v 2 s into a 5 s drain", x.err)
		}
		r.up.gate <- struct{}{} // the broker acknowledges read 1
		synctest.Wait()
		if got := x.p.Stats().Delivered; got != 1 {
			t.Errorf("published after cancel: got %d, want 1", got)
		}

		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if d := time.Since(cancelled); d != r.cfg.DrainTimeout {
			t.Errorf("Run returned %v after cancel, want DrainTimeout %v", d, r.cfg.DrainTimeout)
		}
		st := x.p.Stats()
		if st.Reads != 3 || st.Delivered != 1 || st.Undelivered != 2 {
			t.Errorf("stats: got reads %d delivered %d undelivered %d, want 3, 1, 2", st.Reads, st.Delivered, st.Undelivered)
		}
		if got := seqs(r.up.reads(t)); !slices.Equal(got, []uint64{1}) {
			t.Errorf("frames published: got %v, want [1]", got)
		}
		if r.up.ctxDone != 2 {
			t.Errorf("Put calls ended by their ctx: got %d, want 2", r.up.ctxDone)
		}
	})
}

// TestSourceEnd: a source that ends (io.EOF) stops the pipeline cleanly once
// the queued frames are read and published.
func TestSourceEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		r.rs.block()
		x := r.run(t)
		for range 3 {
			r.src.Frames <- frame()
		}
		r.src.Errs <- io.EOF
		synctest.Wait()
		if x.returned() {
			t.Fatal("Run returned with frames still queued")
		}
		r.rs.release()
		if err := x.wait(); err != nil {
			t.Fatalf("Run: got %v, want nil", err)
		}
		if got := seqs(r.up.reads(t)); !slices.Equal(got, []uint64{1, 2, 3}) {
			t.Errorf("frames read: got %v, want [1 2 3]", got)
		}
		if got, want := r.src.Closes(), 1; got != want {
			t.Errorf("camera Closes: got %d, want %d", got, want)
		}
		if got, want := r.rs.closed.Load(), int32(1); got != want {
			t.Errorf("readers closed: got %d, want %d", got, want)
		}
	})
}

// TestReplayEnd runs the pipeline on a replay of stills without loop.
func TestReplayEnd(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%02d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, cameratest.Gray(64, 32, uint8(50*i))); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	r := newRig()
	r.cfg.Source = replay.New(replay.Config{Path: dir})
	p, err := pipeline.New(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run: got %v, want nil", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run returned only when the test's context ended")
	}
	if got := seqs(r.up.reads(t)); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Errorf("frames read: got %v, want [1 2 3]", got)
	}
	if st := p.Stats(); st.Frames != 3 || st.Processed != 3 || st.Dropped != 0 {
		t.Errorf("stats: got frames %d processed %d dropped %d, want 3, 3, 0", st.Frames, st.Processed, st.Dropped)
	}
}

// TestReadRecord checks every field of a published read.
func TestReadRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		box := image.Rect(20, 30, 60, 46)
		g := cameratest.Gray(100, 60, 10)
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				g.Pix[g.PixOffset(x, y)] = 200
			}
		}
		candidates := []ocr.Candidate{{Text: "7ABC123", Confidence: 91.5}, {Text: "7A8C123", Confidence: 60}}
		var cropSize image.Point
		fix := gps.Fix{Lat: 37.8044, Lon: -122.2712, AccuracyM: 5, Source: "gps", Time: time.Date(2026, 11, 27, 7, 59, 59, 0, time.UTC)}
		position := gpstest.New()
		position.Set(fix)

		r := newRig()
		r.cfg.Detector = detector{box}
		r.cfg.GPS = position
		r.rs.read = func(crop *image.Gray) (ocr.Reading, error) {
			cropSize = crop.Rect.Size()
			return ocr.Reading{Text: "7ABC123", Raw: "7ABC 123", Confidence: 91.5, Candidates: candidates}, nil
		}
		x := r.run(t)
		captured := time.Date(2026, 11, 27, 9, 0, 0, 123_456_789, time.FixedZone("CET", 3600))
		r.src.Frames <- camera.Frame{Seq: 118, Time: captured, Gray: g}
		r.src.Errs <- io.EOF
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		r.up.mu.Lock()
		payload := r.up.payloads[0]
		r.up.mu.Unlock()
		if want := `"time":"2026-11-27T08:00:00.123Z"`; !bytes.Contains(payload, []byte(want)) {
			t.Errorf("payload %s: want it to contain %s", payload, want)
		}
		reads := r.up.reads(t)
		if len(reads) != 1 {
			t.Fatalf("reads: got %d, want 1", len(reads))
		}
		rd := reads[0]
		if rd.V != record.Version {
			t.Errorf("v: got %d, want %d", rd.V, record.Version)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(rd.ID) {
			t.Errorf("id: got %q, want 32 hex digits", rd.ID)
		}
		for _, f := range []struct{ name, got, want string }{
			{"device", rd.Device, "unit-7"},
			{"camera", rd.Camera, "front"},
			{"firmware", rd.Firmware, "v1.2.3"},
			{"plate", rd.Plate, "7ABC123"},
			{"raw", rd.Raw, "7ABC 123"},
		} {
			if f.got != f.want {
				t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
			}
		}
		if rd.FrameSeq != 118 {
			t.Errorf("frame_seq: got %d, want 118", rd.FrameSeq)
		}
		if got, want := time.Time(rd.Time), captured.Truncate(time.Millisecond); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("time: got %v, want %v in UTC", got, want.UTC())
		}
		if rd.Confidence != 91.5 {
			t.Errorf("confidence: got %v, want 91.5", rd.Confidence)
		}
		if !slices.Equal(rd.Candidates, candidates) {
			t.Errorf("candidates: got %v, want %v", rd.Candidates, candidates)
		}
		if want := record.BoxOf(box); rd.Box != want {
			t.Errorf("box: got %+v, want %+v", rd.Box, want)
		}
		if rd.Position == nil {
			t.Error("position: got null, want the fix")
		} else if p := *rd.Position; p.Lat != fix.Lat || p.Lon != fix.Lon || p.AccuracyM != fix.AccuracyM || p.Source != fix.Source || !p.Time.Equal(fix.Time) {
			t.Errorf("position: got %+v, want %+v", p, fix)
		}

		if cropSize != box.Size() {
			t.Errorf("reader got a %v crop, want %v", cropSize, box.Size())
		}
		img, err := jpeg.Decode(bytes.NewReader(rd.Crop))
		if err != nil {
			t.Fatalf("crop_jpeg: %v", err)
		}
		if got := img.Bounds().Size(); got != box.Size() {
			t.Errorf("crop size: got %v, want %v", got, box.Size())
		}
		var sum, n int
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				r, _, _, _ := img.At(x, y).RGBA()
				sum += int(r >> 8)
				n++
			}
		}
		if mean := sum / n; mean < 190 || mean > 210 {
			t.Errorf("crop mean luma: got %d, want about 200 (the plate, not the background 10)", mean)
		}
	})
}

// TestReadPosition: a read carries the position at its frame's capture, not
// at its reading, and none when there was no fix.
func TestReadPosition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := gps.Fix{Lat: 1, Lon: 2, Source: "gps"}
		b := gps.Fix{Lat: 3, Lon: 4, Source: "gps"}
		later := gps.Fix{Lat: 9, Lon: 9, Source: "gps"}
		position := gpstest.New()
		r := newRig()
		r.cfg.GPS = position
		r.rs.block()
		x := r.run(t)

		position.Set(a)
		r.src.Frames <- frame() // 1, read at once: blocks the reader
		synctest.Wait()
		position.Lose()
		r.src.Frames <- frame() // 2, queued
		synctest.Wait()
		position.Set(b)
		r.src.Frames <- frame() // 3, queued
		synctest.Wait()
		position.Set(later)
		r.rs.release()
		r.src.Errs <- io.EOF
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		want := map[uint64]*gps.Fix{1: &a, 2: nil, 3: &b}
		reads := r.up.reads(t)
		if len(reads) != len(want) {
			t.Fatalf("reads: got %d, want %d", len(reads), len(want))
		}
		for _, rd := range reads {
			w := want[rd.FrameSeq]
			switch {
			case w == nil && rd.Position != nil:
				t.Errorf("frame %d: position got %+v, want null", rd.FrameSeq, *rd.Position)
			case w != nil && rd.Position == nil:
				t.Errorf("frame %d: position got null, want %+v", rd.FrameSeq, *w)
			case w != nil && (rd.Position.Lat != w.Lat || rd.Position.Lon != w.Lon):
				t.Errorf("frame %d: position got %+v, want %+v", rd.FrameSeq, *rd.Position, *w)
			}
		}
	})
}

// TestReadFilter: reads with a confidence below MinConfidence, fewer than two
// or more than ten characters (the defaults of MinChars and MaxChars), more
// than eight without a letter, or a reader error are counted but not
// published.
func TestReadFilter(t *testing.T) {
	tests := []struct {
		name    string
		reading ocr.Reading
		err     error
		want    bool
	}{
		{"good", reading("AB123", 90), nil, true},
		{"two characters", reading("AB", 90), nil, true},
		{"at the minimum confidence", reading("AB123", 60), nil, true},
		{"below the minimum confidence", reading("AB123", 59.9), nil, false},
		{"ten characters", reading("SWEETTHING", 90), nil, true},
		{"eleven characters", reading("AB123456789", 90), nil, false},
		{"nine digits", reading("817114748", 90), nil, false},
		{"one character", reading("A", 99), nil, false},
		{"empty", ocr.Reading{}, nil, false},
		{"reader error", reading("AB123", 90), errors.New("tesseract crashed"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig()
				r.cfg.MinConfidence = 60
				r.rs.read = func(*image.Gray) (ocr.Reading, error) { return tt.reading, tt.err }
				x := r.run(t)
				r.src.Frames <- frame()
				r.src.Errs <- io.EOF
				if err := x.wait(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				want := 0
				if tt.want {
					want = 1
				}
				if got := len(r.up.reads(t)); got != want {
					t.Errorf("published: got %d, want %d", got, want)
				}
				st := x.p.Stats()
				if st.Processed != 1 || st.Regions != 1 || st.Reads != uint64(want) || st.Delivered != uint64(want) {
					t.Errorf("stats: got processed %d regions %d reads %d published %d, want 1, 1, %d, %d",
						st.Processed, st.Regions, st.Reads, st.Delivered, want, want)
				}
			})
		})
	}
}

func TestMaxPlates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		r.cfg.MaxPlates = 2
		r.cfg.Detector = detector{image.Rect(0, 0, 10, 5), image.Rect(10, 0, 20, 5), image.Rect(20, 0, 30, 5), image.Rect(30, 0, 40, 5)}
		x := r.run(t)
		r.src.Frames <- frame()
		r.src.Errs <- io.EOF
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		var got []record.Box
		for _, rd := range r.up.reads(t) {
			got = append(got, rd.Box)
		}
		want := []record.Box{{X: 0, Y: 0, W: 10, H: 5}, {X: 10, Y: 0, W: 10, H: 5}}
		if !slices.Equal(got, want) {
			t.Errorf("boxes read: got %v, want the best two %v", got, want)
		}
		if st := x.p.Stats(); st.Regions != 2 {
			t.Errorf("regions: got %d, want 2", st.Regions)
		}
	})
}

func TestStrobe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		l := &light{}
		r.cfg.Light, r.cfg.Strobe = l, 2*time.Millisecond
		x := r.run(t)
		for range 3 {
			r.src.Frames <- frame()
		}
		r.src.Errs <- io.EOF
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		want := []time.Duration{2 * time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond}
		if !slices.Equal(l.pulses, want) {
			t.Errorf("strobes: got %v, want one of %v per frame", l.pulses, r.cfg.Strobe)
		}
	})
}

// TestReady: the hook is called once, with the camera open, before the first
// frame, and not again when the camera is reopened.
func TestReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		var calls atomic.Int32
		var got atomic.Pointer[pipeline.Pipeline]
		r.cfg.Ready = func(p *pipeline.Pipeline) {
			calls.Add(1)
			got.Store(p)
			if n := r.src.Opens(); n != 1 {
				t.Errorf("Ready: camera opened %d times, want 1", n)
			}
			if n := r.rs.calls.Load(); n != 2 {
				t.Errorf("Ready: %d readers made, want 2", n)
			}
			if n := p.Stats().Frames; n != 0 {
				t.Errorf("Ready: %d frames already captured, want 0", n)
			}
		}
		r.cfg.Workers = 2
		x := r.run(t)
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("Ready calls before the first frame: got %d, want 1", n)
		}
		if p := got.Load(); p != x.p {
			t.Errorf("Ready got pipeline %p, want %p", p, x.p)
		}
		r.src.Frames <- frame()
		r.src.Lose()
		time.Sleep(time.Second)
		r.src.Frames <- frame()
		x.cancel()
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("Ready calls: got %d, want 1", n)
		}
	})
}

// TestRunFails: Run reports a reader or camera that cannot be opened, and
// releases what it made.
func TestRunFails(t *testing.T) {
	tests := []struct {
		name       string
		failReader int   // NewReader call that fails; 0: none
		failOpen   error // camera Open error
		want       error
		wantClosed int32 // readers closed
	}{
		{"second reader", 2, nil, errNoEngine, 1},
		{"first reader", 1, nil, errNoEngine, 0},
		{"camera", 0, os.ErrNotExist, os.ErrNotExist, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig()
				r.cfg.Workers = 2
				r.rs.failAt = tt.failReader
				r.src.FailOpen(tt.failOpen)
				ready := false
				r.cfg.Ready = func(*pipeline.Pipeline) { ready = true }
				x := r.run(t)
				if err := x.wait(); !errors.Is(err, tt.want) {
					t.Errorf("Run: got %v, want %v", err, tt.want)
				}
				if got := r.rs.closed.Load(); got != tt.wantClosed {
					t.Errorf("readers closed: got %d, want %d", got, tt.wantClosed)
				}
				if ready {
					t.Error("Ready called, want not")
				}
			})
		})
	}
}

// TestTrackSlowFrames: frames of one pass that wait in the queue while a
// slow reading holds the worker (longer than the track window) are one
// pass all the same: the clock closes tracks only while no frame is on its
// way to the tracker.
func TestTrackSlowFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		r.cfg.Track = track.Config{Window: time.Second}
		r.rs.read = func(*image.Gray) (ocr.Reading, error) {
			time.Sleep(3 * time.Second) // a stalled worker
			return reading("AB123", 90), nil
		}
		x := r.run(t)
		for range 3 {
			r.src.Frames <- frame()
			time.Sleep(100 * time.Millisecond)
		}
		synctest.Wait()
		time.Sleep(10 * time.Second) // the readings, and long enough for the pass to close by the clock
		reads := r.up.reads(t)
		if len(reads) != 1 || reads[0].Frames != 3 {
			var frames []int
			for _, rd := range reads {
				frames = append(frames, rd.Frames)
			}
			t.Errorf("got %d reads over %v frames, want 1 over 3", len(reads), frames)
		}
		r.src.Errs <- io.EOF
		if err := x.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}
