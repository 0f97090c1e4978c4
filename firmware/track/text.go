package track

// nearCost is what substituting one OCR-confusable character for another
// costs in the edit distance; any other edit costs 1.
const nearCost = 0.3

// class maps each OCR-confusable character to one representative of its
// group; every other byte maps to itself.
var class = func() (c [256]byte) {
	for i := range c {
		c[i] = byte(i)
	}
	for _, g := range []string{"0OD", "1I", "8B", "5S", "2Z", "6G"} {
		for i := 1; i < len(g); i++ {
			c[g[i]] = g[0]
		}
	}
	return c
}()

func subCost(a, b byte) float64 {
	switch {
	case a == b:
		return 0
	case class[a] == class[b]:
		return nearCost
	}
	return 1
}

// maxStack is the longest text whose distance is computed without
// allocating.
const maxStack = 32

// dist is the weighted edit distance between a and b: insertions and
// deletions cost 1, substitutions 1 or nearCost.
func dist(a, b string) float64 {
	if a == b {
		return 0
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(b) == 0 {
		return float64(len(a))
	}
	var prevBuf, curBuf [maxStack + 1]float64
	prev, cur := prevBuf[:], curBuf[:]
	if len(b) > maxStack {
		prev, cur = make([]float64, len(b)+1), make([]float64, len(b)+1)
	}
	prev, cur = prev[:len(b)+1], cur[:len(b)+1]
	for j := range prev {
		prev[j] = float64(j)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = float64(i)
		for j := 1; j <= len(b); j++ {
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+subCost(a[i-1], b[j-1]))
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// normDist is dist divided by the longer length: 0 for equal texts, 1 for
// unrelated ones. Two empty texts are equal.
func normDist(a, b string) float64 {
	n := max(len(a), len(b))
	if n == 0 {
		return 0
	}
	return dist(a, b) / float64(n)
}

// align aligns s to ref by the weighted edit distance and returns, for each
// position of ref, the index in s of the character aligned with it (match or
// substitution), or -1 where ref's character has no counterpart in s. It also
// returns the distance.
func align(ref, s string) ([]int, float64) {
	m, n := len(ref), len(s)
	d := make([]float64, (m+1)*(n+1))
	at := func(i, j int) *float64 { return &d[i*(n+1)+j] }
	for i := 0; i <= m; i++ {
		*at(i, 0) = float64(i)
	}
	for j := 0; j <= n; j++ {
		*at(0, j) = float64(j)
	}
	for i := 1; i <= m; i++ {
		for j := 1; j <= n; j++ {
			*at(i, j) = min(*at(i-1, j)+1, *at(i, j-1)+1, *at(i-1, j-1)+subCost(ref[i-1], s[j-1]))
		}
	}
	out := make([]int, m)
	for i, j := m, n; i > 0; {
		switch {
		case j > 0 && *at(i, j) == *at(i-1, j-1)+subCost(ref[i-1], s[j-1]):
			out[i-1] = j - 1
			i, j = i-1, j-1
		case *at(i, j) == *at(i-1, j)+1:
			out[i-1] = -1
			i--
		default:
			j--
		}
	}
	return out, *at(m, n)
}
