package v4l2

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"strings"
	"testing"
	"time"

	"alprd/hal/camera/internal/mjpeg"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      Config
		want    Config
		wantErr string
	}{
		{"defaults", Config{}, Config{Device: "/dev/video0", LostAfter: 5 * time.Second}, ""},
		{"kept", Config{Device: "/dev/video2", Format: "YUYV", Width: 640, Height: 480, FPS: 15, LostAfter: time.Second},
			Config{Device: "/dev/video2", Format: "yuyv", Width: 640, Height: 480, FPS: 15, LostAfter: time.Second}, ""},
		{"bad format", Config{Format: "h264"}, Config{}, `format "h264"`},
		{"half size", Config{Width: 640}, Config{}, "size 640x0"},
		{"negative size", Config{Width: -1, Height: -1}, Config{}, "size -1x-1"},
		{"negative fps", Config{FPS: -1}, Config{}, "fps -1"},
		{"negative lost after", Config{LostAfter: -time.Second}, Config{}, "lost after -1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestWaits(t *testing.T) {
	for _, tc := range []struct {
		lost time.Duration
		want int
	}{{5 * time.Second, 5}, {1500 * time.Millisecond, 2}, {time.Millisecond, 1}, {0, 1}} {
		t.Run(tc.lost.String(), func(t *testing.T) {
			if got := (Config{LostAfter: tc.lost}).waits(); got != tc.want {
				t.Errorf("got %d waits, want %d", got, tc.want)
			}
		})
	}
}

func TestFourcc(t *testing.T) {
	if got := fourccString(fourccMJPG); got != "MJPG" {
		t.Errorf("got %q, want MJPG", got)
	}
	if got := fourccString(fourccYUYV); got != "YUYV" {
		t.Errorf("got %q, want YUYV", got)
	}
}

func TestChooseFormat(t *testing.T) {
	const h264 = 0x34363248 // H264
	for _, tc := range []struct {
		name    string
		have    []uint32
		want    string
		got     uint32
		wantErr string
	}{
		{"prefer mjpeg", []uint32{fourccYUYV, h264, fourccMJPG}, "", fourccMJPG, ""},
		{"fall back to yuyv", []uint32{h264, fourccYUYV}, "", fourccYUYV, ""},
		{"asked yuyv", []uint32{fourccMJPG, fourccYUYV}, "yuyv", fourccYUYV, ""},
		{"asked mjpeg", []uint32{fourccMJPG, fourccYUYV}, "mjpeg", fourccMJPG, ""},
		{"asked mjpeg, not there", []uint32{fourccYUYV}, "mjpeg", 0, "camera offers YUYV, not mjpeg"},
		{"neither", []uint32{h264}, "", 0, "camera offers H264, not mjpeg or yuyv"},
		{"nothing", nil, "", 0, "camera lists no pixel format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseFormat(tc.have, tc.want)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.got {
				t.Errorf("got %s, %v, want %s, nil", fourccString(got), err, fourccString(tc.got))
			}
		})
	}
}

func discrete(w, h uint32) frameSize { return frameSize{w, w, 0, h, h, 0} }

func TestChooseSize(t *testing.T) {
	uvc := []frameSize{discrete(640, 480), discrete(1920, 1080), discrete(1280, 720), discrete(320, 240)}
	pi := []frameSize{{MinW: 32, MaxW: 3280, StepW: 2, MinH: 32, MaxH: 2464, StepH: 2}}
	for _, tc := range []struct {
		name   string
		sizes  []frameSize
		w, h   uint32
		ww, wh uint32
		ok     bool
	}{
		{"exact discrete", uvc, 1280, 720, 1280, 720, true},
		{"nearest discrete", uvc, 1200, 700, 1280, 720, true},
		{"between, tie to larger", []frameSize{discrete(600, 400), discrete(800, 600)}, 700, 500, 800, 600, true},
		{"above all", uvc, 4000, 3000, 1920, 1080, true},
		{"largest", uvc, 0, 0, 1920, 1080, true},
		{"stepwise inside", pi, 1281, 721, 1282, 722, true},
		{"stepwise exact", pi, 1280, 720, 1280, 720, true},
		{"stepwise clamp low", pi, 8, 8, 32, 32, true},
		{"stepwise clamp high", pi, 5000, 5000, 3280, 2464, true},
		{"stepwise largest", pi, 0, 0, 3280, 2464, true},
		{"step not reaching max", []frameSize{{MinW: 100, MaxW: 250, StepW: 100, MinH: 100, MaxH: 100}}, 260, 100, 200, 100, true},
		{"step zero means one", []frameSize{{MinW: 100, MaxW: 200, MinH: 50, MaxH: 150}}, 123, 77, 123, 77, true},
		{"mixed, stepwise nearer", append(slices.Clone(uvc), pi...), 1000, 600, 1000, 600, true},
		{"continuous reported as zeros", []frameSize{{}}, 640, 480, 0, 0, false},
		{"none", nil, 640, 480, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, h, ok := chooseSize(tc.sizes, tc.w, tc.h)
			if w != tc.ww || h != tc.wh || ok != tc.ok {
				t.Errorf("got %dx%d %v, want %dx%d %v", w, h, ok, tc.ww, tc.wh, tc.ok)
			}
		})
	}
}

// yuyv builds a w×h YUYV frame with lines stride bytes apart; Y is x+10y,
// chroma 0x80, padding 0xEE.
func yuyv(w, h, stride int) []byte {
	b := bytes.Repeat([]byte{0xEE}, stride*h)
	for y := range h {
		for x := range w {
			b[y*stride+2*x] = byte(x + 10*y)
			b[y*stride+2*x+1] = 0x80
		}
	}
	return b
}

func TestYUYVGray(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     []byte
		w, h    int
		wantErr string
	}{
		{"packed", yuyv(6, 4, 12), 6, 4, ""},
		{"padded lines", yuyv(6, 4, 16), 6, 4, ""},
		{"odd width", yuyv(5, 3, 10), 5, 3, ""},
		{"one line", yuyv(4, 1, 8), 4, 1, ""},
		{"short", yuyv(6, 4, 12)[:40], 6, 4, "frame of 40 bytes is short of 6x4 (48 bytes)"},
		{"empty", nil, 6, 4, "frame of 0 bytes"},
		{"no size", yuyv(2, 2, 4), 0, 2, "size 0x2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := yuyvGray(tc.src, tc.w, tc.h)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if g.Rect != image.Rect(0, 0, tc.w, tc.h) {
				t.Fatalf("got bounds %v, want %v", g.Rect, image.Rect(0, 0, tc.w, tc.h))
			}
			for y := range tc.h {
				for x := range tc.w {
					if got, want := g.GrayAt(x, y).Y, byte(x+10*y); got != want {
						t.Fatalf("(%d,%d): got %d, want %d", x, y, got, want)
					}
				}
			}
			tc.src[0] ^= 0xFF // the driver reuses its buffer
			if g.Pix[0] != 0 {
				t.Error("got a frame sharing the source buffer, want a copy")
			}
		})
	}
}

// TestDecodeMJPEGWithoutDHT is the UVC pitfall end to end: a frame without
// Huffman tables decodes once AppendDHT has restored them.
func TestDecodeMJPEGWithoutDHT(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.SetRGBA(x, y, color.RGBA{uint8(4 * x), uint8(5 * y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	full := b.Bytes()
	want, err := decodeJPEG(full)
	if err != nil {
		t.Fatal(err)
	}
	// Drop the DHT segments (marker FFC4) before SOS (FFDA).
	var stripped []byte
	stripped = append(stripped, full[:2]...)
	for i := 2; ; {
		m, n := full[i+1], int(full[i+2])<<8|int(full[i+3])
		if m == 0xDA {
			stripped = append(stripped, full[i:]...)
			break
		}
		if m != 0xC4 {
			stripped = append(stripped, full[i:i+2+n]...)
		}
		i += 2 + n
	}
	if _, err := decodeJPEG(stripped); err == nil {
		t.Fatal("got no error decoding without DHT, want one")
	}
	got, err := decodeJPEG(mjpeg.AppendDHT(nil, stripped))
	if err != nil {
		t.Fatalf("got error %v after restoring DHT, want nil", err)
	}
	if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
		t.Error("got different luma after restoring DHT, want the original")
	}
}
