//go:build cgo && linux

package tess

import (
	"image"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"alprd/tools/platesynth/synth"
)

// rss returns the resident set size of the process in bytes.
func rss(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

// Reads must not leak: Tesseract's strings, iterators and page results are
// freed (gosseract v2.4.1 leaked the hOCR text, about 4.5 kB per read).
// After a warm-up (Tesseract's scratch buffers settle within a few reads),
// the C heap in use must not grow by more than maxHeap bytes per read, nor
// the resident size by more than maxRSS (a loose bound: RSS moves by
// hundreds of kB with the Go runtime and malloc's free lists; not checked
// under the race detector, whose shadow memory grows). The test
// keeps to one OS thread: each new thread that calls into Tesseract costs
// a one-off ~70 kB (libgomp's and malloc's per-thread state), bounded by
// the process's thread count, which would blur the per-read figure.
func TestReadDoesNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const (
		warm    = 200
		reads   = 2000
		maxHeap = 8    // bytes per read
		maxRSS  = 1024 // bytes per read
	)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := openReader(t, Config{})
	imgs := [...]*image.Gray{
		soften(plate(t, "us-ca", "7ABC123", 160, false, synth.GoBold), 3, 1),
		soften(plate(t, "us-ny", "XYZ4567", 200, true, synth.GoBold), 3, 2),
		soften(plate(t, "us-tx", "TRW3186", 140, false, synth.GoMonoBold), 3, 3),
		synth.Noise(120, 60, 4),
	}
	read := func(n int) {
		for i := range n {
			if _, err := r.Read(imgs[i%len(imgs)]); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		debug.FreeOSMemory()
	}
	read(warm)
	heap0, rss0 := heapInUse(), rss(t)
	read(reads)
	heap1, rss1 := heapInUse(), rss(t)
	perRSS := float64(rss1-rss0) / reads
	t.Logf("RSS %d kB -> %d kB over %d reads: %+.0f B/read", rss0>>10, rss1>>10, reads, perRSS)
	if heap0 >= 0 {
		perHeap := float64(heap1-heap0) / reads
		t.Logf("C heap in use %d kB -> %d kB: %+.1f B/read", heap0>>10, heap1>>10, perHeap)
		if perHeap > maxHeap {
			t.Errorf("C heap grew %.0f B per read, want < %d", perHeap, maxHeap)
		}
	}
	if perRSS > maxRSS && !raceEnabled {
		t.Errorf("RSS grew %.0f B per read, want < %d", perRSS, maxRSS)
	}
}
