package envelope

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Version is the envelope format version this package writes and reads.
const Version = 1

// Sizes of the fixed parts, in bytes (docs/envelope.md).
const (
	fixedHeaderSize = 22 // version .. device length
	timeSize        = 8
	tagSize         = 16 // AES-256-GCM tag
	SignatureSize   = 64 // ECDSA P-256 r || s
	MaxDeviceLen    = 64 // longest device id
)

// Header flag bits (offset 1).
const (
	flagTime   = 1 << 0 // a creation time follows the device id
	flagsKnown = flagTime
)

// The HPKE info string and the signature's context prefix (docs/envelope.md).
const (
	hpkeInfo   = "alprd envelope v1"
	sigContext = "alprd envelope v1 signature\x00"
)

// Reasons Open refuses an envelope. Every error Open returns wraps exactly
// one of them.
var (
	// ErrFormat: not an envelope of a version, suite and kind this package
	// knows, or truncated, or malformed.
	ErrFormat = errors.New("envelope: bad format")
	// ErrUnknownDevice: no public key for the header's device.
	ErrUnknownDevice = errors.New("envelope: unknown device")
	// ErrSignature: the signature is not the device's over the envelope.
	ErrSignature = errors.New("envelope: bad signature")
	// ErrUnknownEpoch: no HQ private key of the header's epoch and suite.
	ErrUnknownEpoch = errors.New("envelope: unknown key epoch")
	// ErrDecrypt: HPKE decryption failed although the device signed the
	// envelope (sealed to another key of that epoch, or a broken sender).
	ErrDecrypt = errors.New("envelope: decryption failed")
)

// Header is an envelope's clear header. Its fields are what the device
// signed only once Open has returned it; from ParseHeader they are claims.
type Header struct {
	Version int    // format version: Version
	Kind    Kind   // message kind
	Suite   Suite  // HPKE suite, from the KEM id
	KEM     uint16 // HPKE KEM id
	KDF     uint16 // HPKE KDF id
	AEAD    uint16 // HPKE AEAD id
	Epoch   uint32 // HQ key epoch the payload is encrypted to
	Seq     uint64 // device's message sequence number
	Device  string // device id
	// Created is when the device sealed the message, millisecond precision,
	// UTC; zero when the device wrote no time.
	Created time.Time
}

// layout is where the parts of a parsed envelope lie.
type layout struct {
	header int // header length: the AAD is b[:header]
	enc    int // end of the encapsulated key
	sig    int // start of the signature
}

// ParseHeader parses b's header without verifying or decrypting anything,
// for routing and counting. It checks that b is long enough to be a whole
// envelope of the header's suite and returns an error wrapping ErrFormat
// otherwise. Nothing in the header is authentic until Open accepts b.
func ParseHeader(b []byte) (Header, error) {
	h, _, err := parse(b)
	return h, err
}

func parse(b []byte) (Header, layout, error) {
	var h Header
	if len(b) < fixedHeaderSize {
		return h, layout{}, fmt.Errorf("%w: %d bytes, shorter than a header", ErrFormat, len(b))
	}
	if b[0] != Version {
		return h, layout{}, fmt.Errorf("%w: version %d, want %d", ErrFormat, b[0], Version)
	}
	flags := b[1]
	if flags&^flagsKnown != 0 {
		return h, layout{}, fmt.Errorf("%w: unknown flags %#02x", ErrFormat, flags)
	}
	h.Version = int(b[0])
	h.Kind = Kind(b[2])
	if !h.Kind.Valid() {
		return h, layout{}, fmt.Errorf("%w: unknown kind %d", ErrFormat, b[2])
	}
	h.KEM = binary.BigEndian.Uint16(b[3:])
	h.KDF = binary.BigEndian.Uint16(b[5:])
	h.AEAD = binary.BigEndian.Uint16(b[7:])
	h.Suite = suiteOfKEM(h.KEM)
	if h.Suite == "" || h.KDF != KDFHKDFSHA256 || h.AEAD != AEADAES256GCM {
		return h, layout{}, fmt.Errorf("%w: unsupported suite KEM %#04x KDF %#04x AEAD %#04x", ErrFormat, h.KEM, h.KDF, h.AEAD)
	}
	h.Epoch = binary.BigEndian.Uint32(b[9:])
	h.Seq = binary.BigEndian.Uint64(b[13:])
	n := int(b[21])
	if n == 0 || n > MaxDeviceLen {
		return h, layout{}, fmt.Errorf("%w: device id length %d, want 1 to %d", ErrFormat, n, MaxDeviceLen)
	}
	end := fixedHeaderSize + n
	if flags&flagTime != 0 {
		end += timeSize
	}
	var l layout
	l.header = end
	l.enc = end + h.Suite.encSize()
	l.sig = len(b) - SignatureSize
	if l.sig-l.enc < tagSize {
		return h, layout{}, fmt.Errorf("%w: %d bytes, too short for a %s envelope", ErrFormat, len(b), h.Suite)
	}
	dev := b[fixedHeaderSize : fixedHeaderSize+n]
	if !validDevice(dev) {
		return h, layout{}, fmt.Errorf("%w: device id %q: want letters, digits, \"-\", \"_\", \".\"", ErrFormat, dev)
	}
	h.Device = string(dev)
	if flags&flagTime != 0 {
		ms := int64(binary.BigEndian.Uint64(b[fixedHeaderSize+n:]))
		h.Created = time.UnixMilli(ms).UTC()
	}
	return h, l, nil
}

// appendHeader appends the header of a message to b.
func appendHeader(b []byte, s Suite, kind Kind, epoch uint32, seq uint64, device string, created time.Time) []byte {
	var flags byte
	if !created.IsZero() {
		flags |= flagTime
	}
	b = append(b, Version, flags, byte(kind))
	b = binary.BigEndian.AppendUint16(b, s.KEMID())
	b = binary.BigEndian.AppendUint16(b, KDFHKDFSHA256)
	b = binary.BigEndian.AppendUint16(b, AEADAES256GCM)
	b = binary.BigEndian.AppendUint32(b, epoch)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, byte(len(device)))
	b = append(b, device...)
	if !created.IsZero() {
		b = binary.BigEndian.AppendUint64(b, uint64(created.UnixMilli()))
	}
	return b
}

// headerSize is the length of a header.
func headerSize(device string, created bool) int {
	n := fixedHeaderSize + len(device)
	if created {
		n += timeSize
	}
	return n
}

// Overhead returns how many bytes an envelope of suite s from device adds to
// its payload, with or without a creation time; 0 for an unknown suite.
func Overhead(s Suite, device string, created bool) int {
	if s.encSize() == 0 {
		return 0
	}
	return headerSize(device, created) + s.encSize() + tagSize + SignatureSize
}

// validDevice reports whether id is a device id: 1 to MaxDeviceLen letters,
// digits, '-', '_' or '.', as the configuration's device name.
func validDevice[T string | []byte](id T) bool {
	if len(id) == 0 || len(id) > MaxDeviceLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
