package hotlist

import (
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// MaxPlate is the longest plate, in characters, after normalisation.
const MaxPlate = 10

// A plate is packed into a uint64: its length in the top 4 bits, then 6 bits
// per character, the first character highest (bits 59..54), unused
// positions zero. Characters are coded 1-36 ('0'-'9' then 'A'-'Z'), so
// packed keys sort like the strings within one length, and a prefix of the
// plate is a range of keys.
const (
	lenShift = 60
	charMask = 1<<lenShift - 1
	// lowBits has the lowest bit of each of the 10 character fields.
	lowBits = 0x041041041041041
)

// tables holds the character lookup tables, built once (no init side
// effects).
type tables struct {
	code   [256]uint8 // input byte -> character code; 0: not a plate character
	skip   [256]bool  // separators normalisation drops
	symbol [64]byte   // code -> character
	class  [64]uint8  // code -> code of its confusion class's representative
}

// confusions are the confusion classes (docs/hotlist-format.md): the
// characters OCR takes for one another on plates, the set firmware/track
// votes with plus Q. The first character of each is its representative.
var confusions = []string{"0ODQ", "1I", "2Z", "5S", "6G", "8B"}

var tab = buildTables()

func buildTables() *tables {
	t := new(tables)
	n := uint8(1)
	for _, c := range "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		t.code[c] = n
		if c >= 'A' {
			t.code[c+'a'-'A'] = n
		}
		t.symbol[n] = byte(c)
		t.class[n] = n
		n++
	}
	for _, set := range confusions {
		for i := 1; i < len(set); i++ {
			t.class[t.code[set[i]]] = t.code[set[0]]
		}
	}
	t.skip[' '], t.skip['-'], t.skip['.'] = true, true, true
	return t
}

// plateError says why b is not a plate, without the "hotlist:" prefix.
func plateError(b []byte) error {
	n := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if size == 1 && tab.skip[b[i]] {
			i++
			continue
		}
		if size > 1 || tab.code[b[i]] == 0 {
			return fmt.Errorf("plate %q: character %q not allowed", b, r)
		}
		n++
		i += size
	}
	if n == 0 {
		return fmt.Errorf("plate %q: no letters or digits", b)
	}
	return fmt.Errorf("plate %q: %d characters, at most %d", b, n, MaxPlate)
}

// packPlate normalises b (upper case; spaces, dashes and dots dropped) and
// packs it. ok is false when b is not a plate; plateError says why.
func packPlate[T string | []byte](b T) (p uint64, ok bool) {
	n := 0
	for i := range len(b) {
		c := b[i]
		v := tab.code[c]
		if v == 0 {
			if tab.skip[c] {
				continue
			}
			return 0, false
		}
		if n == MaxPlate {
			return 0, false
		}
		p |= uint64(v) << (54 - 6*n)
		n++
	}
	if n == 0 {
		return 0, false
	}
	return p | uint64(n)<<lenShift, true
}

// Normalize returns plate normalised: upper case, spaces, dashes and dots
// dropped, then 1 to MaxPlate characters A-Z 0-9. The error says which
// character is not allowed, or that the plate is empty or too long.
func Normalize(plate string) (string, error) {
	p, ok := packPlate(plate)
	if !ok {
		return "", fmt.Errorf("hotlist: %w", plateError([]byte(plate)))
	}
	return unpack(p), nil
}

// plen returns the length of a packed plate.
func plen(p uint64) int { return int(p >> lenShift) }

// unpack returns the text of a packed plate.
func unpack(p uint64) string {
	var b [MaxPlate]byte
	n := plen(p)
	for i := range n {
		b[i] = tab.symbol[(p>>(54-6*i))&63]
	}
	return string(b[:n])
}

// classKey maps every character of packed plate p to its confusion class.
func classKey(p uint64) uint64 {
	k := p &^ charMask
	for i := range plen(p) {
		s := 54 - 6*i
		k |= uint64(tab.class[(p>>s)&63]) << s
	}
	return k
}

// reverse returns packed p with its characters in reverse order.
func reverse(p uint64) uint64 {
	n := plen(p)
	r := p &^ charMask
	for i := range n {
		r |= ((p >> (54 - 6*i)) & 63) << (54 - 6*(n-1-i))
	}
	return r
}

// prefixRange returns the keys [lo, hi) of length m whose first h
// characters are those of k.
func prefixRange(k uint64, m, h int) (lo, hi uint64) {
	lo = uint64(m) << lenShift
	if h > 0 {
		lo |= k & (charMask &^ (1<<(lenShift-6*h) - 1))
	}
	return lo, lo + 1<<(lenShift-6*h)
}

// withinOneEdit reports whether packed a and b differ by at most one
// substitution, insertion or deletion.
func withinOneEdit(a, b uint64) bool {
	la, lb := plen(a), plen(b)
	a &= charMask
	b &= charMask
	switch la - lb {
	case 0:
		d := a ^ b
		d |= d>>1 | d>>2 | d>>3 | d>>4 | d>>5
		return bits.OnesCount64(d&lowBits) <= 1
	case 1:
		return dropsOne(a, b)
	case -1:
		return dropsOne(b, a)
	}
	return false
}

// dropsOne reports whether the characters s are those of l with one
// removed (both without length bits, l one character longer).
func dropsOne(l, s uint64) bool {
	d := l ^ s
	if d == 0 {
		return false
	}
	p := (bits.LeadingZeros64(d) - (64 - lenShift)) / 6 // first differing position
	return (l<<(6*(p+1)))&charMask == (s<<(6*p))&charMask
}
