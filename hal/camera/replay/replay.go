// Package replay is a camera.Source that plays recorded pictures at a set
// rate: a folder of JPEG/PNG stills or a Motion-JPEG file. It stands in for
// the camera on the bench, in CI and when re-running a recorded patrol.
//
// New does no I/O. Open lists the folder or indexes the MJPEG file (keeping
// the file open until Close); Next reads and decodes one picture at a time,
// so memory stays at one frame whatever the recording's length.
package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"alprd/hal/camera"
	"alprd/hal/camera/internal/mjpeg"
)

// Config says what to replay and how.
type Config struct {
	// Path is either a folder, whose .jpg, .jpeg and .png files (any case) are
	// replayed in name order with other files ignored, or a Motion-JPEG file:
	// JPEG images back to back, as in a .mjpg/.mjpeg recording. A single
	// JPEG file is a one-frame MJPEG file.
	Path string
	// FPS is the rate Next delivers frames at. 0 means as fast as Next is
	// called. A caller slower than FPS is not sent a burst to catch up: it
	// gets the next frame at once and the one after on the original beat.
	FPS float64
	// Loop starts again at the first picture after the last. Without it Next
	// returns io.EOF once every picture has been delivered.
	Loop bool
	// Now stamps Frame.Time (made UTC). nil means time.Now. Pacing always
	// uses the time package's clock.
	Now func() time.Time
}

// Source replays pictures. It implements camera.Source; Next returns io.EOF
// at the end of a recording when Config.Loop is false, and an error naming
// the picture when one does not decode (that picture is skipped: the next
// call moves on, and Seq shows the gap).
type Source struct {
	cfg Config

	nextMu sync.Mutex // serialises Next, which waits without holding mu

	mu     sync.Mutex // guards the fields below
	set    frameSet   // nil when not open
	done   chan struct{}
	period time.Duration
	pos    int       // index of the next picture
	seq    uint64    // Seq of the last frame
	due    time.Time // when the next frame is due; zero: now
}

// frameSet is an opened recording.
type frameSet interface {
	len() int
	name(i int) string
	load(i int) (*image.Gray, error)
	close() error
}

var _ camera.Source = (*Source)(nil)

// New returns a Source for cfg. It does no I/O; Open checks the path.
func New(cfg Config) *Source {
	return &Source{cfg: cfg}
}

// Open lists the folder or indexes the MJPEG file. It returns an error
// wrapping os.ErrNotExist when Path does not exist, and another error when
// it holds no picture, FPS is invalid, or the source is already open. A
// closed Source may be opened again; Seq restarts at 1.
func (s *Source) Open(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path := s.cfg.Path
	if s.cfg.FPS < 0 || math.IsNaN(s.cfg.FPS) {
		return fmt.Errorf("replay: open %s: fps %v is not a rate", path, s.cfg.FPS)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set != nil {
		return fmt.Errorf("replay: open %s: already open", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("replay: open %s: %w", path, err)
	}
	var set frameSet
	if fi.IsDir() {
		set, err = openDir(path)
	} else {
		set, err = openMJPEG(path)
	}
	if err != nil {
		return fmt.Errorf("replay: open %s: %w", path, err)
	}
	s.set, s.done = set, make(chan struct{})
	s.period = 0
	if s.cfg.FPS > 0 {
		s.period = time.Duration(float64(time.Second) / s.cfg.FPS)
	}
	s.pos, s.seq, s.due = 0, 0, time.Time{}
	return nil
}

// Next waits until the next frame is due, then reads, decodes and returns
// it. It returns ctx.Err() when ctx is done first, camera.ErrClosed when the
// source is not open or is closed meanwhile, and io.EOF past the last picture
// without Loop. Calls to Next are serialised.
func (s *Source) Next(ctx context.Context) (camera.Frame, error) {
	s.nextMu.Lock()
	defer s.nextMu.Unlock()
	if err := ctx.Err(); err != nil {
		return camera.Frame{}, err
	}

	s.mu.Lock()
	if s.set == nil {
		s.mu.Unlock()
		return camera.Frame{}, camera.ErrClosed
	}
	if s.pos >= s.set.len() && !s.cfg.Loop {
		s.mu.Unlock()
		return camera.Frame{}, io.EOF
	}
	done, due := s.done, s.due
	s.mu.Unlock()

	if err := wait(ctx, done, due); err != nil {
		return camera.Frame{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil || s.done != done { // closed (and maybe reopened) while we waited
		return camera.Frame{}, camera.ErrClosed
	}
	if s.period > 0 {
		s.due = nextDue(due, time.Now(), s.period)
	}
	if s.pos >= s.set.len() {
		s.pos = 0
	}
	i := s.pos
	s.pos++
	s.seq++
	g, err := s.set.load(i)
	if err != nil {
		return camera.Frame{}, fmt.Errorf("replay: frame %d (%s): %w", i, s.set.name(i), err)
	}
	now := time.Now
	if s.cfg.Now != nil {
		now = s.cfg.Now
	}
	return camera.Frame{Seq: s.seq, Time: now().UTC(), Gray: g}, nil
}

// nextDue returns when the frame after the one due at due is due, given that
// one went out at now: one period later, or the first beat after now when the
// caller has fallen behind. A zero due means the first frame.
func nextDue(due, now time.Time, period time.Duration) time.Time {
	if due.IsZero() {
		return now.Add(period)
	}
	next := due.Add(period)
	if next.After(now) {
		return next
	}
	return due.Add((now.Sub(due)/period + 1) * period)
}

// wait blocks until due, ctx is done or done is closed.
func wait(ctx context.Context, done <-chan struct{}, due time.Time) error {
	if due.IsZero() {
		return nil
	}
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return camera.ErrClosed
	}
}

// Close releases the MJPEG file and makes a waiting Next return
// camera.ErrClosed. It is idempotent and safe from any goroutine.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		return nil
	}
	close(s.done)
	err := s.set.close()
	s.set, s.done = nil, nil
	if err != nil {
		return fmt.Errorf("replay: close %s: %w", s.cfg.Path, err)
	}
	return nil
}

// dirSet is a folder of stills.
type dirSet struct {
	dir   string
	names []string
	dec   decoder
}

func openDir(dir string) (*dirSet, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no .jpg, .jpeg or .png file in folder")
	}
	return &dirSet{dir: dir, names: names}, nil
}

func (d *dirSet) len() int          { return len(d.names) }
func (d *dirSet) name(i int) string { return d.names[i] }
func (d *dirSet) close() error      { return nil }

func (d *dirSet) load(i int) (*image.Gray, error) {
	data, err := os.ReadFile(filepath.Join(d.dir, d.names[i]))
	if err != nil {
		return nil, err
	}
	return d.dec.decode(data)
}

// mjpegSet is an indexed Motion-JPEG file.
type mjpegSet struct {
	f     *os.File
	spans []mjpeg.Span
	buf   []byte
	dec   decoder
}

func openMJPEG(path string) (*mjpegSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	spans, err := mjpeg.Index(f)
	if err == nil && len(spans) == 0 {
		err = errors.New("no complete jpeg image in file")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &mjpegSet{f: f, spans: spans}, nil
}

func (m *mjpegSet) len() int          { return len(m.spans) }
func (m *mjpegSet) name(i int) string { return fmt.Sprintf("image at byte %d", m.spans[i].Off) }
func (m *mjpegSet) close() error      { return m.f.Close() }

func (m *mjpegSet) load(i int) (*image.Gray, error) {
	sp := m.spans[i]
	m.buf = slices.Grow(m.buf[:0], int(sp.Len))[:sp.Len]
	if _, err := m.f.ReadAt(m.buf, sp.Off); err != nil {
		return nil, err
	}
	return m.dec.decode(m.buf)
}

// decoder turns JPEG or PNG bytes into luma, reusing its scratch buffer.
type decoder struct {
	buf []byte
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

func (d *decoder) decode(data []byte) (*image.Gray, error) {
	var img image.Image
	var err error
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8}):
		// Recordings taken straight off a UVC camera may lack Huffman tables.
		d.buf = mjpeg.AppendDHT(d.buf[:0], data)
		img, err = jpeg.Decode(bytes.NewReader(d.buf))
	case bytes.HasPrefix(data, pngMagic):
		img, err = png.Decode(bytes.NewReader(data))
	default:
		return nil, errors.New("not a jpeg or png image")
	}
	if err != nil {
		return nil, err
	}
	return camera.Luma(img), nil
}
