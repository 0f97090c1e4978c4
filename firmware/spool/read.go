package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// Record is one stored record as Pending returns it.
type Record struct {
	Seq     uint64
	Kind    Kind
	Payload []byte // the bytes build returned; the caller owns them
}

// Pending returns up to n unacknowledged records whose sequence is above
// after and whose kind is one of kinds (every kind when none is given), in
// sequence order. Only durable records are returned, and a record returned
// once stays available (to a later call with a lower after) until it is
// acknowledged or dropped by the size cap.
//
// A sender keeps one cursor per lane: Pending(alertsSent, n, Alert) before
// Pending(bulkSent, n, Read, Audit, Event, Health) sends every pending alert
// ahead of the read backlog. A record that no longer verifies on disk is
// logged, skipped and reported by Dropped.
func (s *Spool) Pending(after uint64, n int, kinds ...Kind) ([]Record, error) {
	var sel [numKinds]bool
	for _, k := range kinds {
		if !k.Valid() {
			return nil, fmt.Errorf("spool: pending: invalid kind %d", k)
		}
		sel[k-1] = true
	}
	if len(kinds) == 0 {
		sel = [numKinds]bool{true, true, true, true, true}
	}
	if n <= 0 {
		return nil, nil
	}

	s.filesMu.RLock()
	defer s.filesMu.RUnlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	after = max(after, s.cursor)
	if after == math.MaxUint64 {
		s.mu.Unlock()
		return nil, nil
	}
	var heads [numKinds]int
	for k := range s.idx {
		heads[k] = s.idx[k].search(after + 1)
	}
	var locs []located
	var bases []uint64
	for len(locs) < n {
		best := -1
		for k := range s.idx {
			if sel[k] && heads[k] < len(s.idx[k]) &&
				(best < 0 || s.idx[k][heads[k]].seq < s.idx[best][heads[best]].seq) {
				best = k
			}
		}
		if best < 0 {
			break
		}
		e := s.idx[best][heads[best]]
		heads[best]++
		var base uint64 // 0 names no segment: the record is reported lost
		if i := s.segIndexLocked(e.seq); i >= 0 {
			base = s.segs[i].base
		}
		locs = append(locs, located{e, Kind(best + 1)})
		bases = append(bases, base)
	}
	s.mu.Unlock()

	files := map[uint64]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	out := make([]Record, 0, len(locs))
	var lost []located
	for i, l := range locs {
		if bases[i] == 0 {
			lost = append(lost, l)
			continue
		}
		f := files[bases[i]]
		if f == nil {
			var err error
			f, err = os.Open(filepath.Join(s.dir, segName(bases[i])))
			if errors.Is(err, fs.ErrNotExist) {
				lost = append(lost, l)
				continue
			}
			if err != nil {
				return out, fmt.Errorf("spool: pending: %w", err)
			}
			files[bases[i]] = f
		}
		buf := make([]byte, recHeaderSize+int(l.size))
		got, err := f.ReadAt(buf, int64(l.off))
		if got < len(buf) && err != nil && !errors.Is(err, io.EOF) {
			return out, fmt.Errorf("spool: pending: read record %d: %w", l.seq, err)
		}
		if r, ok := parseRecord(buf[:got], 0, l.seq-1, l.seq+1); !ok || r.kind != l.kind || got < len(buf) {
			lost = append(lost, l)
			continue
		}
		out = append(out, Record{Seq: l.seq, Kind: l.kind, Payload: buf[recHeaderSize:]})
	}
	if len(lost) > 0 {
		s.markLost(lost)
	}
	return out, nil
}

// markLost removes records that no longer verify on disk from the index and
// reports their sequences as dropped.
func (s *Spool) markLost(lost []located) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var seqs []uint64
	for _, l := range lost {
		q := s.idx[l.kind-1]
		i := q.search(l.seq)
		if i == len(q) || q[i].seq != l.seq {
			continue // acknowledged meanwhile
		}
		s.pendBytes -= l.framed()
		if l.kind.Protected() {
			s.protBytes -= l.framed()
		}
		s.stats.corruptBytes += l.framed()
		s.idx[l.kind-1] = q.cut(i, i+1)
		seqs = append(seqs, l.seq)
		s.log.Error("spool: record no longer verifies on disk; it is lost",
			"seq", l.seq, "kind", l.kind, "offset", l.off)
	}
	slices.Sort(seqs)
	s.holes = addRanges(s.holes, seqRanges(seqs)...)
	s.notifyLocked()
}

// Notify returns a channel that is closed at the next change: records
// committed, dropped or lost, or the Spool closed. Take it before calling
// Pending, then wait on it when Pending had nothing to send.
func (s *Spool) Notify() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Wait blocks until an unacknowledged record with a sequence above after is
// stored, ctx is done (returning its error) or the Spool is closing
// (ErrClosed).
func (s *Spool) Wait(ctx context.Context, after uint64) error {
	for {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return ErrClosed
		}
		for _, q := range s.idx {
			if len(q) > 0 && q[len(q)-1].seq > after {
				s.mu.Unlock()
				return nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Dropped returns the sequences above the ack cursor and up to Stats().Last
// that will never be stored, in order: dropped by the size cap, refused or
// failed after numbering, or lost to corruption. The sender tells HQ about
// them so that HQ's contiguous acknowledgement can pass them; they leave the
// list once acknowledged. The list survives a restart (rebuilt from the gaps
// between the stored sequences).
func (s *Spool) Dropped() []Range {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Range
	for _, r := range s.holes {
		if r.First > s.last {
			break
		}
		r.Last = min(r.Last, s.last)
		out = append(out, r)
	}
	return out
}

// Stats is a snapshot of a Spool. Counters marked "since Open" restart at
// zero on every Open.
type Stats struct {
	Next         uint64 // sequence the next Append gets
	Last         uint64 // highest sequence HQ may acknowledge: everything up to it is stored or in Dropped
	Acked        uint64 // the ack cursor
	Appended     uint64 // records made durable since Open
	Commits      uint64 // group commits (write + fdatasync) since Open
	Pending      int    // unacknowledged records stored
	PendingBytes int64  // their framed size
	// PendingByKind, Dropped and Refused are indexed by Kind (index 0 unused).
	PendingByKind [numKinds + 1]int
	Dropped       [numKinds + 1]uint64 // records dropped by the size cap since Open
	Refused       [numKinds + 1]uint64 // appends refused by the size cap since Open
	Failed        uint64               // numbered appends whose build failed since Open
	CorruptBytes  int64                // bytes found corrupt and lost since Open
	CutBytes      int64                // torn-tail bytes cut by Open
	Segments      int                  // segment files
	DiskBytes     int64                // bytes in segment files
}

// Stats returns a snapshot of the Spool's state and counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Next:         s.next,
		Last:         s.last,
		Acked:        s.cursor,
		Appended:     s.stats.appended,
		Commits:      s.stats.commits,
		Pending:      s.pendingLocked(),
		PendingBytes: s.pendBytes,
		Failed:       s.stats.failed,
		CorruptBytes: s.stats.corruptBytes,
		CutBytes:     s.stats.cutBytes,
		Segments:     len(s.segs),
		DiskBytes:    s.diskBytes,
	}
	for k := range s.idx {
		st.PendingByKind[k+1] = len(s.idx[k])
		st.Dropped[k+1] = s.stats.dropped[k]
		st.Refused[k+1] = s.stats.refused[k]
	}
	return st
}

func (s *Spool) pendingLocked() int {
	n := 0
	for _, q := range s.idx {
		n += len(q)
	}
	return n
}
