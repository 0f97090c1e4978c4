package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// recover rebuilds the Spool's state from dir (see the package doc,
// Recovery). It runs before the committer starts.
func (s *Spool) recover() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("spool: open %s: %w", s.dir, err)
	}
	var bases []uint64
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, tmpSuffix) {
			// An interrupted cursor write or compaction: the original is intact.
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
				s.log.Warn("spool: cannot remove temporary file", "file", name, "err", err)
			}
			continue
		}
		if base, ok := parseSegName(name); ok && e.Type().IsRegular() {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)

	var acked, metaNext uint64 = 0, 1
	badCursor := false
	switch b, err := os.ReadFile(filepath.Join(s.dir, cursorName)); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("spool: open: read cursor: %w", err)
	default:
		a, n, derr := decodeCursor(b)
		if derr != nil {
			// Cannot happen with atomic writes unless the medium is failing.
			// Keep every record: HQ sees some again and de-duplicates them.
			s.log.Error("spool: cursor file is corrupt; treating every record as unacknowledged",
				"file", cursorName, "bytes", len(b))
			badCursor = true
		} else {
			acked, metaNext = a, n
		}
	}
	if !badCursor {
		s.metaAcked, s.metaNext = acked, metaNext
	}

	next := max(metaNext, acked+1)
	var prev uint64 // highest record sequence seen, acknowledged or not
	pendPrev := acked
	var kept []*segment
	var remove []string
	activeOK := false
	for i, base := range bases {
		name := segName(base)
		path := filepath.Join(s.dir, name)
		isLast := i == len(bases)-1
		limit := uint64(math.MaxUint64)
		if !isLast {
			limit = bases[i+1]
		}
		data, err := os.ReadFile(path)
		if err != nil {
			s.log.Error("spool: cannot read segment; its records are lost", "segment", name, "err", err)
			continue
		}
		sc := scanSegment(data, base, prev, limit)
		seg := &segment{base: base, size: int64(len(data))}
		for _, r := range sc.recs {
			if r.seq > acked {
				if r.seq > pendPrev+1 {
					s.holes = append(s.holes, Range{pendPrev + 1, r.seq - 1})
				}
				pendPrev = r.seq
				e := entry{seq: r.seq, off: uint32(r.off), size: uint32(r.size)}
				s.idx[r.kind-1] = append(s.idx[r.kind-1], e)
				s.pendBytes += e.framed()
				if r.kind.Protected() {
					s.protBytes += e.framed()
				}
			}
			seg.last = r.seq
			prev = r.seq
		}
		if sc.headerBad && !(isLast && len(sc.recs) == 0) {
			s.log.Error("spool: segment header is corrupt", "segment", name)
		}
		for _, b := range sc.bad {
			s.log.Error("spool: corrupt region skipped; the records in it are lost",
				"segment", name, "offset", b.off, "bytes", b.n)
			s.stats.corruptBytes += int64(b.n)
		}
		clean := !sc.headerBad
		switch {
		case sc.tail > 0 && isLast:
			// A write torn by a crash (or a damaged last record): cut it.
			s.log.Warn("spool: cut torn tail", "segment", name, "offset", sc.end,
				"bytes", sc.tail, "records_kept", len(sc.recs))
			s.stats.cutBytes += int64(sc.tail)
			if sc.tailSeq > 0 {
				// The damaged record may have been durable and sent: never
				// give its sequence to another record.
				next = max(next, sc.tailSeq+1)
			}
			if len(sc.recs) > 0 {
				if err := truncateFile(path, int64(sc.end)); err != nil {
					return fmt.Errorf("spool: open: cut torn tail of %s: %w", name, err)
				}
				seg.size = int64(sc.end)
			}
		case sc.tail > 0:
			s.log.Error("spool: corrupt tail in an older segment; the records in it are lost",
				"segment", name, "offset", sc.end, "bytes", sc.tail)
			s.stats.corruptBytes += int64(sc.tail)
			clean = false
		}
		if seg.last <= acked {
			// Everything in it is acknowledged (or it holds nothing valid).
			remove = append(remove, name)
			continue
		}
		kept = append(kept, seg)
		activeOK = isLast && clean
	}
	next = max(next, prev+1)
	if next-1 > pendPrev {
		s.holes = append(s.holes, Range{pendPrev + 1, next - 1})
	}
	s.next = next
	s.resolved = next - 1
	s.lastRecord = prev
	s.last = next - 1
	s.cursor = acked
	s.segs = kept
	for _, g := range kept {
		s.diskBytes += g.size
	}

	if badCursor || s.metaNext != next || s.metaAcked != acked {
		if err := writeFileAtomic(s.dir, cursorName, encodeCursor(acked, next)); err != nil {
			return fmt.Errorf("spool: open: write cursor: %w", err)
		}
		s.metaAcked, s.metaNext = acked, next
	}
	for _, name := range remove {
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
			s.log.Warn("spool: cannot remove segment", "segment", name, "err", err)
		}
	}
	if len(kept) > 0 && activeOK {
		f, err := os.OpenFile(filepath.Join(s.dir, segName(kept[len(kept)-1].base)), os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("spool: open: %w", err)
		}
		s.active = f
	}
	if len(bases) > 0 {
		s.log.Info("spool: recovered", "segments", len(kept), "pending", s.pendingLocked(),
			"acked", acked, "next", next, "dropped_ranges", len(s.holes))
	}
	return nil
}

// truncateFile cuts path to size and fsyncs it.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
