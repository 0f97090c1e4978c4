package synth

import "testing"

func BenchmarkNext720p(b *testing.B) {
	opts := DefaultOptions()
	opts.Seed = 1
	g, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	g.Next() // warm the glyph cache
	b.ReportAllocs()
	for b.Loop() {
		g.Next()
	}
}
