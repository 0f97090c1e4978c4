package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Errors callers may branch on. Errors returned by the Spool wrap them.
var (
	// ErrClosed: the Spool is closed or closing.
	ErrClosed = errors.New("spool: closed")
	// ErrFull: the size cap refused a droppable record because protected
	// records alone fill it.
	ErrFull = errors.New("spool: full")
	// ErrTooLarge: the built record exceeds Options.MaxRecordBytes.
	ErrTooLarge = errors.New("spool: record too large")
	// ErrAckAhead: an Ack names a sequence beyond Stats.Last.
	ErrAckAhead = errors.New("spool: ack beyond the last sequence")
	// ErrBroken: a segment write or sync failed; the Spool refuses every
	// later Append. Close it and Open it again to recover.
	ErrBroken = errors.New("spool: broken by a write error")
	// ErrLocked: another Spool (in this or another process) has the
	// directory open.
	ErrLocked = errors.New("spool: directory in use")
)

// Defaults for zero Options fields.
const (
	DefaultCommitCount    = 256
	DefaultCommitInterval = 10 * time.Millisecond
	DefaultSegmentBytes   = 8 << 20
	DefaultMaxRecordBytes = 1 << 20
)

// Options configure a Spool. The zero value is usable: no size cap and the
// defaults above.
type Options struct {
	// Logger receives recovery, corruption and size-cap reports. Nil
	// discards them.
	Logger *slog.Logger
	// MaxBytes caps the bytes of segment files on disk; 0 means no cap.
	// See the package doc for what is dropped or refused to keep it.
	MaxBytes int64
	// SegmentBytes is the size at which a new segment file is started
	// (default DefaultSegmentBytes, or MaxBytes/16 when that is smaller, but
	// at least 64 KiB); at most 1 GiB. The cap drops records a segment at a
	// time.
	SegmentBytes int64
	// MaxRecordBytes bounds one record's payload (default
	// DefaultMaxRecordBytes, at most 64 MiB).
	MaxRecordBytes int
	// CommitCount flushes a group commit once this many records are ready
	// (default DefaultCommitCount).
	CommitCount int
	// CommitInterval flushes a group commit at the latest this long after
	// its first record was ready (default DefaultCommitInterval).
	CommitInterval time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBytes < 0 {
		return o, fmt.Errorf("spool: option MaxBytes %d: must not be negative", o.MaxBytes)
	}
	switch {
	case o.SegmentBytes < 0 || o.SegmentBytes > 1<<30:
		return o, fmt.Errorf("spool: option SegmentBytes %d: must be between 0 and 1 GiB", o.SegmentBytes)
	case o.SegmentBytes == 0:
		o.SegmentBytes = DefaultSegmentBytes
		if o.MaxBytes > 0 {
			o.SegmentBytes = min(o.SegmentBytes, max(o.MaxBytes/16, 64<<10))
		}
	}
	switch {
	case o.MaxRecordBytes < 0 || o.MaxRecordBytes > maxPayload:
		return o, fmt.Errorf("spool: option MaxRecordBytes %d: must be between 0 and %d", o.MaxRecordBytes, maxPayload)
	case o.MaxRecordBytes == 0:
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	switch {
	case o.CommitCount < 0:
		return o, fmt.Errorf("spool: option CommitCount %d: must not be negative", o.CommitCount)
	case o.CommitCount == 0:
		o.CommitCount = DefaultCommitCount
	}
	switch {
	case o.CommitInterval < 0:
		return o, fmt.Errorf("spool: option CommitInterval %v: must not be negative", o.CommitInterval)
	case o.CommitInterval == 0:
		o.CommitInterval = DefaultCommitInterval
	}
	return o, nil
}

// segment is one segment file.
type segment struct {
	base uint64 // from its name: every record in it has seq >= base
	size int64  // bytes in the file
	last uint64 // highest record sequence in it, 0 if none
}

type slotState uint8

const (
	building slotState = iota // build running
	ready                     // payload built, waiting for a commit
	void                      // build failed or record refused: the sequence stays empty
)

// slot is one numbered Append on its way to disk.
type slot struct {
	seq     uint64
	kind    Kind
	state   slotState
	payload []byte
	readyAt time.Time
	err     error      // the Append's result once committed
	done    chan error // receives err; buffered
}

// counters are the Stats kept since Open.
type counters struct {
	appended     uint64
	commits      uint64
	dropped      [numKinds]uint64
	refused      [numKinds]uint64
	failed       uint64
	corruptBytes int64
	cutBytes     int64
}

// Spool is a durable, append-only store of records for HQ. Its methods are
// safe for concurrent use.
type Spool struct {
	dir  string
	opt  Options
	log  *slog.Logger
	lock *os.File

	kick    chan struct{} // wakes the committer; buffered 1
	stopped chan struct{} // closed when the committer returns
	buf     []byte        // committer's encode buffer

	// Lock order: ioMu, filesMu, metaMu, mu.
	ioMu    sync.Mutex   // changes to segment files: batch writes, compaction, trimming, close
	filesMu sync.RWMutex // Pending reads share it; removing or rewriting a segment takes it
	metaMu  sync.Mutex   // cursor file writes
	// metaAcked and metaNext are what the cursor file holds (guarded by metaMu).
	metaAcked, metaNext uint64

	mu         sync.Mutex
	next       uint64  // sequence for the next Append
	slots      []*slot // numbered, not yet committed, in sequence order
	building   int     // slots whose build is running
	resolved   uint64  // every sequence <= resolved is durable or void
	lastRecord uint64  // highest durable record
	last       uint64  // max(lastRecord, metaNext-1): HQ may acknowledge up to here
	cursor     uint64  // acknowledged by HQ
	segs       []*segment
	active     *os.File // segs[len-1]'s file while it takes appends, else nil
	diskBytes  int64
	idx        [numKinds]queue // unacknowledged records per kind
	pendBytes  int64           // framed bytes of idx
	protBytes  int64           // framed bytes of idx's protected kinds
	holes      []Range         // sequences > cursor that will never be stored
	changed    chan struct{}   // closed and replaced on every change
	closing    bool
	closed     bool
	broken     error
	stats      counters
}

// Open opens the spool in dir, creating the directory if needed, recovers
// its segments (cutting a torn tail, skipping corrupt regions; see the
// package doc) and starts the group committer. The directory must not be
// shared: a second Open fails with ErrLocked until the first is closed.
func Open(dir string, opts Options) (*Spool, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: open %s: %w", dir, err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	s := &Spool{
		dir:     dir,
		opt:     o,
		log:     o.Logger,
		lock:    lock,
		kick:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		changed: make(chan struct{}),
	}
	if err := s.recover(); err != nil {
		if s.active != nil {
			s.active.Close()
		}
		lock.Close()
		return nil, err
	}
	go s.run()
	return s, nil
}

// Append numbers a record of the given kind, calls build with its sequence
// to get the payload (the encrypted message, which binds the sequence), and
// returns the sequence once the record is durable: written and fdatasync'ed
// in a group commit. Sequences increase in the order Appends are called;
// builds run concurrently, outside any lock, and records are written in
// sequence order.
//
// On error the record is not stored (0 is returned). If the failure came
// after the sequence was given to build (build error or panic, a payload over
// MaxRecordBytes, a cap refusal at commit time) that sequence stays empty and
// is reported by Dropped. If build panics, the panic propagates after the
// sequence is released. Append blocks until the commit, normally well under
// CommitInterval plus one fdatasync.
func (s *Spool) Append(kind Kind, build func(seq uint64) ([]byte, error)) (uint64, error) {
	if !kind.Valid() {
		return 0, fmt.Errorf("spool: append: invalid kind %d", kind)
	}
	s.mu.Lock()
	switch {
	case s.closing:
		s.mu.Unlock()
		return 0, ErrClosed
	case s.broken != nil:
		err := s.broken
		s.mu.Unlock()
		return 0, err
	case s.opt.MaxBytes > 0 && !kind.Protected() && s.protBytes >= s.opt.MaxBytes:
		s.stats.refused[kind-1]++
		s.mu.Unlock()
		return 0, fmt.Errorf("spool: append %s: alerts and audit records fill the %d-byte cap: %w", kind, s.opt.MaxBytes, ErrFull)
	}
	sl := &slot{seq: s.next, kind: kind, done: make(chan error, 1)}
	s.next++
	s.slots = append(s.slots, sl)
	s.building++
	s.mu.Unlock()

	built := false
	defer func() {
		if !built { // build panicked
			s.finish(sl, nil, errors.New("build panicked"))
		}
	}()
	payload, err := build(sl.seq)
	built = true
	switch {
	case err != nil:
		err = fmt.Errorf("spool: build %s record %d: %w", kind, sl.seq, err)
	case len(payload) > s.opt.MaxRecordBytes:
		err = fmt.Errorf("spool: %s record %d of %d bytes (max %d): %w", kind, sl.seq, len(payload), s.opt.MaxRecordBytes, ErrTooLarge)
	}
	s.finish(sl, payload, err)
	if err != nil {
		return 0, err
	}
	if err := <-sl.done; err != nil {
		return 0, err
	}
	return sl.seq, nil
}

// finish ends a slot's build: ready with payload, or void when err != nil.
func (s *Spool) finish(sl *slot, payload []byte, err error) {
	s.mu.Lock()
	s.building--
	if err != nil {
		sl.state = void
		s.stats.failed++
	} else {
		sl.state = ready
		sl.payload = payload
		sl.readyAt = time.Now()
	}
	s.mu.Unlock()
	s.wake()
}

func (s *Spool) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// run is the group committer. It flushes the ready prefix of the slots when
// CommitCount records are ready, when as many are ready as the previous
// flush carried (a steady set of concurrent appenders is batched without
// waiting and a lone appender does not wait at all), when CommitInterval has
// passed since the first was ready, or when closing. What a capped batch
// left behind goes in the next one without waiting.
func (s *Spool) run() {
	defer close(s.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	target := 1
	hurry := false // the previous batch was capped: flush the rest at once
	for {
		s.mu.Lock()
		n, nready, first, capped := s.prefixLocked()
		if n == 0 {
			if s.closing && len(s.slots) == 0 {
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			<-s.kick
			continue
		}
		deadline := first.Add(s.opt.CommitInterval)
		flush := nready == 0 || capped || hurry || nready >= s.opt.CommitCount || nready >= target ||
			s.closing || !time.Now().Before(deadline)
		if !flush {
			s.mu.Unlock()
			timer.Reset(time.Until(deadline))
			select {
			case <-s.kick:
			case <-timer.C:
			}
			timer.Stop()
			continue
		}
		batch := make([]*slot, n)
		copy(batch, s.slots)
		clear(s.slots[:n])
		s.slots = s.slots[n:]
		s.mu.Unlock()
		s.commit(batch)
		if nready > 0 && !capped && !hurry {
			target = nready
		}
		hurry = capped
	}
}

// prefixLocked measures the committable prefix of the slots: n slots (ready
// or void), nready of them ready, at most CommitCount ready and about
// SegmentBytes of payload; first is when its first ready slot became ready;
// capped says that a limit cut it short of further ready slots.
func (s *Spool) prefixLocked() (n, nready int, first time.Time, capped bool) {
	var bytes int64
	for _, sl := range s.slots {
		if sl.state == building {
			break
		}
		if sl.state == ready {
			sz := int64(recHeaderSize + len(sl.payload))
			if nready > 0 && (nready >= s.opt.CommitCount || bytes+sz > s.opt.SegmentBytes) {
				capped = true
				break
			}
			if nready == 0 {
				first = sl.readyAt
			}
			nready++
			bytes += sz
		}
		n++
	}
	return n, nready, first, capped
}

// commit makes a batch durable (or refuses or fails its records) and
// answers every slot's Append.
func (s *Spool) commit(batch []*slot) {
	s.ioMu.Lock()
	recs := make([]*slot, 0, len(batch))
	for _, sl := range batch {
		if sl.state == ready {
			recs = append(recs, sl)
		}
	}
	s.mu.Lock()
	broken := s.broken
	s.mu.Unlock()
	var werr error
	switch {
	case broken != nil:
		werr = broken
	default:
		recs = s.admit(recs)
		if len(recs) > 0 {
			werr = s.write(recs)
		}
	}
	s.mu.Lock()
	if werr != nil {
		if s.broken == nil {
			s.broken = werr
			s.log.Error("spool: write failed; refusing appends until reopened", "err", werr)
		}
		for _, sl := range recs {
			sl.err = s.broken
		}
	} else {
		var voids []uint64
		for _, sl := range batch {
			if sl.state == void {
				voids = append(voids, sl.seq)
			}
		}
		s.holes = addRanges(s.holes, seqRanges(voids)...)
		s.resolved = batch[len(batch)-1].seq
		s.notifyLocked()
	}
	s.mu.Unlock()
	s.ioMu.Unlock()
	for _, sl := range batch {
		sl.payload = nil
		sl.done <- sl.err
	}
}

// admit applies the size cap to a batch: it compacts old segments to make
// room and refuses the droppable records that still do not fit. Caller
// holds ioMu.
func (s *Spool) admit(recs []*slot) []*slot {
	if s.opt.MaxBytes == 0 || len(recs) == 0 {
		return recs
	}
	var need int64
	for _, sl := range recs {
		need += int64(recHeaderSize + len(sl.payload))
	}
	for {
		s.mu.Lock()
		over := s.diskBytes+need+s.headerNeededLocked(need) > s.opt.MaxBytes
		s.mu.Unlock()
		if !over || !s.compactOldest() {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	used := s.diskBytes + s.headerNeededLocked(need)
	kept := recs[:0]
	for _, sl := range recs {
		sz := int64(recHeaderSize + len(sl.payload))
		if !sl.kind.Protected() && used+sz > s.opt.MaxBytes {
			sl.state = void
			sl.err = fmt.Errorf("spool: append %s record %d: %d-byte cap reached and only alerts and audit records are left to drop: %w",
				sl.kind, sl.seq, s.opt.MaxBytes, ErrFull)
			s.stats.refused[sl.kind-1]++
			continue
		}
		used += sz
		kept = append(kept, sl)
	}
	return kept
}

// headerNeededLocked returns the segment header bytes a write of need bytes
// adds: a new segment's header when it cannot go into the active segment.
func (s *Spool) headerNeededLocked(need int64) int64 {
	if s.rollLocked(need) {
		return segHeaderSize
	}
	return 0
}

// rollLocked reports whether a write of need bytes starts a new segment.
func (s *Spool) rollLocked(need int64) bool {
	if s.active == nil {
		return true
	}
	seg := s.segs[len(s.segs)-1]
	return seg.size > segHeaderSize && seg.size+need > s.opt.SegmentBytes
}

// write appends ready records to the active segment (or a new one) and
// fdatasyncs them, then indexes them. Caller holds ioMu.
func (s *Spool) write(recs []*slot) error {
	var need int64
	for _, sl := range recs {
		need += int64(recHeaderSize + len(sl.payload))
	}
	s.mu.Lock()
	roll := s.rollLocked(need)
	f := s.active
	var seg *segment
	var off int64
	if roll {
		seg = &segment{base: recs[0].seq}
	} else {
		seg = s.segs[len(s.segs)-1]
		off = seg.size
	}
	s.mu.Unlock()

	buf := s.buf[:0]
	if roll {
		buf = appendSegHeader(buf, seg.base)
	}
	offs := make([]uint32, len(recs))
	for i, sl := range recs {
		offs[i] = uint32(off + int64(len(buf)))
		buf = appendRecord(buf, sl.seq, sl.kind, sl.payload)
	}
	s.buf = buf
	if cap(s.buf) > 4*int(s.opt.SegmentBytes) {
		s.buf = nil
	}

	path := filepath.Join(s.dir, segName(seg.base))
	if roll {
		nf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("spool: create segment: %w: %w", ErrBroken, err)
		}
		f = nf
	}
	if _, err := f.WriteAt(buf, off); err != nil {
		if roll {
			f.Close()
		}
		return fmt.Errorf("spool: write segment %s: %w: %w", segName(seg.base), ErrBroken, err)
	}
	if err := fdatasync(f); err != nil {
		if roll {
			f.Close()
		}
		return fmt.Errorf("spool: sync segment %s: %w: %w", segName(seg.base), ErrBroken, err)
	}
	if roll {
		if err := syncDir(s.dir); err != nil {
			f.Close()
			return fmt.Errorf("spool: sync directory for %s: %w: %w", segName(seg.base), ErrBroken, err)
		}
	}

	s.mu.Lock()
	var old *os.File
	if roll {
		old = s.active
		s.segs = append(s.segs, seg)
		s.active = f
	}
	seg.size = off + int64(len(buf))
	seg.last = recs[len(recs)-1].seq
	s.diskBytes += int64(len(buf))
	for i, sl := range recs {
		e := entry{seq: sl.seq, off: offs[i], size: uint32(len(sl.payload))}
		s.idx[sl.kind-1] = append(s.idx[sl.kind-1], e)
		s.pendBytes += e.framed()
		if sl.kind.Protected() {
			s.protBytes += e.framed()
		}
	}
	s.lastRecord = seg.last
	s.last = max(s.last, seg.last)
	s.stats.appended += uint64(len(recs))
	s.stats.commits++
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// segIndexLocked returns the index in segs of the segment holding seq, or -1.
func (s *Spool) segIndexLocked(seq uint64) int {
	return sort.Search(len(s.segs), func(i int) bool { return s.segs[i].base > seq }) - 1
}

// notifyLocked wakes every Notify and Wait caller.
func (s *Spool) notifyLocked() {
	if s.closed {
		return
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Close waits for the Appends in progress (including their builds) to be
// committed, stops the committer and closes the files. Appends, Acks and
// Pending calls after Close fail with ErrClosed. Close returns the error
// that broke the Spool, if any; a second Close returns ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closing = true
	s.mu.Unlock()
	s.wake()
	<-s.stopped

	s.ioMu.Lock()
	s.filesMu.Lock()
	s.metaMu.Lock() // no cursor write may follow: the directory is unlocked below
	s.mu.Lock()
	var err error
	if s.active != nil {
		err = s.active.Close()
		s.active = nil
	}
	s.closed = true
	close(s.changed)
	if s.broken != nil {
		err = s.broken
	}
	s.mu.Unlock()
	s.metaMu.Unlock()
	s.filesMu.Unlock()
	s.ioMu.Unlock()
	if lerr := s.lock.Close(); err == nil && lerr != nil {
		err = fmt.Errorf("spool: close: %w", lerr)
	}
	return err
}

// syncDir fsyncs a directory, making created, renamed and removed entries
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFileAtomic replaces dir/name with data: temp file, fsync, rename,
// fsync of the directory.
func writeFileAtomic(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+tmpSuffix)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// persistMeta writes the cursor file with acked (or the cursor already
// written, if higher) and the next sequence after every resolved one. It
// writes nothing when neither would change.
func (s *Spool) persistMeta(acked uint64) error {
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	s.mu.Lock()
	closed := s.closed
	next := max(s.resolved+1, s.metaNext)
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	acked = max(acked, s.metaAcked)
	if acked == s.metaAcked && next == s.metaNext {
		return nil
	}
	if err := writeFileAtomic(s.dir, cursorName, encodeCursor(acked, next)); err != nil {
		return fmt.Errorf("spool: write cursor (acked %d, next %d): %w", acked, next, err)
	}
	s.metaAcked, s.metaNext = acked, next
	s.mu.Lock()
	s.last = max(s.last, next-1)
	s.mu.Unlock()
	return nil
}
