package mjpeg

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

// encode returns a w×h JPEG with a pattern seeded by seed.
func encode(t testing.TB, w, h int, seed uint8, gray bool) []byte {
	t.Helper()
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8(i) ^ seed
		}
		img = g
	} else {
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				c.Set(x, y, color.RGBA{uint8(x*3) + seed, uint8(y * 5), seed, 255})
			}
		}
		img = c
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b.Bytes()
}

// withAPP1 inserts after SOI an APP1 segment holding payload.
func withAPP1(img, payload []byte) []byte {
	n := len(payload) + 2
	seg := append([]byte{0xFF, 0xE1, byte(n >> 8), byte(n)}, payload...)
	return slices.Concat(img[:2], seg, img[2:])
}

// stripDHT removes every DHT segment before the first SOS.
func stripDHT(t *testing.T, b []byte) []byte {
	t.Helper()
	out := slices.Clone(b[:2])
	i := 2
	for {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		if m == markSOS {
			return append(out, b[i:]...)
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if m != markDHT {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
}

func TestIndex(t *testing.T) {
	a := encode(t, 16, 8, 1, false)
	b := encode(t, 24, 16, 2, true)
	c := encode(t, 8, 8, 3, false)
	thumb := withAPP1(a, append([]byte("Exif\x00\x00"), c...)) // nested SOI/EOI inside APP1
	type want struct{ off, len int }
	for _, tc := range []struct {
		name   string
		stream []byte
		want   []want
	}{
		{"empty", nil, nil},
		{"one", a, []want{{0, len(a)}}},
		{"three", slices.Concat(a, b, c), []want{{0, len(a)}, {len(a), len(b)}, {len(a) + len(b), len(c)}}},
		{"garbage around", slices.Concat([]byte("x\xff\xffjunk"), a, []byte{0xFF, 0x00, 0xD9}, b, []byte("tail")),
			[]want{{7, len(a)}, {7 + len(a) + 3, len(b)}}},
		{"thumbnail in APP1", slices.Concat(thumb, b), []want{{0, len(thumb)}, {len(thumb), len(b)}}},
		{"truncated last", slices.Concat(a, b[:len(b)/2]), []want{{0, len(a)}}},
		{"truncated in segment header", slices.Concat(a, b[:5]), []want{{0, len(a)}}},
		{"cut short by next SOI", slices.Concat(b[:len(b)-40], a), []want{{len(b) - 40, len(a)}}},
		{"no marker after SOI", slices.Concat([]byte{0xFF, 0xD8, 0x12, 0x34}, a), []want{{4, len(a)}}},
		{"bad segment length", slices.Concat([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01}, a), []want{{6, len(a)}}},
		{"FF00 outside scan", slices.Concat([]byte{0xFF, 0xD8, 0xFF, 0x00}, a), []want{{4, len(a)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// OneByteReader makes bufio refill often, exercising the buffer edges.
			spans, err := Index(iotest.OneByteReader(bytes.NewReader(tc.stream)))
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			var got []want
			for _, s := range spans {
				got = append(got, want{int(s.Off), int(s.Len)})
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got spans %v, want %v", got, tc.want)
			}
			for _, s := range spans {
				if _, err := jpeg.Decode(bytes.NewReader(tc.stream[s.Off : s.Off+s.Len])); err != nil {
					t.Errorf("decode span %v: %v", s, err)
				}
			}
		})
	}
}

func TestIndexReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(encode(t, 8, 8, 0, true)), iotest.ErrReader(boom))
	spans, err := Index(r)
	if !errors.Is(err, boom) {
		t.Fatalf("got error %v, want %v", err, boom)
	}
	if len(spans) != 1 {
		t.Errorf("got %d spans, want 1", len(spans))
	}
}

func TestAppendDHT(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  []byte
	}{
		{"colour", encode(t, 40, 24, 9, false)},
		{"gray", encode(t, 40, 24, 9, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := jpeg.Decode(bytes.NewReader(tc.img))
			if err != nil {
				t.Fatalf("decode original: %v", err)
			}
			stripped := stripDHT(t, tc.img)
			if len(stripped) >= len(tc.img) {
				t.Fatalf("got %d bytes after stripping DHT, want fewer than %d", len(stripped), len(tc.img))
			}
			if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
				t.Fatal("got no error decoding a JPEG without DHT, want one (test is not exercising the fix)")
			}
			prefix := []byte("keep")
			fixed := AppendDHT(slices.Clone(prefix), stripped)
			if !bytes.HasPrefix(fixed, prefix) {
				t.Fatalf("got %q at the start, want dst kept", fixed[:4])
			}
			got, err := jpeg.Decode(bytes.NewReader(fixed[len(prefix):]))
			if err != nil {
				t.Fatalf("decode fixed: %v", err)
			}
			if !sameImage(got, want) {
				t.Error("got different pixels after restoring DHT, want the original picture")
			}
		})
	}
}

func TestAppendDHTLeavesOthersAlone(t *testing.T) {
	full := encode(t, 16, 16, 4, false)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"has DHT", full},
		{"not a jpeg", []byte("\x89PNG\r\n\x1a\n")},
		{"empty", nil},
		{"truncated header", full[:7]},
		{"bad length", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xDA}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AppendDHT(nil, tc.in); !bytes.Equal(got, tc.in) {
				t.Errorf("got %d bytes, want the %d input bytes unchanged", len(got), len(tc.in))
			}
		})
	}
}

func TestDefaultDHTLength(t *testing.T) {
	// 4 table headers + 4×16 counts + 12 + 162 + 12 + 162 values + 2 = 0x01A2.
	if got := int(defaultDHT[2])<<8 | int(defaultDHT[3]); got != 0x01A2 || len(defaultDHT) != 0x01A2+2 {
		t.Errorf("got length field %#x and %d bytes, want 0x1a2 and %d", got, len(defaultDHT), 0x01A2+2)
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}
