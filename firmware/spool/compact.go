package spool

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// compactOldest frees the oldest segment that holds anything but
// unacknowledged protected records: its droppable records (Read, Event,
// Health) are dropped and counted, its acknowledged records discarded, and
// the segment rewritten atomically with only its protected records, or
// removed when none are left. It reports whether it freed anything. Caller
// holds ioMu.
func (s *Spool) compactOldest() bool {
	s.filesMu.Lock()
	defer s.filesMu.Unlock()

	s.mu.Lock()
	var seg *segment
	var end uint64
	var keep []located
	for i, g := range s.segs {
		end = math.MaxUint64
		if i+1 < len(s.segs) {
			end = s.segs[i+1].base
		}
		keep = keep[:0]
		var kb int64
		for _, k := range []Kind{Alert, Audit} {
			q := s.idx[k-1]
			for _, e := range q[q.search(g.base):q.search(end)] {
				keep = append(keep, located{e, k})
				kb += e.framed()
			}
		}
		if g.size-segHeaderSize-kb > 0 {
			seg = g
			break
		}
	}
	if seg == nil {
		s.mu.Unlock()
		return false
	}
	isActive := s.active != nil && seg == s.segs[len(s.segs)-1]
	s.mu.Unlock()
	slices.SortFunc(keep, func(a, b located) int {
		if a.seq < b.seq {
			return -1
		}
		return 1
	})

	// The segment may hold the highest sequence ever stored: persist the
	// next sequence before it goes, so that it is never reused.
	if err := s.persistMeta(0); err != nil {
		s.log.Error("spool: size cap: cannot compact", "err", err)
		return false
	}

	name := segName(seg.base)
	path := filepath.Join(s.dir, name)
	newOff := make(map[uint64]uint32, len(keep))
	var corrupt []uint64
	var newSize int64
	if len(keep) > 0 {
		buf, lost, err := copyRecords(path, seg.base, keep, newOff)
		if err == nil {
			err = writeFileAtomic(s.dir, name, buf)
		}
		if err != nil {
			s.log.Error("spool: size cap: cannot compact segment", "segment", name, "err", err)
			return false
		}
		corrupt = lost
		newSize = int64(len(buf))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if isActive {
		s.active.Close()
		s.active = nil
	}
	if len(keep) == 0 {
		if err := os.Remove(path); err != nil {
			s.log.Error("spool: size cap: cannot remove segment", "segment", name, "err", err)
			return false // s.active stays nil: the next write starts a new segment
		}
	} else if isActive {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			s.log.Error("spool: size cap: cannot reopen segment; starting a new one", "segment", name, "err", err)
		} else {
			s.active = f
		}
	}

	var dropped []uint64
	var byKind [numKinds]int
	for _, k := range []Kind{Read, Event, Health} {
		q := s.idx[k-1]
		i, j := q.search(seg.base), q.search(end)
		for _, e := range q[i:j] {
			dropped = append(dropped, e.seq)
			s.pendBytes -= e.framed()
		}
		byKind[k-1] = j - i
		s.stats.dropped[k-1] += uint64(j - i)
		s.idx[k-1] = q.cut(i, j)
	}
	for _, k := range []Kind{Alert, Audit} {
		q := s.idx[k-1]
		i, j := q.search(seg.base), q.search(end)
		var gone []int
		for x := i; x < j; x++ {
			if off, ok := newOff[q[x].seq]; ok {
				q[x].off = off
				continue
			}
			gone = append(gone, x) // unreadable while copying
		}
		for n := len(gone) - 1; n >= 0; n-- {
			e := q[gone[n]]
			s.pendBytes -= e.framed()
			s.protBytes -= e.framed()
			s.stats.corruptBytes += e.framed()
			q = q.cut(gone[n], gone[n]+1)
		}
		s.idx[k-1] = q
	}
	dropped = append(dropped, corrupt...)
	slices.Sort(dropped)
	s.holes = addRanges(s.holes, seqRanges(dropped)...)

	s.diskBytes += newSize - seg.size
	if len(keep) == 0 {
		i := slices.Index(s.segs, seg)
		s.segs = slices.Delete(s.segs, i, i+1)
	} else {
		seg.size = newSize
		seg.last = keep[len(keep)-1].seq
	}
	s.notifyLocked()
	s.log.Warn("spool: size cap reached: dropped the oldest droppable records",
		"segment", name, "read", byKind[Read-1], "event", byKind[Event-1], "health", byKind[Health-1],
		"kept_protected", len(keep)-len(corrupt), "disk_bytes", s.diskBytes, "max_bytes", s.opt.MaxBytes)
	return true
}

// located is an index entry with its kind.
type located struct {
	entry
	kind Kind
}

// copyRecords reads recs (in sequence order) from the segment file at path
// and returns a new segment image holding them, their offsets in it (in
// offs) and the sequences that failed verification.
func copyRecords(path string, base uint64, recs []located, offs map[uint64]uint32) ([]byte, []uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	buf := appendSegHeader(nil, base)
	var lost []uint64
	for _, r := range recs {
		seq, kind, e := r.seq, r.kind, r.entry
		start := len(buf)
		buf = append(buf, make([]byte, recHeaderSize+int(e.size))...)
		if _, err := f.ReadAt(buf[start:], int64(e.off)); err != nil {
			return nil, nil, fmt.Errorf("spool: read record %d: %w", seq, err)
		}
		if r, ok := parseRecord(buf[start:], 0, seq-1, seq+1); !ok || r.kind != kind {
			buf = buf[:start]
			lost = append(lost, seq)
			continue
		}
		offs[seq] = uint32(start)
	}
	return buf, lost, nil
}
