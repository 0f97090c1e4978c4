// Package mjpeg handles Motion-JPEG as cameras and recordings deliver it: a
// stream of whole JPEG images back to back (Index finds them), each of which
// may lack its Huffman tables (AppendDHT restores them).
package mjpeg

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// JPEG marker codes (the byte after 0xFF).
const (
	markSOI  = 0xD8
	markEOI  = 0xD9
	markSOS  = 0xDA
	markDHT  = 0xC4
	markRST0 = 0xD0
	markRST7 = 0xD7
	markTEM  = 0x01
)

// standalone reports whether marker m has no length field.
func standalone(m byte) bool {
	return m == markTEM || m == markSOI || m == markEOI || (m >= markRST0 && m <= markRST7)
}

// Span locates one JPEG image in a stream: Len bytes from Off, SOI through EOI.
type Span struct {
	Off, Len int64
}

// Index reads r to its end and returns where each complete JPEG image is.
//
// It walks the marker structure rather than searching for FFD9, so an EOI
// inside a segment (an EXIF thumbnail in APP1, say) does not end the image
// early. Bytes between images are skipped; an image cut short by EOF or by
// the next SOI, or whose structure is broken, is left out. The error is
// non-nil only when reading r fails.
func Index(r io.Reader) ([]Span, error) {
	s := &scanner{r: bufio.NewReaderSize(r, 64<<10)}
	var spans []Span
	for {
		start, err := s.findSOI()
		for err == nil {
			var end, next int64
			end, next, err = s.image()
			if err != nil || end < 0 && next < 0 {
				break // end of data, or broken image: look for the next SOI
			}
			if end >= 0 {
				spans = append(spans, Span{Off: start, Len: end - start})
				break
			}
			start = next // cut short by a new SOI: that is the next image
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return spans, nil // a truncated last image is left out
		}
		if err != nil {
			return spans, err
		}
	}
}

var errCorrupt = errors.New("mjpeg: corrupt image")

// scanner reads a byte stream and counts the offset.
type scanner struct {
	r   *bufio.Reader
	off int64
}

func (s *scanner) byte() (byte, error) {
	b, err := s.r.ReadByte()
	if err == nil {
		s.off++
	}
	return b, err
}

func (s *scanner) skip(n int) error {
	d, err := s.r.Discard(n)
	s.off += int64(d)
	if err == nil && d < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// toFF consumes bytes up to and including the next 0xFF.
func (s *scanner) toFF() error {
	for {
		if _, err := s.r.Peek(1); err != nil {
			return err
		}
		buf, _ := s.r.Peek(s.r.Buffered())
		if i := bytes.IndexByte(buf, 0xFF); i >= 0 {
			return s.skip(i + 1)
		}
		if err := s.skip(len(buf)); err != nil {
			return err
		}
	}
}

// code reads a marker code after its 0xFF, skipping fill bytes (0xFF).
func (s *scanner) code() (byte, error) {
	for {
		b, err := s.byte()
		if err != nil || b != 0xFF {
			return b, err
		}
	}
}

// findSOI consumes bytes through the next SOI and returns its offset.
func (s *scanner) findSOI() (int64, error) {
	for {
		if err := s.toFF(); err != nil {
			return 0, err
		}
		m, err := s.code()
		if err != nil {
			return 0, err
		}
		if m == markSOI {
			return s.off - 2, nil
		}
	}
}

// image reads the rest of an image whose SOI was just consumed. It returns
// end >= 0 (the offset past EOI) for a complete image, next >= 0 (the offset
// of a new SOI) when another image starts before this one ends, and both < 0
// when the structure is broken.
func (s *scanner) image() (end, next int64, err error) {
	m, err := s.marker()
	for {
		if errors.Is(err, errCorrupt) {
			return -1, -1, nil
		}
		if err != nil {
			return -1, -1, err
		}
		switch {
		case m == markEOI:
			return s.off, -1, nil
		case m == markSOI:
			return -1, s.off - 2, nil
		case standalone(m):
			m, err = s.marker()
		case m == markSOS:
			if err = s.segment(); err == nil {
				m, err = s.entropy()
			}
		case m == 0x00:
			return -1, -1, nil
		default:
			if err = s.segment(); err == nil {
				m, err = s.marker()
			}
		}
	}
}

// marker reads the next marker, which must follow immediately.
func (s *scanner) marker() (byte, error) {
	b, err := s.byte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, errCorrupt
	}
	return s.code()
}

// segment skips a marker segment's length field and payload.
func (s *scanner) segment() error {
	hi, err := s.byte()
	if err != nil {
		return err
	}
	lo, err := s.byte()
	if err != nil {
		return err
	}
	n := int(hi)<<8 | int(lo)
	if n < 2 {
		return errCorrupt
	}
	return s.skip(n - 2)
}

// entropy skips entropy-coded data (where 0xFF is stuffed as FF00 and RSTn
// markers may appear) and returns the marker that ends it.
func (s *scanner) entropy() (byte, error) {
	for {
		if err := s.toFF(); err != nil {
			return 0, err
		}
		m, err := s.code()
		if err != nil {
			return 0, err
		}
		if m != 0x00 && (m < markRST0 || m > markRST7) {
			return m, nil
		}
	}
}
