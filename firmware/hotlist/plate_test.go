package hotlist

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"7ABC123", "7ABC123", ""},
		{"7abc-123", "7ABC123", ""},
		{" 7 AB.C-12 3 ", "7ABC123", ""},
		{"A", "A", ""},
		{"ABCDE12345", "ABCDE12345", ""},
		{"7AB-C!", "", `hotlist: plate "7AB-C!": character '!' not allowed`},
		{"ÄBC", "", `hotlist: plate "ÄBC": character 'Ä' not allowed`},
		{"ABCDE123456", "", `hotlist: plate "ABCDE123456": 11 characters, at most 10`},
		{"- .", "", `hotlist: plate "- .": no letters or digits`},
		{"", "", `hotlist: plate "": no letters or digits`},
	} {
		got, err := Normalize(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Normalize(%q): got error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// classOf maps a plate to its confusion classes, the slow way.
func classOf(s string) string {
	b := []byte(s)
	for i := range b {
		for _, set := range confusions {
			if strings.IndexByte(set, b[i]) >= 0 {
				b[i] = set[0]
			}
		}
	}
	return string(b)
}

// levenshtein is the textbook edit distance.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func randPlate(r *rand.Rand, alphabet string, minLen, maxLen int) string {
	b := make([]byte, minLen+r.IntN(maxLen-minLen+1))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func TestPackedFunctions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a := randPlate(r, "0O1IAB8XY", 1, MaxPlate)
		b := randPlate(r, "0O1IAB8XY", 1, MaxPlate)
		if r.IntN(2) == 0 { // near misses are the interesting ones
			bb := []byte(a)
			i := r.IntN(len(bb))
			switch r.IntN(3) {
			case 0:
				bb[i] = "0O1IAB8XY"[r.IntN(9)]
			case 1:
				bb = append(bb[:i], bb[i+1:]...)
			case 2:
				if len(bb) < MaxPlate {
					bb = append(bb[:i], append([]byte{'X'}, bb[i:]...)...)
				}
			}
			if len(bb) > 0 {
				b = string(bb)
			}
		}
		pa, ok1 := packPlate(a)
		pb, ok2 := packPlate(b)
		if !ok1 || !ok2 {
			t.Fatalf("pack %q %q failed", a, b)
		}
		if got := unpack(pa); got != a {
			t.Fatalf("unpack(pack(%q)): got %q", a, got)
		}
		if got, want := unpack(classKey(pa)), classOf(a); got != want {
			t.Fatalf("classKey(%q): got %q, want %q", a, got, want)
		}
		if got, want := unpack(reverse(pa)), reversed(a); got != want {
			t.Fatalf("reverse(%q): got %q, want %q", a, got, want)
		}
		if got, want := withinOneEdit(pa, pb), levenshtein(a, b) <= 1; got != want {
			t.Fatalf("withinOneEdit(%q, %q): got %v, want %v", a, b, got, want)
		}
		if (pa < pb) != (plen(pa) < plen(pb) || plen(pa) == plen(pb) && a < b) {
			t.Fatalf("order of %q and %q: packed keys disagree with (length, text)", a, b)
		}
		if h := r.IntN(len(b) + 1); h <= len(a) {
			lo, hi := prefixRange(pa, len(b), h)
			in := pb >= lo && pb < hi
			if want := a[:h] == b[:h]; in != want {
				t.Fatalf("prefixRange(%q, %d, %d) holds %q: got %v, want %v", a, len(b), h, b, in, want)
			}
		}
	}
}

func reversed(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
