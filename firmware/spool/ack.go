package spool

import (
	"fmt"
	"os"
	"path/filepath"
)

// Ack records that HQ holds every sequence up to and including seq (its
// highest contiguous acknowledgement, which passes the Dropped ranges). The
// cursor is written atomically before Ack returns; segments whose records
// are all acknowledged are then deleted. An Ack at or below the cursor is
// ignored; one beyond Stats().Last fails with ErrAckAhead.
func (s *Spool) Ack(seq uint64) error {
	s.mu.Lock()
	switch {
	case s.closing:
		s.mu.Unlock()
		return ErrClosed
	case seq <= s.cursor:
		s.mu.Unlock()
		return nil
	case seq > s.last:
		last := s.last
		s.mu.Unlock()
		return fmt.Errorf("spool: ack %d (last is %d): %w", seq, last, ErrAckAhead)
	}
	s.mu.Unlock()

	if err := s.persistMeta(seq); err != nil {
		return err
	}

	s.mu.Lock()
	if seq > s.cursor {
		s.cursor = seq
		for k := range s.idx {
			q := s.idx[k]
			j := q.search(seq + 1)
			for _, e := range q[:j] {
				s.pendBytes -= e.framed()
				if Kind(k + 1).Protected() {
					s.protBytes -= e.framed()
				}
			}
			s.idx[k] = q.cut(0, j)
		}
		s.holes = trimRanges(s.holes, seq)
	}
	s.mu.Unlock()
	s.trim()
	return nil
}

// trim deletes the oldest segments whose records are all acknowledged.
func (s *Spool) trim() {
	s.ioMu.Lock()
	defer s.ioMu.Unlock()
	s.filesMu.Lock()
	defer s.filesMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	n := 0
	for n < len(s.segs) && s.segs[n].last <= s.cursor {
		n++
	}
	var names []string
	for _, g := range s.segs[:n] {
		names = append(names, segName(g.base))
		s.diskBytes -= g.size
	}
	if n > 0 && n == len(s.segs) && s.active != nil {
		s.active.Close()
		s.active = nil
	}
	s.segs = append([]*segment(nil), s.segs[n:]...)
	s.mu.Unlock()
	for _, name := range names {
		// Not fsync'ing the directory: a segment that reappears after a
		// crash holds only acknowledged records and is deleted on Open.
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
			s.log.Warn("spool: cannot remove acknowledged segment", "segment", name, "err", err)
		}
	}
}
