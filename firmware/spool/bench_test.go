package spool

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeBytes returns this process's write_bytes from /proc/self/io: the
// bytes it caused to be sent to storage (page-granular, counted when a page
// is dirtied), or -1 where that is not available.
func writeBytes() int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// BenchmarkAppendGroupCommit appends 1 KiB reads from 64 goroutines with the
// default options. It reports reads/s and, from /proc/self/io, the bytes
// written to disk per read and the overhead beyond the framed record.
func BenchmarkAppendGroupCommit(b *testing.B) {
	const size = 1024
	sp := mustOpen(b, b.TempDir(), Options{})
	payload := make([]byte, size)
	build := func(uint64) ([]byte, error) { return payload, nil }
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	w0 := writeBytes()
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := sp.Append(Read, build); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	elapsed := time.Since(start)
	w1 := writeBytes()
	st := sp.Stats()
	mustClose(b, sp)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reads/s")
	b.ReportMetric(float64(st.Appended)/float64(max(st.Commits, 1)), "reads/commit")
	if w0 >= 0 && w1 >= 0 {
		perRead := float64(w1-w0) / float64(b.N)
		b.ReportMetric(perRead, "disk-B/read")
		b.ReportMetric(perRead-(recHeaderSize+size), "overhead-B/read")
	}
}

// BenchmarkAppendSingle appends 1 KiB reads from one goroutine: the latency
// of one commit (one write and one fdatasync).
func BenchmarkAppendSingle(b *testing.B) {
	sp := mustOpen(b, b.TempDir(), Options{})
	payload := make([]byte, 1024)
	build := func(uint64) ([]byte, error) { return payload, nil }
	for b.Loop() {
		if _, err := sp.Append(Read, build); err != nil {
			b.Fatal(err)
		}
	}
	mustClose(b, sp)
}

// BenchmarkRecover opens a spool of 20,000 records of 1 KiB (20 MiB in 3
// segments) and closes it again.
func BenchmarkRecover(b *testing.B) {
	const n, size = 20000, 1024
	dir := b.TempDir()
	sp := mustOpen(b, dir, Options{})
	payload := make([]byte, size)
	build := func(uint64) ([]byte, error) { return payload, nil }
	done := make(chan struct{})
	for w := 0; w < 64; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < n/64; i++ {
				sp.Append(Read, build)
			}
		}()
	}
	for w := 0; w < 64; w++ {
		<-done
	}
	recs := sp.Stats().Pending
	mustClose(b, sp)
	start := time.Now()
	for b.Loop() {
		sp := mustOpen(b, dir, Options{})
		if got := sp.Stats().Pending; got != recs {
			b.Fatalf("recovered %d records, want %d", got, recs)
		}
		mustClose(b, sp)
	}
	b.ReportMetric(float64(b.N*recs)/time.Since(start).Seconds(), "records/s")
}
