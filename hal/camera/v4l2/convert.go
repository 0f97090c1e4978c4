package v4l2

import (
	"alprd/hal/camera"

	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"slices"
	"strings"
	"time"
)

// Config says which camera to use and how.
type Config struct {
	// Device is the video node; "" means /dev/video0.
	Device string
	// Format is "mjpeg", "yuyv", or "" for MJPEG when the camera offers it,
	// else YUYV.
	Format string
	// Width and Height are the wanted frame size. The camera's supported size
	// nearest to it is used. 0×0 means the largest it supports.
	Width, Height int
	// FPS is the wanted frame rate; 0 leaves the driver's default. A camera
	// that cannot set its rate is used at the rate it has.
	FPS float64
	// LostAfter is how long Next waits without a frame before reporting the
	// camera lost; 0 means 5 s. It is rounded up to whole seconds.
	LostAfter time.Duration
}

// Defaults for Config's zero values.
const (
	DefaultDevice    = "/dev/video0"
	DefaultLostAfter = 5 * time.Second
)

// V4L2 pixel formats (fourcc codes, little-endian).
const (
	fourccMJPG uint32 = 0x47504A4D // 'M' 'J' 'P' 'G'
	fourccYUYV uint32 = 0x56595559 // 'Y' 'U' 'Y' 'V'
)

// badFramesLost is how many undecodable frames in a row mean the camera is lost.
const badFramesLost = 30

// resolve fills in defaults and checks cfg. Its errors are for Open to wrap.
func (cfg Config) resolve() (Config, error) {
	if cfg.Device == "" {
		cfg.Device = DefaultDevice
	}
	if cfg.LostAfter == 0 {
		cfg.LostAfter = DefaultLostAfter
	}
	switch f := strings.ToLower(cfg.Format); f {
	case "", "mjpeg", "yuyv":
		cfg.Format = f
	default:
		return cfg, fmt.Errorf("format %q is not mjpeg or yuyv", cfg.Format)
	}
	if cfg.Width < 0 || cfg.Height < 0 || (cfg.Width == 0) != (cfg.Height == 0) {
		return cfg, fmt.Errorf("size %dx%d: want both positive or both 0", cfg.Width, cfg.Height)
	}
	if cfg.FPS < 0 || cfg.FPS != cfg.FPS {
		return cfg, fmt.Errorf("fps %v is not a rate", cfg.FPS)
	}
	if cfg.LostAfter < 0 {
		return cfg, fmt.Errorf("lost after %v is negative", cfg.LostAfter)
	}
	return cfg, nil
}

// waits is how many one-second waits make up LostAfter.
func (cfg Config) waits() int {
	return max(1, int((cfg.LostAfter+time.Second-1)/time.Second))
}

// fourccString renders a fourcc code, e.g. "MJPG".
func fourccString(f uint32) string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	return strings.TrimRight(string(b), "\x00 ")
}

// chooseFormat picks the pixel format for want ("", "mjpeg" or "yuyv") among
// those the camera has.
func chooseFormat(have []uint32, want string) (uint32, error) {
	var order []uint32
	switch want {
	case "mjpeg":
		order = []uint32{fourccMJPG}
	case "yuyv":
		order = []uint32{fourccYUYV}
	default:
		order = []uint32{fourccMJPG, fourccYUYV}
	}
	for _, f := range order {
		if slices.Contains(have, f) {
			return f, nil
		}
	}
	if len(have) == 0 {
		return 0, errors.New("camera lists no pixel format")
	}
	names := make([]string, len(have))
	for i, f := range have {
		names[i] = fourccString(f)
	}
	slices.Sort(names)
	if want == "" {
		want = "mjpeg or yuyv"
	}
	return 0, fmt.Errorf("camera offers %s, not %s", strings.Join(names, ", "), want)
}

// frameSize mirrors webcam.FrameSize: discrete when Min == Max and Step is 0,
// stepwise otherwise.
type frameSize struct {
	MinW, MaxW, StepW uint32
	MinH, MaxH, StepH uint32
}

// chooseSize returns the supported size nearest w×h (sum of the width and
// height differences, ties going to the larger picture), or the largest when
// w×h is 0×0. ok is false when sizes holds no usable entry (webcam reports
// continuous ranges as all zeros), in which case the caller should ask for
// w×h and let the driver adjust.
func chooseSize(sizes []frameSize, w, h uint32) (cw, ch uint32, ok bool) {
	largest := w == 0 && h == 0
	var bestDist, bestArea uint64
	for _, s := range sizes {
		if s.MaxW == 0 || s.MaxH == 0 || s.MinW > s.MaxW || s.MinH > s.MaxH {
			continue
		}
		x, y := snap(w, s.MinW, s.MaxW, s.StepW), snap(h, s.MinH, s.MaxH, s.StepH)
		if largest {
			x, y = snap(s.MaxW, s.MinW, s.MaxW, s.StepW), snap(s.MaxH, s.MinH, s.MaxH, s.StepH)
		}
		area := uint64(x) * uint64(y)
		dist := absDiff(x, w) + absDiff(y, h)
		if largest {
			dist = 0
		}
		if !ok || dist < bestDist || dist == bestDist && area > bestArea {
			cw, ch, bestDist, bestArea, ok = x, y, dist, area, true
		}
	}
	return cw, ch, ok
}

// snap returns the value of the range min + k·step (k ≥ 0, ≤ max) nearest v.
func snap(v, lo, hi, step uint32) uint32 {
	if v <= lo || lo == hi {
		return lo
	}
	if step == 0 {
		step = 1
	}
	v = min(v, hi)
	r := lo + (v-lo+step/2)/step*step
	if r > hi {
		r -= step
	}
	return r
}

func absDiff(a, b uint32) uint64 {
	if a > b {
		return uint64(a - b)
	}
	return uint64(b - a)
}

// yuyvGray returns the luma of a packed YUYV 4:2:2 frame of w×h pixels
// (Y0 U Y1 V ...: Y is every other byte), copying it out of src. The line
// pitch is inferred from len(src), since the webcam API does not report
// bytes-per-line: tightly packed (2·w) or padded to a common pitch.
func yuyvGray(src []byte, w, h int) (*image.Gray, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("yuyv: size %dx%d is empty", w, h)
	}
	stride := 2 * w
	if len(src) > stride*h && len(src)%h == 0 {
		stride = len(src) / h // lines padded by the driver
	}
	if len(src) < stride*(h-1)+2*w {
		return nil, fmt.Errorf("yuyv: frame of %d bytes is short of %dx%d (%d bytes)", len(src), w, h, 2*w*h)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		row := src[y*stride : y*stride+2*w]
		out := g.Pix[y*w : (y+1)*w]
		for x := range out {
			out[x] = row[2*x]
		}
	}
	return g, nil
}

// decodeJPEG returns the luma of a JPEG (Huffman tables already restored).
func decodeJPEG(b []byte) (*image.Gray, error) {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("mjpeg: %w", err)
	}
	return camera.Luma(img), nil
}
