package spool

import (
	"slices"
	"sort"
)

// entry locates one unacknowledged record: its segment is the last one whose
// base is <= seq.
type entry struct {
	seq  uint64
	off  uint32 // of the record header in the segment file
	size uint32 // of the payload
}

func (e entry) framed() int64 { return int64(recHeaderSize) + int64(e.size) }

// queue holds one kind's entries in sequence order.
type queue []entry

// search returns the index of the first entry with seq >= s.
func (q queue) search(s uint64) int {
	return sort.Search(len(q), func(i int) bool { return q[i].seq >= s })
}

// cut removes q[i:j] and returns the queue, releasing a mostly unused array.
func (q queue) cut(i, j int) queue {
	if i >= j {
		return q
	}
	if i == 0 {
		q = q[j:]
	} else {
		q = slices.Delete(q, i, j)
	}
	if cap(q) > 1024 && len(q) < cap(q)/4 {
		q = slices.Clone(q)
	}
	return q
}

// Range is an inclusive range of sequence numbers.
type Range struct{ First, Last uint64 }

// addRanges merges add into rs (both sorted) and coalesces touching ranges.
func addRanges(rs []Range, add ...Range) []Range {
	if len(add) == 0 {
		return rs
	}
	all := append(slices.Clone(rs), add...)
	slices.SortFunc(all, func(a, b Range) int {
		switch {
		case a.First < b.First:
			return -1
		case a.First > b.First:
			return 1
		}
		return 0
	})
	out := all[:0]
	for _, r := range all {
		if n := len(out); n > 0 && r.First <= out[n-1].Last+1 {
			out[n-1].Last = max(out[n-1].Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// trimRanges removes everything <= cursor from rs.
func trimRanges(rs []Range, cursor uint64) []Range {
	i := 0
	for i < len(rs) && rs[i].Last <= cursor {
		i++
	}
	rs = rs[i:]
	if len(rs) > 0 && rs[0].First <= cursor {
		rs = slices.Clone(rs)
		rs[0].First = cursor + 1
	}
	return rs
}

// seqRanges turns sorted sequences into ranges.
func seqRanges(seqs []uint64) []Range {
	var rs []Range
	for _, s := range seqs {
		if n := len(rs); n > 0 && rs[n-1].Last+1 == s {
			rs[n-1].Last = s
			continue
		}
		rs = append(rs, Range{s, s})
	}
	return rs
}
