package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// On-disk format (docs/spool.md). All integers are little endian.
//
// Segment file "<first sequence, 20 digits>.seg":
//
//	header  magic "ALPRSEG1" (8) | base sequence uint64 (8)
//	record  length uint32 | crc uint32 | seq uint64 | kind uint8 | payload[length]
//
// crc is CRC-32C (Castagnoli) over length, seq, kind and payload (every byte
// of the record but the crc field itself).
//
// Cursor file "cursor":
//
//	magic "ALPRCUR1" (8) | acked uint64 | next uint64 | crc uint32 over the first 24 bytes
const (
	segMagic      = "ALPRSEG1"
	segHeaderSize = 16
	recHeaderSize = 17
	// maxPayload bounds a record's length field: a larger value is corruption.
	maxPayload = 64 << 20
	// seqWindow bounds how far a record's sequence may jump past the previous
	// one; a larger jump is corruption (it also makes resynchronising after a
	// damaged region safe against random bytes that happen to parse).
	seqWindow = 1 << 32

	cursorName  = "cursor"
	cursorMagic = "ALPRCUR1"
	cursorSize  = 28
	lockName    = "LOCK"
	segSuffix   = ".seg"
	tmpSuffix   = ".tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segName returns the file name of the segment whose base sequence is base.
func segName(base uint64) string { return fmt.Sprintf("%020d%s", base, segSuffix) }

// parseSegName returns the base sequence of a segment file name.
func parseSegName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	base, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || base == 0 {
		return 0, false
	}
	return base, true
}

func appendSegHeader(b []byte, base uint64) []byte {
	b = append(b, segMagic...)
	return binary.LittleEndian.AppendUint64(b, base)
}

// appendRecord appends one framed record to b.
func appendRecord(b []byte, seq uint64, kind Kind, payload []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, 0) // crc, below
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = append(b, byte(kind))
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b[start+4:], recordCRC(b[start:]))
	return b
}

// recordCRC returns the CRC-32C of a whole framed record, skipping its crc
// field.
func recordCRC(rec []byte) uint32 {
	c := crc32.Update(0, castagnoli, rec[0:4])
	return crc32.Update(c, castagnoli, rec[8:])
}

// scanRec is a valid record found in a segment.
type scanRec struct {
	seq  uint64
	kind Kind
	off  int // of the record header
	size int // of the payload
}

// parseRecord reports whether a whole valid record starts at data[off:] with a
// sequence in (prev, limit) and at most seqWindow past prev.
func parseRecord(data []byte, off int, prev, limit uint64) (scanRec, bool) {
	if off < 0 || len(data)-off < recHeaderSize {
		return scanRec{}, false
	}
	h := data[off:]
	n := binary.LittleEndian.Uint32(h[0:])
	if n > maxPayload || uint64(len(h)-recHeaderSize) < uint64(n) {
		return scanRec{}, false
	}
	kind := Kind(h[16])
	if !kind.Valid() {
		return scanRec{}, false
	}
	seq := binary.LittleEndian.Uint64(h[8:])
	if seq <= prev || seq >= limit || seq-prev > seqWindow {
		return scanRec{}, false
	}
	if binary.LittleEndian.Uint32(h[4:]) != recordCRC(h[:recHeaderSize+int(n)]) {
		return scanRec{}, false
	}
	return scanRec{seq: seq, kind: kind, off: off, size: int(n)}, true
}

// region is a byte range of a segment.
type region struct{ off, n int }

// scanResult is what scanSegment found in one segment file.
type scanResult struct {
	recs      []scanRec
	headerBad bool     // the segment header is missing or wrong
	bad       []region // damaged regions followed by valid records
	end       int      // end of the last valid record (or of the header)
	tail      int      // damaged bytes after end that no valid record follows
	// tailSeq is the sequence readable in the damaged record header at end
	// when it lies in (prev, limit) and within seqWindow, else 0.
	tailSeq uint64
}

// scanSegment parses a segment's bytes. Records must have increasing
// sequences, each above prev and base-1 and below limit. A damaged record is
// skipped up to the next offset where a whole valid record starts; when there
// is none, the rest of the file is the damaged tail.
func scanSegment(data []byte, base, prev, limit uint64) scanResult {
	var r scanResult
	if base > 0 && base-1 > prev {
		prev = base - 1
	}
	if len(data) < segHeaderSize {
		r.headerBad = true
		r.tail = len(data)
		return r
	}
	if string(data[:8]) != segMagic || binary.LittleEndian.Uint64(data[8:]) != base {
		r.headerBad = true
	}
	off := segHeaderSize
	r.end = off
	for off < len(data) {
		if rec, ok := parseRecord(data, off, prev, limit); ok {
			r.recs = append(r.recs, rec)
			prev = rec.seq
			off += recHeaderSize + rec.size
			r.end = off
			continue
		}
		next := -1
		for p := off + 1; p+recHeaderSize <= len(data); p++ {
			if _, ok := parseRecord(data, p, prev, limit); ok {
				next = p
				break
			}
		}
		if next < 0 {
			r.tail = len(data) - off
			if len(data)-off >= recHeaderSize {
				seq := binary.LittleEndian.Uint64(data[off+8:])
				if seq > prev && seq < limit && seq-prev <= seqWindow {
					r.tailSeq = seq
				}
			}
			break
		}
		r.bad = append(r.bad, region{off, next - off})
		off = next
	}
	return r
}

func encodeCursor(acked, next uint64) []byte {
	b := make([]byte, 0, cursorSize)
	b = append(b, cursorMagic...)
	b = binary.LittleEndian.AppendUint64(b, acked)
	b = binary.LittleEndian.AppendUint64(b, next)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var errBadCursor = errors.New("spool: bad cursor file")

func decodeCursor(b []byte) (acked, next uint64, err error) {
	if len(b) != cursorSize || string(b[:8]) != cursorMagic ||
		binary.LittleEndian.Uint32(b[24:]) != crc32.Checksum(b[:24], castagnoli) {
		return 0, 0, errBadCursor
	}
	acked = binary.LittleEndian.Uint64(b[8:])
	next = binary.LittleEndian.Uint64(b[16:])
	if next <= acked {
		return 0, 0, errBadCursor
	}
	return acked, next, nil
}
