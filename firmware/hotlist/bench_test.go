package hotlist

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"alprd/ocr"
)

const benchN = 1_000_000

var bench struct {
	once   sync.Once
	file   []byte
	plates []string
	s      signer
	store  *Store
}

func benchSetup(b *testing.B) {
	bench.once.Do(func() {
		bench.s = newSigner(b)
		body, plates := bigBody(benchN, 1)
		bench.plates = plates
		f, err := Sign(Header{Kind: KindSnapshot, Version: 1, Created: created}, body, bench.s.priv)
		if err != nil {
			b.Fatal(err)
		}
		bench.file = f
		st, err := Open(nullFiles{}, bench.s.ring, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Apply(f); err != nil {
			b.Fatal(err)
		}
		bench.store = st
	})
}

// BenchmarkLoad applies a signed 1,000,000-entry snapshot to an empty store
// (signature verification included) and reports the heap per entry.
func BenchmarkLoad(b *testing.B) {
	benchSetup(b)
	b.SetBytes(int64(len(bench.file)))
	var st *Store
	for b.Loop() {
		var err error
		if st, err = Open(nullFiles{}, bench.s.ring, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Apply(bench.file); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st = nil
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	st, _ = Open(nullFiles{}, bench.s.ring, nil)
	if _, err := st.Apply(bench.file); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/benchN, "B/entry")
	b.ReportMetric(float64(st.Status().Entries), "entries")
	runtime.KeepAlive(st)
}

// BenchmarkLookup is an exact lookup of a listed plate in 1,000,000 entries.
func BenchmarkLookup(b *testing.B) {
	benchSetup(b)
	g := newPlateGen(5)
	hit := make([]string, 1024)
	for i := range hit {
		hit[i] = strings.Clone(bench.plates[g.r.IntN(len(bench.plates))])
	}
	i := 0
	for b.Loop() {
		if hs := bench.store.Lookup(hit[i%len(hit)], "", created); len(hs) == 0 {
			b.Fatal("no hit")
		}
		i++
	}
}

// BenchmarkLookupMiss is an exact lookup of an unlisted plate.
func BenchmarkLookupMiss(b *testing.B) {
	benchSetup(b)
	g := newPlateGen(99)
	miss := make([]string, 1024)
	for i := range miss {
		miss[i] = g.next() + "X"
	}
	i := 0
	for b.Loop() {
		bench.store.Lookup(miss[i%len(miss)], "CA", created)
		i++
	}
}

// readOf makes 10 OCR-like candidates of plate: the plate with confusable
// characters swapped, characters dropped, inserted and changed.
func readOf(g *plateGen, plate string) []ocr.Candidate {
	swap := map[byte]byte{'0': 'O', 'O': '0', 'D': '0', '1': 'I', 'I': '1', '2': 'Z', 'Z': '2', '5': 'S', 'S': '5', '8': 'B', 'B': '8', '6': 'G', 'G': '6'}
	c := []ocr.Candidate{{Text: plate, Confidence: 90}}
	for len(c) < 10 {
		b := []byte(plate)
		i := g.r.IntN(len(b))
		switch g.r.IntN(4) {
		case 0:
			if s, ok := swap[b[i]]; ok {
				b[i] = s
			} else {
				b[i] = byte('A' + g.r.IntN(26))
			}
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i], append([]byte{byte('0' + g.r.IntN(10))}, b[i:]...)...)
		case 3:
			b[i] = byte('A' + g.r.IntN(26))
		}
		c = append(c, ocr.Candidate{Text: string(b), Confidence: 80 - float64(len(c))*5})
	}
	return c
}

// BenchmarkMatch is a tolerant match of a read's 10 candidates against
// 1,000,000 entries, for a listed plate and an unlisted one in turn.
func BenchmarkMatch(b *testing.B) {
	benchSetup(b)
	g := newPlateGen(7)
	reads := make([][]ocr.Candidate, 1024)
	for i := range reads {
		p := bench.plates[g.r.IntN(len(bench.plates))]
		if i%2 == 1 {
			p = g.next()
		}
		reads[i] = readOf(g, p)
	}
	now := created.Add(time.Hour)
	i := 0
	hits := 0
	for b.Loop() {
		hits += len(bench.store.Match(reads[i%len(reads)], "CA", now))
		i++
	}
	b.ReportMetric(float64(hits)/float64(i), "hits/op")
}
