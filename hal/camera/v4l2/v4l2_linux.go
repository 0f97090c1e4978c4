//go:build linux

package v4l2

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"

	"alprd/hal/camera"
	"alprd/hal/camera/internal/mjpeg"
)

// Camera is a V4L2 camera. It implements camera.Source.
//
// webcam.Webcam must not be closed while a WaitForFrame is in progress, so
// Next holds mu while it waits, in one-second steps; Close raises closing
// first, which makes Next give mu up at the end of its current step.
type Camera struct {
	cfg Config
	log *slog.Logger

	closing atomic.Bool

	mu     sync.Mutex // guards the fields below; Next holds it while waiting
	cam    *webcam.Webcam
	active Config // c.cfg resolved, as opened
	fourcc uint32
	w, h   int    // negotiated size
	seq    uint64 // Seq of the last frame dequeued
	buf    []byte // MJPEG frame copied out of the driver's buffer
}

var _ camera.Source = (*Camera)(nil)

// New returns a Camera for cfg that logs to log (nil: discard). It does no
// I/O and does not check cfg: Open does both.
func New(cfg Config, log *slog.Logger) *Camera {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Device == "" {
		cfg.Device = DefaultDevice
	}
	return &Camera{cfg: cfg, log: log.With("device", cfg.Device)}
}

// Open opens the device, negotiates format, size and rate and starts
// streaming. It returns an error wrapping os.ErrNotExist when the device is
// not there (no node, or the node has no device behind it), and another
// error when it is there but unusable, the Config is invalid, or the Camera
// is already open. A closed Camera may be opened again; Seq restarts at 1.
func (c *Camera) Open(ctx context.Context) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg, err := c.cfg.resolve()
	if err != nil {
		return fmt.Errorf("v4l2: open %s: %w", c.cfg.Device, err)
	}
	dev := cfg.Device
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cam != nil {
		return fmt.Errorf("v4l2: open %s: already open", dev)
	}

	cam, err := webcam.Open(dev)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) && (errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)) {
			return fmt.Errorf("v4l2: open %s: %w: %w", dev, err, os.ErrNotExist)
		}
		return fmt.Errorf("v4l2: open %s: %w", dev, err)
	}
	defer func() {
		if err != nil {
			cam.Close()
		}
	}()

	var have []uint32
	for f := range cam.GetSupportedFormats() {
		have = append(have, uint32(f))
	}
	slices.Sort(have)
	fourcc, err := chooseFormat(have, cfg.Format)
	if err != nil {
		return fmt.Errorf("v4l2: open %s: %w", dev, err)
	}

	var sizes []frameSize
	for _, s := range cam.GetSupportedFrameSizes(webcam.PixelFormat(fourcc)) {
		sizes = append(sizes, frameSize{s.MinWidth, s.MaxWidth, s.StepWidth, s.MinHeight, s.MaxHeight, s.StepHeight})
	}
	w, h, ok := chooseSize(sizes, uint32(cfg.Width), uint32(cfg.Height))
	if !ok {
		if cfg.Width == 0 {
			return fmt.Errorf("v4l2: open %s: no frame size listed for %s; set Width and Height", dev, fourccString(fourcc))
		}
		w, h = uint32(cfg.Width), uint32(cfg.Height) // let the driver adjust
	}

	// webcam v0.6.1's SetImageFormat returns the requested size, not the
	// driver's: asking for a listed size keeps the two the same, and YUYV
	// checks each frame's length, MJPEG carries its own size.
	got, _, _, err := cam.SetImageFormat(webcam.PixelFormat(fourcc), w, h)
	if err != nil {
		return fmt.Errorf("v4l2: open %s: set format %s %dx%d: %w", dev, fourccString(fourcc), w, h, err)
	}
	if uint32(got) != fourcc {
		return fmt.Errorf("v4l2: open %s: asked for format %s, driver chose %s", dev, fourccString(fourcc), fourccString(uint32(got)))
	}
	if cfg.FPS > 0 {
		if err := cam.SetFramerate(float32(cfg.FPS)); err != nil {
			c.log.Info("v4l2: frame rate not set, using the driver's", "fps", cfg.FPS, "err", err)
		}
	}
	if err := cam.SetBufferCount(4); err != nil {
		return fmt.Errorf("v4l2: open %s: set buffer count 4: %w", dev, err)
	}
	if err := cam.StartStreaming(); err != nil {
		return fmt.Errorf("v4l2: open %s: start streaming: %w", dev, err)
	}

	c.cam, c.active, c.fourcc, c.w, c.h, c.seq = cam, cfg, fourcc, int(w), int(h), 0
	c.closing.Store(false)
	c.log.Info("v4l2: streaming", "format", fourccString(fourcc), "width", w, "height", h, "fps", cfg.FPS)
	return nil
}

// Next waits for the next frame and returns its luma, copied out of the
// driver's buffer. It returns ctx.Err() when ctx is done, camera.ErrClosed
// when the Camera is not open or is being closed, and an error wrapping
// camera.ErrLost when the device fails (ENODEV, EIO, ...), sends nothing for
// Config.LostAfter, or sends only undecodable frames. A single undecodable
// frame is skipped and shows as a gap in Seq.
func (c *Camera) Next(ctx context.Context) (camera.Frame, error) {
	if err := ctx.Err(); err != nil {
		return camera.Frame{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cam == nil {
		return camera.Frame{}, camera.ErrClosed
	}
	cfg := c.active
	dev := cfg.Device
	timeouts, bad := 0, 0
	for {
		if c.closing.Load() {
			return camera.Frame{}, camera.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return camera.Frame{}, err
		}
		err := c.cam.WaitForFrame(1) // seconds
		if _, ok := errors.AsType[*webcam.Timeout](err); ok {
			if timeouts++; timeouts >= cfg.waits() {
				return camera.Frame{}, fmt.Errorf("v4l2: next %s: no frame for %v: %w", dev, cfg.LostAfter, camera.ErrLost)
			}
			continue
		}
		if err != nil {
			return camera.Frame{}, fmt.Errorf("v4l2: wait %s: %w: %w", dev, err, camera.ErrLost)
		}

		data, index, err := c.cam.GetFrame()
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return camera.Frame{}, fmt.Errorf("v4l2: read %s: %w: %w", dev, err, camera.ErrLost)
		}
		at := time.Now().UTC()
		c.seq++
		// data is the driver's mmap buffer, overwritten once released: copy
		// what is needed out of it before ReleaseFrame, keep nothing after.
		var g *image.Gray
		var cerr error
		if c.fourcc == fourccMJPG {
			c.buf = mjpeg.AppendDHT(c.buf[:0], data)
		} else {
			g, cerr = yuyvGray(data, c.w, c.h)
		}
		n := len(data)
		if err := c.cam.ReleaseFrame(index); err != nil {
			return camera.Frame{}, fmt.Errorf("v4l2: release buffer %d of %s: %w: %w", index, dev, err, camera.ErrLost)
		}
		if c.fourcc == fourccMJPG {
			g, cerr = decodeJPEG(c.buf)
		}
		if cerr != nil {
			c.log.Debug("v4l2: bad frame skipped", "seq", c.seq, "bytes", n, "err", cerr)
			if bad++; bad >= badFramesLost {
				return camera.Frame{}, fmt.Errorf("v4l2: next %s: %d bad frames in a row, last: %v: %w", dev, bad, cerr, camera.ErrLost)
			}
			continue
		}
		return camera.Frame{Seq: c.seq, Time: at, Gray: g}, nil
	}
}

// Close stops streaming and releases the device. It is idempotent and safe
// from any goroutine; while Next is waiting it blocks for up to a second.
func (c *Camera) Close() error {
	c.closing.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cam == nil {
		return nil
	}
	cam := c.cam
	c.cam, c.buf = nil, nil
	if err := cam.StopStreaming(); err != nil {
		// Expected after the device went away; Close still frees it.
		c.log.Debug("v4l2: stop streaming", "err", err)
	}
	if err := cam.Close(); err != nil {
		return fmt.Errorf("v4l2: close %s: %w", c.cfg.Device, err)
	}
	return nil
}
