package replay

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"alprd/hal/camera"
)

// still is a picture a test writes: a uniform w×h grey of value fill.
type still struct {
	name    string
	w, h    int
	fill    uint8
	colour  bool // encode as an RGBA picture rather than grey
	garbage bool // write junk instead of a picture
}

func (s still) image() image.Image {
	r := image.Rect(0, 0, s.w, s.h)
	if s.colour {
		img := image.NewRGBA(r)
		for y := range s.h {
			for x := range s.w {
				img.SetRGBA(x, y, color.RGBA{s.fill, s.fill, s.fill, 255})
			}
		}
		return img
	}
	img := image.NewGray(r)
	for i := range img.Pix {
		img.Pix[i] = s.fill
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatalf("encode jpeg: %v", err)
	}
	return b.Bytes()
}

// writeDir writes the stills (and any other files) to a new folder.
func writeDir(t *testing.T, stills []still, others ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range stills {
		var data []byte
		switch {
		case s.garbage:
			data = []byte("not a picture")
		case strings.HasSuffix(s.name, ".png"):
			var b bytes.Buffer
			if err := png.Encode(&b, s.image()); err != nil {
				t.Fatalf("encode png: %v", err)
			}
			data = b.Bytes()
		default:
			data = encodeJPEG(t, s.image())
		}
		if err := os.WriteFile(filepath.Join(dir, s.name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeMJPEG concatenates the stills' JPEG encodings into one file.
func writeMJPEG(t *testing.T, stills []still) string {
	t.Helper()
	var b bytes.Buffer
	for _, s := range stills {
		b.Write(encodeJPEG(t, s.image()))
	}
	path := filepath.Join(t.TempDir(), "patrol.mjpg")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkFrame compares a frame with the still it should show; JPEG may be off
// by a little.
func checkFrame(t *testing.T, f camera.Frame, wantSeq uint64, s still) {
	t.Helper()
	if f.Seq != wantSeq {
		t.Errorf("got seq %d, want %d", f.Seq, wantSeq)
	}
	if f.Gray == nil {
		t.Fatalf("frame %d: got nil Gray", f.Seq)
	}
	if got, want := f.Gray.Bounds(), image.Rect(0, 0, s.w, s.h); got != want {
		t.Fatalf("frame %d: got bounds %v, want %v", f.Seq, got, want)
	}
	for i, p := range f.Gray.Pix {
		if d := int(p) - int(s.fill); d < -2 || d > 2 {
			t.Fatalf("frame %d pixel %d: got %d, want %d (%s)", f.Seq, i, p, s.fill, s.name)
		}
	}
	if f.Time.Location() != time.UTC {
		t.Errorf("got time in %v, want UTC", f.Time.Location())
	}
}

func open(t *testing.T, cfg Config) *Source {
	t.Helper()
	s := New(cfg)
	if err := s.Open(t.Context()); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestReplay(t *testing.T) {
	a := still{name: "001.png", w: 16, h: 8, fill: 10}
	b := still{name: "002.JPG", w: 24, h: 16, fill: 120, colour: true}
	c := still{name: "010.jpeg", w: 8, h: 8, fill: 200}
	folder := func(t *testing.T) string {
		// Written out of order, with files and a folder to ignore.
		dir := writeDir(t, []still{c, a, b}, "notes.txt", "001.png.bak")
		if err := os.Mkdir(filepath.Join(dir, "zz.png"), 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	mjpg := func(t *testing.T) string { return writeMJPEG(t, []still{a, b, c}) }
	for _, tc := range []struct {
		name  string
		path  func(*testing.T) string
		loop  bool
		calls int
		want  []still // then io.EOF when calls > len(want)
	}{
		{"folder once", folder, false, 4, []still{a, b, c}},
		{"folder loop", folder, true, 7, []still{a, b, c, a, b, c, a}},
		{"mjpeg once", mjpg, false, 5, []still{a, b, c}},
		{"mjpeg loop", mjpg, true, 8, []still{a, b, c, a, b, c, a, b}},
		{"single jpeg", func(t *testing.T) string {
			return filepath.Join(writeDir(t, []still{b}), b.name)
		}, true, 2, []still{b, b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, Config{Path: tc.path(t), Loop: tc.loop})
			for i := range tc.calls {
				f, err := s.Next(t.Context())
				if i >= len(tc.want) {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("call %d: got error %v, want io.EOF", i+1, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("call %d: got error %v, want nil", i+1, err)
				}
				checkFrame(t, f, uint64(i+1), tc.want[i])
			}
		})
	}
}

func TestReplayYPlane(t *testing.T) {
	// A colourful JPEG: the frame must be exactly the decoder's Y plane, not a
	// re-conversion from RGB.
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 5), uint8(255 - y*7), uint8(x * y), 255})
		}
	}
	data := encodeJPEG(t, img)
	path := filepath.Join(t.TempDir(), "c.jpg")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dec, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ycc, ok := dec.(*image.YCbCr)
	if !ok {
		t.Fatalf("got %T from image/jpeg, want *image.YCbCr", dec)
	}
	f, err := open(t, Config{Path: path}).Next(t.Context())
	if err != nil {
		t.Fatalf("next: %v", err)
	}
	for y := range 32 {
		for x := range 48 {
			if got, want := f.Gray.GrayAt(x, y).Y, ycc.Y[ycc.YOffset(x, y)]; got != want {
				t.Fatalf("(%d,%d): got %d, want Y %d", x, y, got, want)
			}
		}
	}
}

func TestReplayBadPictureIsSkipped(t *testing.T) {
	a := still{name: "a.png", w: 4, h: 4, fill: 1}
	c := still{name: "c.png", w: 4, h: 4, fill: 3}
	dir := writeDir(t, []still{a, {name: "b.jpg", garbage: true}, c})
	s := open(t, Config{Path: dir})
	f, err := s.Next(t.Context())
	if err != nil {
		t.Fatalf("first: %v", err)
	}
	checkFrame(t, f, 1, a)
	if _, err := s.Next(t.Context()); err == nil || !strings.Contains(err.Error(), "b.jpg") {
		t.Fatalf("second: got error %v, want one naming b.jpg", err)
	}
	f, err = s.Next(t.Context())
	if err != nil {
		t.Fatalf("third: %v", err)
	}
	checkFrame(t, f, 3, c) // seq 2 was the bad picture
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      func(t *testing.T) Config
		notExist bool
	}{
		{"missing path", func(t *testing.T) Config {
			return Config{Path: filepath.Join(t.TempDir(), "nope")}
		}, true},
		{"empty folder", func(t *testing.T) Config { return Config{Path: t.TempDir()} }, false},
		{"folder without pictures", func(t *testing.T) Config {
			return Config{Path: writeDir(t, nil, "a.txt", "b.mjpg")}
		}, false},
		{"empty file", func(t *testing.T) Config {
			return Config{Path: filepath.Join(writeDir(t, nil, "x.mjpg"), "x.mjpg")}
		}, false},
		{"negative fps", func(t *testing.T) Config {
			return Config{Path: writeDir(t, []still{{name: "a.png", w: 1, h: 1}}), FPS: -1}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg(t)
			s := New(cfg)
			err := s.Open(t.Context())
			if err == nil {
				s.Close()
				t.Fatal("got nil error, want one")
			}
			if got := errors.Is(err, os.ErrNotExist); got != tc.notExist {
				t.Errorf("got errors.Is(%v, os.ErrNotExist) = %v, want %v", err, got, tc.notExist)
			}
			if !strings.HasPrefix(err.Error(), "replay: open ") {
				t.Errorf("got error %q, want it to start with %q", err, "replay: open ")
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	dir := writeDir(t, []still{{name: "a.png", w: 2, h: 2, fill: 5}})
	s := New(Config{Path: dir, Loop: true})
	if _, err := s.Next(t.Context()); !errors.Is(err, camera.ErrClosed) {
		t.Fatalf("next before open: got %v, want camera.ErrClosed", err)
	}
	if err := s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(t.Context()); err == nil {
		t.Error("second open: got nil error, want one")
	}
	for range 2 {
		if _, err := s.Next(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("close %d: got %v, want nil", i+1, err)
		}
	}
	if _, err := s.Next(t.Context()); !errors.Is(err, camera.ErrClosed) {
		t.Fatalf("next after close: got %v, want camera.ErrClosed", err)
	}
	if err := s.Open(t.Context()); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	f, err := s.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f.Seq != 1 {
		t.Errorf("after reopen: got seq %d, want 1", f.Seq)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: got %v, want context.Canceled", err)
	}
}

func TestInjectedClock(t *testing.T) {
	dir := writeDir(t, []still{{name: "a.png", w: 2, h: 2}})
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))
	f, err := open(t, Config{Path: dir, Now: func() time.Time { return at }}).Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !f.Time.Equal(at) || f.Time.Location() != time.UTC {
		t.Errorf("got time %v, want %v", f.Time, at.UTC())
	}
}

func TestPacing(t *testing.T) {
	// pause[i] is how long the caller works before calling Next for frame i;
	// want[i] is when (since the first call) frame i must come out.
	for _, tc := range []struct {
		name  string
		fps   float64
		pause []time.Duration
		want  []time.Duration
	}{
		{"10 fps", 10, []time.Duration{0, 0, 0, 0}, []time.Duration{0, 100 * ms, 200 * ms, 300 * ms}},
		{"caller busy within the period", 10, []time.Duration{0, 30 * ms, 90 * ms, 0},
			[]time.Duration{0, 100 * ms, 200 * ms, 300 * ms}},
		{"slow caller is not sent a burst", 10, []time.Duration{0, 350 * ms, 0, 0},
			[]time.Duration{0, 350 * ms, 400 * ms, 500 * ms}},
		{"as fast as possible", 0, []time.Duration{0, 0, 0}, []time.Duration{0, 0, 0}},
		{"fractional fps", 2.5, []time.Duration{0, 0, 0}, []time.Duration{0, 400 * ms, 800 * ms}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, []still{{name: "a.png", w: 2, h: 2}})
			synctest.Test(t, func(t *testing.T) {
				s := open(t, Config{Path: dir, FPS: tc.fps, Loop: true})
				start := time.Now()
				for i, p := range tc.pause {
					time.Sleep(p) // fake clock: the caller's work
					f, err := s.Next(t.Context())
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					if got := time.Since(start); got != tc.want[i] {
						t.Errorf("frame %d: got it at %v, want %v", i, got, tc.want[i])
					}
					if !f.Time.Equal(time.Now()) {
						t.Errorf("frame %d: got time %v, want %v", i, f.Time, time.Now())
					}
				}
			})
		})
	}
}

const ms = time.Millisecond

func TestWaitingNextReturns(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(s *Source, cancel context.CancelFunc)
		want error
	}{
		{"ctx cancelled", func(_ *Source, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"closed", func(s *Source, _ context.CancelFunc) { s.Close() }, camera.ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, []still{{name: "a.png", w: 2, h: 2}})
			synctest.Test(t, func(t *testing.T) {
				s := open(t, Config{Path: dir, FPS: 1, Loop: true})
				if _, err := s.Next(t.Context()); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				start := time.Now()
				errc := make(chan error)
				go func() {
					_, err := s.Next(ctx)
					errc <- err
				}()
				synctest.Wait() // Next is now waiting for its frame
				tc.stop(s, cancel)
				if err := <-errc; !errors.Is(err, tc.want) {
					t.Errorf("got error %v, want %v", err, tc.want)
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("got Next returning after %v, want at once", d)
				}
			})
		})
	}
}

func BenchmarkReplayJPEG720p(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for y := range 720 {
		for x := range 1280 {
			v := uint8(x ^ y)
			img.SetRGBA(x, y, color.RGBA{v, uint8(x), uint8(y), 255})
		}
	}
	path := filepath.Join(b.TempDir(), "720p.mjpg")
	if err := os.WriteFile(path, encodeJPEG(b, img), 0o644); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Path: path, Loop: true})
	if err := s.Open(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Next(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
