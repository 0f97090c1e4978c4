package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// payloadFor is a deterministic payload for seq: size bytes that start with
// the sequence, so that a record in the wrong place is noticed.
func payloadFor(seq uint64, size int) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seq, uint64(size)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if size >= 8 {
		binary.LittleEndian.PutUint64(b, seq)
	}
	return b
}

func mustOpen(t testing.TB, dir string, o Options) *Spool {
	t.Helper()
	sp, err := Open(dir, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return sp
}

func mustClose(t testing.TB, sp *Spool) {
	t.Helper()
	if err := sp.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func mustAppend(t testing.TB, sp *Spool, kind Kind, size int) uint64 {
	t.Helper()
	seq, err := sp.Append(kind, func(seq uint64) ([]byte, error) { return payloadFor(seq, size), nil })
	if err != nil {
		t.Fatalf("Append(%s, %d bytes): %v", kind, size, err)
	}
	return seq
}

// pendingAll returns every pending record.
func pendingAll(t testing.TB, sp *Spool, kinds ...Kind) []Record {
	t.Helper()
	recs, err := sp.Pending(0, 1<<30, kinds...)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return recs
}

func seqsOf(recs []Record) []uint64 {
	var s []uint64
	for _, r := range recs {
		s = append(s, r.Seq)
	}
	return s
}

// checkPayloads fails unless every record holds payloadFor(seq, size) of the
// size it was appended with.
func checkPayloads(t testing.TB, recs []Record, sizes map[uint64]int) {
	t.Helper()
	for _, r := range recs {
		want := payloadFor(r.Seq, sizes[r.Seq])
		if !bytes.Equal(r.Payload, want) {
			t.Errorf("record %d: payload of %d bytes differs from the appended %d bytes", r.Seq, len(r.Payload), len(want))
		}
	}
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k         Kind
		want      string
		valid     bool
		protected bool
	}{
		{Read, "read", true, false},
		{Alert, "alert", true, true},
		{Audit, "audit", true, true},
		{Event, "event", true, false},
		{Health, "health", true, false},
		{0, "kind(0)", false, false},
		{6, "kind(6)", false, false},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", tt.k, got, tt.want)
		}
		if got := tt.k.Valid(); got != tt.valid {
			t.Errorf("%v.Valid() = %v, want %v", tt.k, got, tt.valid)
		}
		if got := tt.k.Protected(); got != tt.protected {
			t.Errorf("%v.Protected() = %v, want %v", tt.k, got, tt.protected)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"negative MaxBytes", Options{MaxBytes: -1}, false},
		{"negative SegmentBytes", Options{SegmentBytes: -1}, false},
		{"huge SegmentBytes", Options{SegmentBytes: 2 << 30}, false},
		{"huge MaxRecordBytes", Options{MaxRecordBytes: maxPayload + 1}, false},
		{"negative CommitCount", Options{CommitCount: -1}, false},
		{"negative CommitInterval", Options{CommitInterval: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, err := Open(t.TempDir(), tt.o)
			if got := err == nil; got != tt.ok {
				t.Fatalf("Open error = %v, want ok %v", err, tt.ok)
			}
			if sp != nil {
				mustClose(t, sp)
			}
		})
	}
}

func TestAppendReopen(t *testing.T) {
	tests := []struct {
		name  string
		opt   Options
		kinds []Kind
		sizes []int
	}{
		{"one read", Options{}, []Kind{Read}, []int{1000}},
		{"empty payload", Options{}, []Kind{Event, Read}, []int{0, 1}},
		{"every kind", Options{}, []Kind{Read, Alert, Audit, Event, Health, Read}, []int{1, 10, 100, 1000, 3000, 20000}},
		{"many segments", Options{SegmentBytes: 4096}, slices.Repeat([]Kind{Read, Read, Alert}, 20), slices.Repeat([]int{1500}, 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sp := mustOpen(t, dir, tt.opt)
			sizes := map[uint64]int{}
			var want []uint64
			for i, k := range tt.kinds {
				seq := mustAppend(t, sp, k, tt.sizes[i])
				if seq != uint64(i+1) {
					t.Fatalf("append %d: got sequence %d, want %d", i, seq, i+1)
				}
				sizes[seq] = tt.sizes[i]
				want = append(want, seq)
			}
			before := pendingAll(t, sp)
			mustClose(t, sp)

			sp = mustOpen(t, dir, tt.opt)
			defer mustClose(t, sp)
			recs := pendingAll(t, sp)
			if got := seqsOf(recs); !slices.Equal(got, want) {
				t.Fatalf("after reopen: got sequences %v, want %v", got, want)
			}
			if got := seqsOf(before); !slices.Equal(got, want) {
				t.Fatalf("before reopen: got sequences %v, want %v", got, want)
			}
			for i, r := range recs {
				if r.Kind != tt.kinds[i] {
					t.Errorf("record %d: got kind %v, want %v", r.Seq, r.Kind, tt.kinds[i])
				}
			}
			checkPayloads(t, recs, sizes)
			st := sp.Stats()
			if st.Next != uint64(len(tt.kinds)+1) || st.Pending != len(tt.kinds) || st.Last != uint64(len(tt.kinds)) {
				t.Errorf("Stats: got Next %d Pending %d Last %d, want %d %d %d",
					st.Next, st.Pending, st.Last, len(tt.kinds)+1, len(tt.kinds), len(tt.kinds))
			}
			if got := mustAppend(t, sp, Read, 10); got != uint64(len(tt.kinds)+1) {
				t.Errorf("first append after reopen: got sequence %d, want %d", got, len(tt.kinds)+1)
			}
		})
	}
}

func TestSequencesSurviveFullTrim(t *testing.T) {
	tests := []struct {
		name    string
		opt     Options
		n       int
		reopens int
	}{
		{"one segment", Options{}, 5, 1},
		{"many segments", Options{SegmentBytes: 2048}, 30, 1},
		{"trim twice", Options{SegmentBytes: 2048}, 10, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var next uint64 = 1
			for round := 0; round < tt.reopens; round++ {
				sp := mustOpen(t, dir, tt.opt)
				if got := sp.Stats().Next; got != next {
					t.Fatalf("round %d: got Next %d, want %d", round, got, next)
				}
				var last uint64
				for i := 0; i < tt.n; i++ {
					last = mustAppend(t, sp, Read, 1000)
				}
				if want := next + uint64(tt.n) - 1; last != want {
					t.Fatalf("round %d: got last sequence %d, want %d", round, last, want)
				}
				if err := sp.Ack(last); err != nil {
					t.Fatalf("Ack(%d): %v", last, err)
				}
				if st := sp.Stats(); st.Segments != 0 || st.DiskBytes != 0 || st.Pending != 0 {
					t.Errorf("round %d after full ack: got %d segments, %d bytes, %d pending, want 0, 0, 0",
						round, st.Segments, st.DiskBytes, st.Pending)
				}
				if files := segFiles(t, dir); len(files) != 0 {
					t.Errorf("round %d after full ack: segment files %v remain", round, files)
				}
				mustClose(t, sp)
				next = last + 1
			}
			sp := mustOpen(t, dir, tt.opt)
			defer mustClose(t, sp)
			if got := mustAppend(t, sp, Alert, 10); got != next {
				t.Errorf("after full trim and reopen: got sequence %d, want %d", got, next)
			}
			if got := sp.Dropped(); len(got) != 0 {
				t.Errorf("Dropped() = %v, want none", got)
			}
		})
	}
}

func TestAckTrimsSegments(t *testing.T) {
	// 1000-byte payloads in 4096-byte segments: 4 records a segment
	// (16 + 4*1017 = 4084 bytes), so records 1-4, 5-8, ..., 17-20.
	tests := []struct {
		ack      uint64
		wantSegs int // segment files left of 5
	}{
		{0, 5},
		{2, 5},
		{4, 4},
		{7, 4},
		{8, 3},
		{18, 1},
		{20, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.ack), func(t *testing.T) {
			dir := t.TempDir()
			opt := Options{SegmentBytes: 4096}
			sp := mustOpen(t, dir, opt)
			for i := 0; i < 20; i++ {
				mustAppend(t, sp, Read, 1000)
			}
			if got := len(segFiles(t, dir)); got != 5 {
				t.Fatalf("got %d segment files, want 5", got)
			}
			if err := sp.Ack(tt.ack); err != nil {
				t.Fatalf("Ack(%d): %v", tt.ack, err)
			}
			if got := len(segFiles(t, dir)); got != tt.wantSegs {
				t.Errorf("after Ack(%d): got %d segment files, want %d", tt.ack, got, tt.wantSegs)
			}
			if got := sp.Stats().Segments; got != tt.wantSegs {
				t.Errorf("after Ack(%d): Stats().Segments = %d, want %d", tt.ack, got, tt.wantSegs)
			}
			mustClose(t, sp)

			sp = mustOpen(t, dir, opt)
			defer mustClose(t, sp)
			st := sp.Stats()
			if st.Acked != tt.ack {
				t.Errorf("after reopen: Acked = %d, want %d", st.Acked, tt.ack)
			}
			recs := pendingAll(t, sp)
			if len(recs) != 20-int(tt.ack) || (len(recs) > 0 && recs[0].Seq != tt.ack+1) {
				t.Errorf("after reopen: pending %v, want %d..20", seqsOf(recs), tt.ack+1)
			}
			if got := mustAppend(t, sp, Read, 10); got != 21 {
				t.Errorf("after reopen: next sequence %d, want 21", got)
			}
		})
	}
}

func TestAckOrder(t *testing.T) {
	sp := mustOpen(t, t.TempDir(), Options{})
	defer mustClose(t, sp)
	for i := 0; i < 10; i++ {
		mustAppend(t, sp, Read, 100)
	}
	steps := []struct {
		ack       uint64
		wantErr   error
		wantAcked uint64
	}{
		{0, nil, 0},
		{5, nil, 5},
		{3, nil, 5}, // backwards: ignored
		{5, nil, 5}, // again: ignored
		{11, ErrAckAhead, 5},
		{1 << 40, ErrAckAhead, 5},
		{10, nil, 10},
		{9, nil, 10},
	}
	for _, st := range steps {
		err := sp.Ack(st.ack)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
			t.Errorf("Ack(%d): got error %v, want %v", st.ack, err, st.wantErr)
		}
		if got := sp.Stats().Acked; got != st.wantAcked {
			t.Errorf("after Ack(%d): Acked = %d, want %d", st.ack, got, st.wantAcked)
		}
		recs := pendingAll(t, sp)
		if len(recs) != 10-int(st.wantAcked) {
			t.Errorf("after Ack(%d): pending %v, want %d records", st.ack, seqsOf(recs), 10-st.wantAcked)
		}
	}
}

func TestPendingOrder(t *testing.T) {
	sp := mustOpen(t, t.TempDir(), Options{})
	defer mustClose(t, sp)
	kinds := []Kind{Read, Read, Alert, Read, Health, Audit, Read, Alert, Event, Read}
	for _, k := range kinds {
		mustAppend(t, sp, k, 50)
	}
	if err := sp.Ack(1); err != nil {
		t.Fatal(err)
	}
	bulk := []Kind{Read, Audit, Event, Health}
	tests := []struct {
		name  string
		after uint64
		n     int
		kinds []Kind
		want  []uint64
	}{
		{"all", 0, 100, nil, []uint64{2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"after", 5, 100, nil, []uint64{6, 7, 8, 9, 10}},
		{"at most n", 0, 3, nil, []uint64{2, 3, 4}},
		{"zero n", 0, 0, nil, nil},
		{"alerts", 0, 100, []Kind{Alert}, []uint64{3, 8}},
		{"alerts after", 3, 100, []Kind{Alert}, []uint64{8}},
		{"bulk lane", 0, 100, bulk, []uint64{2, 4, 5, 6, 7, 9, 10}},
		{"bulk lane limited", 4, 3, bulk, []uint64{5, 6, 7}},
		{"reads and alerts", 0, 100, []Kind{Alert, Read}, []uint64{2, 3, 4, 7, 8, 10}},
		{"beyond", 10, 100, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := sp.Pending(tt.after, tt.n, tt.kinds...)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqsOf(recs); !slices.Equal(got, tt.want) {
				t.Errorf("Pending(%d, %d, %v): got %v, want %v", tt.after, tt.n, tt.kinds, got, tt.want)
			}
			for _, r := range recs {
				if r.Kind != kinds[r.Seq-1] {
					t.Errorf("record %d: got kind %v, want %v", r.Seq, r.Kind, kinds[r.Seq-1])
				}
			}
		})
	}
	if _, err := sp.Pending(0, 1, Kind(9)); err == nil {
		t.Error("Pending with an invalid kind: got no error")
	}
}

func TestAlertsFirstSender(t *testing.T) {
	// A sender with two lanes sends every alert before the read backlog,
	// including alerts that arrive while it works through the backlog.
	sp := mustOpen(t, t.TempDir(), Options{})
	defer mustClose(t, sp)
	for i := 0; i < 6; i++ {
		mustAppend(t, sp, Read, 20)
	}
	mustAppend(t, sp, Alert, 20) // 7
	var sent []uint64
	var alertCur, bulkCur uint64
	for round := 0; ; round++ {
		if round == 2 {
			mustAppend(t, sp, Alert, 20) // 8, arrives mid-backlog
			mustAppend(t, sp, Read, 20)  // 9
		}
		alerts, err := sp.Pending(alertCur, 10, Alert)
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) > 0 {
			for _, r := range alerts {
				sent = append(sent, r.Seq)
				alertCur = r.Seq
			}
			continue
		}
		bulk, err := sp.Pending(bulkCur, 2, Read, Audit, Event, Health)
		if err != nil {
			t.Fatal(err)
		}
		if len(bulk) == 0 {
			break
		}
		for _, r := range bulk {
			sent = append(sent, r.Seq)
			bulkCur = r.Seq
		}
	}
	want := []uint64{7, 1, 2, 8, 3, 4, 5, 6, 9}
	if !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
}

func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	opt := Options{SegmentBytes: 32 << 10}
	sp := mustOpen(t, dir, opt)
	const workers, each = 16, 100
	var mu sync.Mutex
	got := map[uint64]Kind{}
	sizes := map[uint64]int{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				kind := Kinds[(w+i)%len(Kinds)]
				size := 1 + (w*each+i)%1500
				seq, err := sp.Append(kind, func(seq uint64) ([]byte, error) { return payloadFor(seq, size), nil })
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				if _, dup := got[seq]; dup {
					t.Errorf("sequence %d returned twice", seq)
				}
				got[seq] = kind
				sizes[seq] = size
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if st := sp.Stats(); st.Commits == 0 || st.Commits > st.Appended {
		t.Errorf("Stats: %d commits for %d records", st.Commits, st.Appended)
	}
	mustClose(t, sp)

	sp = mustOpen(t, dir, opt)
	defer mustClose(t, sp)
	recs := pendingAll(t, sp)
	if len(recs) != workers*each {
		t.Fatalf("got %d records, want %d", len(recs), workers*each)
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has sequence %d, want %d", i, r.Seq, i+1)
		}
		if r.Kind != got[r.Seq] {
			t.Errorf("record %d: got kind %v, want %v", r.Seq, r.Kind, got[r.Seq])
		}
	}
	checkPayloads(t, recs, sizes)
}

func TestBuildFailures(t *testing.T) {
	sp := mustOpen(t, t.TempDir(), Options{MaxRecordBytes: 100})
	defer mustClose(t, sp)
	mustAppend(t, sp, Read, 10) // 1
	boom := errors.New("boom")
	if _, err := sp.Append(Read, func(uint64) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("failing build: got error %v, want %v", err, boom)
	}
	if _, err := sp.Append(Alert, func(seq uint64) ([]byte, error) { return payloadFor(seq, 101), nil }); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large record: got error %v, want %v", err, ErrTooLarge)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panicking build: the panic did not propagate")
			}
		}()
		sp.Append(Read, func(uint64) ([]byte, error) { panic("build") }) // 4
	}()
	if _, err := sp.Append(Kind(0), nil); err == nil {
		t.Error("invalid kind: got no error")
	}
	if got := mustAppend(t, sp, Read, 10); got != 5 {
		t.Errorf("after failures: got sequence %d, want 5", got)
	}
	if got, want := sp.Dropped(), []Range{{2, 4}}; !slices.Equal(got, want) {
		t.Errorf("Dropped() = %v, want %v", got, want)
	}
	st := sp.Stats()
	if st.Failed != 3 || st.Pending != 2 || st.Last != 5 {
		t.Errorf("Stats: got Failed %d Pending %d Last %d, want 3 2 5", st.Failed, st.Pending, st.Last)
	}
	if err := sp.Ack(3); err != nil {
		t.Fatalf("Ack into the dropped range: %v", err)
	}
	if got, want := sp.Dropped(), []Range{{4, 4}}; !slices.Equal(got, want) {
		t.Errorf("after Ack(3): Dropped() = %v, want %v", got, want)
	}
}

func TestLockedAndClosed(t *testing.T) {
	dir := t.TempDir()
	sp := mustOpen(t, dir, Options{})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Errorf("second Open: got error %v, want %v", err, ErrLocked)
	}
	mustAppend(t, sp, Read, 10)
	mustClose(t, sp)
	calls := []struct {
		name string
		err  error
	}{
		{"Close", sp.Close()},
		{"Append", func() error { _, err := sp.Append(Read, func(uint64) ([]byte, error) { return nil, nil }); return err }()},
		{"Ack", sp.Ack(1)},
		{"Pending", func() error { _, err := sp.Pending(0, 1); return err }()},
		{"Wait", sp.Wait(context.Background(), 5)},
	}
	for _, c := range calls {
		if !errors.Is(c.err, ErrClosed) {
			t.Errorf("%s after Close: got error %v, want %v", c.name, c.err, ErrClosed)
		}
	}
	sp = mustOpen(t, dir, Options{})
	mustClose(t, sp)
}

func TestLeftoverTempFiles(t *testing.T) {
	dir := t.TempDir()
	sp := mustOpen(t, dir, Options{})
	mustAppend(t, sp, Read, 10)
	mustClose(t, sp)
	for _, name := range []string{cursorName + tmpSuffix, segName(1) + tmpSuffix} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half written"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sp = mustOpen(t, dir, Options{})
	defer mustClose(t, sp)
	if m, _ := filepath.Glob(filepath.Join(dir, "*"+tmpSuffix)); len(m) != 0 {
		t.Errorf("temporary files %v left after Open", m)
	}
	if got := seqsOf(pendingAll(t, sp)); !slices.Equal(got, []uint64{1}) {
		t.Errorf("got records %v, want [1]", got)
	}
}

func TestWriteErrorBreaks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	sp := mustOpen(t, dir, Options{SegmentBytes: 4096})
	for i := 0; i < 4; i++ { // fills the first segment
		mustAppend(t, sp, Read, 1000)
	}
	// The next record needs a new segment file, which cannot be created.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	build := func(seq uint64) ([]byte, error) { return payloadFor(seq, 1000), nil }
	for i := 0; i < 2; i++ {
		if _, err := sp.Append(Alert, build); !errors.Is(err, ErrBroken) {
			t.Errorf("append %d after the write error: got %v, want %v", i, err, ErrBroken)
		}
	}
	if got := sp.Stats().Appended; got != 4 {
		t.Errorf("Appended = %d, want 4", got)
	}
	if err := sp.Close(); !errors.Is(err, ErrBroken) {
		t.Errorf("Close: got %v, want %v", err, ErrBroken)
	}
}
