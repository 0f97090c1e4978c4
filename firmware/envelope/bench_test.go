package envelope

import (
	"fmt"
	"testing"
)

// The benchmarks report overhead-B: the envelope's bytes beyond the payload
// (device "unit-0001", with a creation time).

func BenchmarkSeal(b *testing.B) {
	for _, s := range Suites() {
		for _, size := range []int{1 << 10, 16 << 10} {
			b.Run(fmt.Sprintf("%s/%dKB", s, size>>10), func(b *testing.B) {
				r := newRig(b, s)
				payload := make([]byte, size)
				var env []byte
				b.SetBytes(int64(size))
				for b.Loop() {
					env = r.seal(b, 0, KindRead, 1, payload)
				}
				b.ReportMetric(float64(len(env)-size), "overhead-B")
			})
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, s := range Suites() {
		for _, size := range []int{1 << 10, 16 << 10} {
			b.Run(fmt.Sprintf("%s/%dKB", s, size>>10), func(b *testing.B) {
				r := newRig(b, s)
				env := r.seal(b, 0, KindRead, 1, make([]byte, size))
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, _, err := r.opener.Open(env); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(env)-size), "overhead-B")
			})
		}
	}
}

func BenchmarkParseHeader(b *testing.B) {
	r := newRig(b, SuiteP256)
	env := r.seal(b, 0, KindRead, 1, make([]byte, 1<<10))
	for b.Loop() {
		if _, err := ParseHeader(env); err != nil {
			b.Fatal(err)
		}
	}
}
