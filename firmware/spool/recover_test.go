package spool

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// copyDir copies a closed spool directory (without its LOCK file).
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == lockName {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// logTo returns a logger writing text into buf.
func logTo(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fixture is a closed spool with known records.
type fixture struct {
	dir   string
	opt   Options
	kinds map[uint64]Kind
	sizes map[uint64]int
	offs  map[uint64]int64 // record header offset in its segment
	seg   map[uint64]string
}

// newFixture appends records of the given sizes (kinds cycling Read, Alert,
// Read, Audit) one by one and closes the spool.
func newFixture(t testing.TB, opt Options, sizes ...int) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), opt: opt, kinds: map[uint64]Kind{}, sizes: map[uint64]int{},
		offs: map[uint64]int64{}, seg: map[uint64]string{}}
	sp := mustOpen(t, f.dir, opt)
	cycle := []Kind{Read, Alert, Read, Audit}
	for i, size := range sizes {
		seq := mustAppend(t, sp, cycle[i%len(cycle)], size)
		f.kinds[seq], f.sizes[seq] = cycle[i%len(cycle)], size
		sp.mu.Lock()
		g := sp.segs[len(sp.segs)-1]
		f.seg[seq] = filepath.Join(f.dir, segName(g.base))
		f.offs[seq] = g.size - int64(recHeaderSize+size)
		sp.mu.Unlock()
	}
	mustClose(t, sp)
	return f
}

// clone copies the fixture's directory and returns the copy's path.
func (f *fixture) clone(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, f.dir, dir)
	return dir
}

// in returns the path of record seq's segment inside dir.
func (f *fixture) in(dir string, seq uint64) string {
	return filepath.Join(dir, filepath.Base(f.seg[seq]))
}

// check opens dir and compares its records and next sequence.
func (f *fixture) check(t *testing.T, dir string, wantSeqs []uint64, wantNext uint64, logs *bytes.Buffer) *Spool {
	t.Helper()
	opt := f.opt
	opt.Logger = logTo(logs)
	sp := mustOpen(t, dir, opt)
	t.Cleanup(func() { sp.Close() })
	recs := pendingAll(t, sp)
	if got := seqsOf(recs); !slices.Equal(got, wantSeqs) {
		t.Fatalf("got records %v, want %v", got, wantSeqs)
	}
	for _, r := range recs {
		if r.Kind != f.kinds[r.Seq] {
			t.Errorf("record %d: got kind %v, want %v", r.Seq, r.Kind, f.kinds[r.Seq])
		}
	}
	checkPayloads(t, recs, f.sizes)
	if got := sp.Stats().Next; got != wantNext {
		t.Errorf("got Next %d, want %d", got, wantNext)
	}
	return sp
}

func TestTornTail(t *testing.T) {
	tests := []struct {
		name  string
		opt   Options
		sizes []int
	}{
		// The last record shares its segment with the others.
		{"last record", Options{}, []int{50, 30, 40}},
		// The last record is the first of a new segment (cut through the
		// segment header too).
		{"new segment", Options{SegmentBytes: 150}, []int{50, 30, 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opt, tt.sizes...)
			last := uint64(len(tt.sizes))
			start := f.offs[last]
			if f.seg[last] != f.seg[last-1] {
				start = 0 // the cut runs through the new segment's header
			}
			end := f.offs[last] + int64(recHeaderSize+f.sizes[last])
			kept := make([]uint64, last-1)
			for i := range kept {
				kept[i] = uint64(i + 1)
			}
			for o := start; o < end; o++ {
				dir := f.clone(t)
				path := f.in(dir, last)
				if err := os.Truncate(path, o); err != nil {
					t.Fatal(err)
				}
				// The torn record's sequence is skipped once its header is
				// whole: it might have been durable and sent.
				wantNext := last
				if o-f.offs[last] >= recHeaderSize {
					wantNext = last + 1
				}
				var logs bytes.Buffer
				sp := f.check(t, dir, kept, wantNext, &logs)
				st := sp.Stats()
				cut := max(0, o-f.offs[last])
				if o < f.offs[last] {
					cut = o // part of a segment header
				}
				if st.CutBytes != cut {
					t.Errorf("cut at %d: got CutBytes %d, want %d", o, st.CutBytes, cut)
				}
				if cut > 0 && !strings.Contains(logs.String(), "cut torn tail") {
					t.Errorf("cut at %d: the cut was not logged: %s", o, logs.String())
				}
				var wantDropped []Range
				if wantNext > last {
					wantDropped = []Range{{last, last}}
				}
				if got := sp.Dropped(); !slices.Equal(got, wantDropped) {
					t.Errorf("cut at %d: Dropped() = %v, want %v", o, got, wantDropped)
				}
				// The spool goes on: a new record gets the next sequence
				// and survives another reopen.
				if got := mustAppend(t, sp, Alert, 7); got != wantNext {
					t.Errorf("cut at %d: new record got sequence %d, want %d", o, got, wantNext)
				}
				f.kinds[wantNext], f.sizes[wantNext] = Alert, 7
				mustClose(t, sp)
				f.check(t, dir, append(slices.Clone(kept), wantNext), wantNext+1, &logs)
				delete(f.kinds, wantNext)
				delete(f.sizes, wantNext)
				if t.Failed() {
					t.Fatalf("cut at offset %d (record %d spans %d..%d)", o, last, f.offs[last], end)
				}
			}
		})
	}
}

func TestFlippedByteInTail(t *testing.T) {
	f := newFixture(t, Options{}, 50, 30, 40)
	const last = 3
	start := f.offs[last]
	end := start + int64(recHeaderSize+f.sizes[last])
	for o := start; o < end; o++ {
		dir := f.clone(t)
		path := f.in(dir, last)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[o] ^= 0xff
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		opt := f.opt
		opt.Logger = logTo(&logs)
		sp := mustOpen(t, dir, opt)
		recs := pendingAll(t, sp)
		if got := seqsOf(recs); !slices.Equal(got, []uint64{1, 2}) {
			t.Errorf("flip at %d: got records %v, want [1 2]", o, got)
		}
		checkPayloads(t, recs, f.sizes)
		st := sp.Stats()
		inSeq := o-start >= 8 && o-start < 16
		switch {
		case !inSeq && st.Next != last+1:
			t.Errorf("flip at %d: got Next %d, want %d", o, st.Next, last+1)
		case inSeq && st.Next < last:
			t.Errorf("flip at %d (sequence field): got Next %d, want at least %d", o, st.Next, last)
		}
		var wantDropped []Range
		if st.Next > last {
			wantDropped = []Range{{last, st.Next - 1}}
		}
		if got := sp.Dropped(); !slices.Equal(got, wantDropped) {
			t.Errorf("flip at %d: Dropped() = %v, want %v", o, got, wantDropped)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() != start {
			t.Errorf("flip at %d: segment not cut to %d bytes: %v %v", o, start, fi.Size(), err)
		}
		mustClose(t, sp)
	}
}

func TestCorruption(t *testing.T) {
	// Records 1-12 of 1000 bytes in 4096-byte segments: 1-4, 5-8, 9-12.
	sizes := slices.Repeat([]int{1000}, 12)
	f := newFixture(t, Options{SegmentBytes: 4096}, sizes...)
	all := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	without := func(drop ...uint64) []uint64 {
		return slices.DeleteFunc(slices.Clone(all), func(s uint64) bool { return slices.Contains(drop, s) })
	}
	tests := []struct {
		name        string
		damage      func(t *testing.T, dir string)
		want        []uint64
		wantNext    uint64
		wantDropped []Range
		wantLog     string
		wantCorrupt bool
	}{
		{
			name:        "record in the middle of the last segment",
			damage:      flip(f, 10, 100),
			want:        without(10),
			wantNext:    13,
			wantDropped: []Range{{10, 10}},
			wantLog:     "corrupt region skipped",
			wantCorrupt: true,
		},
		{
			name:        "record in the middle of an older segment",
			damage:      flip(f, 2, 20),
			want:        without(2),
			wantNext:    13,
			wantDropped: []Range{{2, 2}},
			wantLog:     "corrupt region skipped",
			wantCorrupt: true,
		},
		{
			name:        "two records in an older segment",
			damage:      func(t *testing.T, dir string) { flip(f, 6, 0)(t, dir); flip(f, 7, 500)(t, dir) },
			want:        without(6, 7),
			wantNext:    13,
			wantDropped: []Range{{6, 7}},
			wantLog:     "corrupt region skipped",
			wantCorrupt: true,
		},
		{
			name:        "last record of an older segment",
			damage:      flip(f, 4, 600),
			want:        without(4),
			wantNext:    13,
			wantDropped: []Range{{4, 4}},
			wantLog:     "corrupt tail in an older segment",
			wantCorrupt: true,
		},
		{
			name:     "older segment header",
			damage:   flipAt(f, 5, func(int64) int64 { return 0 }),
			want:     all,
			wantNext: 13,
			wantLog:  "segment header is corrupt",
		},
		{
			name:     "zeros after the last record",
			damage:   appendBytes(f, 12, make([]byte, 8192)),
			want:     all,
			wantNext: 13,
			wantLog:  "cut torn tail",
		},
		{
			name:     "garbage after the last record",
			damage:   appendBytes(f, 12, payloadFor(99, 5000)),
			want:     all,
			wantNext: 13,
			wantLog:  "cut torn tail",
		},
		{
			name: "unreadable cursor",
			damage: func(t *testing.T, dir string) {
				os.WriteFile(filepath.Join(dir, cursorName), []byte("garbage"), 0o600)
			},
			want:     all,
			wantNext: 13,
			wantLog:  "cursor file is corrupt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := f.clone(t)
			tt.damage(t, dir)
			var logs bytes.Buffer
			sp := f.check(t, dir, tt.want, tt.wantNext, &logs)
			if got := sp.Dropped(); !slices.Equal(got, tt.wantDropped) {
				t.Errorf("Dropped() = %v, want %v", got, tt.wantDropped)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
			if got := sp.Stats().CorruptBytes > 0; got != tt.wantCorrupt {
				t.Errorf("CorruptBytes %d, want corrupt %v", sp.Stats().CorruptBytes, tt.wantCorrupt)
			}
			// A second Open finds the same state (and the same gaps).
			sp.Close()
			sp = f.check(t, dir, tt.want, tt.wantNext, &logs)
			if got := sp.Dropped(); !slices.Equal(got, tt.wantDropped) {
				t.Errorf("after a second Open: Dropped() = %v, want %v", got, tt.wantDropped)
			}
		})
	}
}

// flip returns a damage function that inverts the byte at off inside
// record seq.
func flip(f *fixture, seq uint64, off int64) func(*testing.T, string) {
	return flipAt(f, seq, func(recOff int64) int64 { return recOff + off })
}

func flipAt(f *fixture, seq uint64, at func(recOff int64) int64) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		path := f.in(dir, seq)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[at(f.offs[seq])] ^= 0xff
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func appendBytes(f *fixture, seq uint64, data []byte) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		fh, err := os.OpenFile(f.in(dir, seq), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		if _, err := fh.Write(data); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCorruptionFoundByPending(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	sp := mustOpen(t, dir, Options{Logger: logTo(&logs)})
	defer mustClose(t, sp)
	for i := 0; i < 3; i++ {
		mustAppend(t, sp, Read, 100)
	}
	// Damage record 2 behind the open spool's back.
	path := filepath.Join(dir, segName(1))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[segHeaderSize+recHeaderSize+100+recHeaderSize+5] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(pendingAll(t, sp)); !slices.Equal(got, []uint64{1, 3}) {
		t.Errorf("got records %v, want [1 3]", got)
	}
	if got, want := sp.Dropped(), []Range{{2, 2}}; !slices.Equal(got, want) {
		t.Errorf("Dropped() = %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "no longer verifies") {
		t.Errorf("the loss was not logged:\n%s", logs.String())
	}
}
