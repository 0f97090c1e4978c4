package hotlist

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"alprd/firmware/record"
	"alprd/ocr"
)

// Score factors by how a candidate matched (docs/hotlist-format.md).
const (
	factorExact = 1.0
	factorClass = 0.9 // equal confusion classes
	factorEdit  = 0.7 // one edit on the classes
)

// MinEditLen is the shortest entry plate that tolerates one edit; shorter
// plates match exactly or by confusion classes only.
const MinEditLen = 5

// maxCands is how many candidates of a read Match considers.
const maxCands = 32

// Entry sources, as stored.
const (
	srcHQ uint8 = iota
	srcManual
)

// rec is one entry of a List: 48 bytes, strings in the List's arena.
type rec struct {
	plate                      uint64 // packed
	entered, expires           int64  // Unix ms; 0: unknown, never
	reason, caseNo, agency, by uint32 // arena offsets; 0: empty
	state                      uint16 // index into List.states; 0: none
	typ, prio, src             uint8
}

// A List is an immutable, compact index of hot list entries. Its methods are
// safe for concurrent use. The Store keeps HQ's list and the manual entries
// as Lists; a Report's New list holds the entries a file added, to check
// against recent reads.
//
// Entries are sorted by the class key of their plate (the plate with every
// character replaced by its confusion class), so an exact or class-equal
// lookup is a binary search; a second array sorts them by reversed class key.
// One-edit search uses the pigeonhole principle: a plate within one edit of
// the read has the read's first half or its last half unchanged, so its
// entry is in one of two key ranges, whose entries are then checked.
type List struct {
	keys    []uint64 // class keys, ascending, parallel to recs
	recs    []rec
	rev     []uint64 // reversed class keys, ascending
	revIdx  []uint32 // the rec of each rev
	dir     []uint32 // nil, or dir[s]: first key whose top 16 bits are >= s
	revDir  []uint32
	arena   []byte   // uvarint length + bytes; offset 0 is ""
	strs    []string // interned strings, by ref&^internBit
	states  []string // states[0] == ""
	stateIx map[string]uint16
}

// Len returns the number of entries; a nil List has none.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.recs)
}

// A string ref is an offset into the arena, or with internBit set an index
// into strs (so that a hit's repeated strings cost no allocation).
const internBit = 1 << 31

func (l *List) bytes(ref uint32) []byte {
	if ref&internBit != 0 {
		return []byte(l.strs[ref&^internBit])
	}
	n, k := binary.Uvarint(l.arena[ref:])
	return l.arena[int(ref)+k : int(ref)+k+int(n)]
}

func (l *List) str(ref uint32) string {
	if ref&internBit != 0 {
		return l.strs[ref&^internBit]
	}
	n, k := binary.Uvarint(l.arena[ref:])
	return string(l.arena[int(ref)+k : int(ref)+k+int(n)])
}

// entry returns entry i as the API type, with strings of its own.
func (l *List) entry(i int) record.HotEntry {
	r := &l.recs[i]
	e := record.HotEntry{
		Plate:     unpack(r.plate),
		State:     l.states[r.state],
		Type:      listTypes[r.typ].Code,
		Priority:  int(r.prio),
		Reason:    l.str(r.reason),
		Case:      l.str(r.caseNo),
		Agency:    l.str(r.agency),
		EnteredBy: l.str(r.by),
		Entered:   millis(r.entered),
		Expires:   millis(r.expires),
		Source:    record.SourceHQ,
	}
	if r.src == srcManual {
		e.Source = record.SourceManual
	}
	return e
}

// row returns entry i as builder input; its byte fields alias the arena.
func (l *List) row(i int) row {
	r := &l.recs[i]
	return row{
		plate: r.plate, state: []byte(l.states[r.state]), typ: r.typ, prio: r.prio, src: r.src,
		reason: l.bytes(r.reason), caseNo: l.bytes(r.caseNo), agency: l.bytes(r.agency), by: l.bytes(r.by),
		entered: r.entered, expires: r.expires, op: opAdd,
	}
}

func millis(ms int64) record.Millis {
	if ms == 0 {
		return record.Millis{}
	}
	return record.Millis(time.UnixMilli(ms).UTC())
}

func unixMilli(m record.Millis) int64 {
	if m.IsZero() {
		return 0
	}
	return time.Time(m).UnixMilli()
}

// lowerBound returns the first index of keys holding a value >= x; dir, when
// not nil, narrows the search to x's top 16 bits.
func lowerBound(keys []uint64, dir []uint32, x uint64) int {
	return lowerBoundFrom(keys, dir, x, 0)
}

// lowerBoundFrom is lowerBound knowing that the result is at least from.
func lowerBoundFrom(keys []uint64, dir []uint32, x uint64, from int) int {
	lo, hi := 0, len(keys)
	if dir != nil {
		s := x >> 48
		lo, hi = int(dir[s]), int(dir[s+1])
	}
	lo = max(lo, from)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the index range of entries with plate p.
func (l *List) find(p uint64) (lo, hi int) {
	ck := classKey(p)
	lo = lowerBound(l.keys, l.dir, ck)
	for lo < len(l.keys) && l.keys[lo] == ck && l.recs[lo].plate != p {
		lo++
	}
	hi = lo
	for hi < len(l.keys) && l.keys[hi] == ck && l.recs[hi].plate == p {
		hi++
	}
	return lo, hi
}

// index returns the entry with key (p, state, typ), or -1.
func (l *List) index(p uint64, state []byte, typ uint8) int {
	if l.Len() == 0 {
		return -1
	}
	lo, hi := l.find(p)
	for i := lo; i < hi; i++ {
		r := &l.recs[i]
		if r.typ == typ && l.states[r.state] == string(state) {
			return i
		}
	}
	return -1
}

// compareAt orders entry i of l and entry j of m by (class key, plate,
// state, type): the order of a List.
func compareAt(l *List, i int, m *List, j int) int {
	if c := cmp.Compare(l.keys[i], m.keys[j]); c != 0 {
		return c
	}
	a, b := &l.recs[i], &m.recs[j]
	if c := cmp.Compare(a.plate, b.plate); c != 0 {
		return c
	}
	if c := cmp.Compare(l.states[a.state], m.states[b.state]); c != 0 {
		return c
	}
	return cmp.Compare(a.typ, b.typ)
}

// Entries returns every entry of l.
func (l *List) Entries() []record.HotEntry {
	out := make([]record.HotEntry, l.Len())
	for i := range out {
		out[i] = l.entry(i)
	}
	return out
}

// Op codes of a row.
const (
	opAdd uint8 = iota + 1
	opRemove
)

// row is one entry (or removal) on its way into a List.
type row struct {
	line                       int
	op                         uint8
	plate                      uint64
	state                      []byte
	typ, prio, src             uint8
	reason, caseNo, agency, by []byte
	entered, expires           int64
}

// builder collects rows into a List.
type builder struct {
	recs    []rec
	lines   []uint32
	arena   []byte
	intern  map[string]uint32
	strs    []string
	states  []string
	stateIx map[string]uint16
	tooBig  bool
}

// maxIntern bounds the table of repeated strings (reasons, agencies,
// enterers); beyond it new values are stored without interning.
const maxIntern = 1 << 16

func newBuilder(hint int) *builder {
	return &builder{
		recs:    make([]rec, 0, hint),
		lines:   make([]uint32, 0, hint),
		arena:   make([]byte, 1, 1+hint*16),
		intern:  make(map[string]uint32),
		states:  []string{""},
		stateIx: map[string]uint16{"": 0},
	}
}

func (b *builder) str(s []byte, intern bool) uint32 {
	if len(s) == 0 {
		return 0
	}
	if intern {
		if ref, ok := b.intern[string(s)]; ok {
			return ref
		}
		if len(b.strs) < maxIntern {
			ref := uint32(len(b.strs)) | internBit
			v := string(s)
			b.strs = append(b.strs, v)
			b.intern[v] = ref
			return ref
		}
	}
	if len(b.arena)+len(s)+binary.MaxVarintLen64 >= internBit {
		b.tooBig = true
		return 0
	}
	ref := uint32(len(b.arena))
	b.arena = binary.AppendUvarint(b.arena, uint64(len(s)))
	b.arena = append(b.arena, s...)
	return ref
}

func (b *builder) add(r *row) {
	st, ok := b.stateIx[string(r.state)]
	if !ok {
		if len(b.states) > math.MaxUint16 {
			b.tooBig = true
			return
		}
		s := string(r.state)
		st = uint16(len(b.states))
		b.states = append(b.states, s)
		b.stateIx[s] = st
	}
	b.recs = append(b.recs, rec{
		plate: r.plate, entered: r.entered, expires: r.expires,
		reason: b.str(r.reason, true), caseNo: b.str(r.caseNo, false),
		agency: b.str(r.agency, true), by: b.str(r.by, true),
		state: st, typ: r.typ, prio: r.prio, src: r.src,
	})
	b.lines = append(b.lines, uint32(r.line))
}

// dup is a key given twice while building: at line, first at prev.
type dup struct {
	line, prev int
	key        string
}

// finish sorts and indexes the rows into a List, and returns the keys given
// more than once (up to maxErrors of them, and how many in all). The
// builder is spent.
func (b *builder) finish() (*List, []dup, int, error) {
	if b.tooBig {
		return nil, nil, 0, fmt.Errorf("hotlist: list too large (more than 2 GiB of text or 65535 states)")
	}
	n := len(b.recs)
	l := &List{recs: b.recs, arena: slices.Clip(b.arena), strs: slices.Clip(b.strs), states: b.states, stateIx: b.stateIx}
	keys := make([]uint64, n)
	perm := make([]uint32, n)
	for i := range b.recs {
		keys[i] = classKey(b.recs[i].plate)
		perm[i] = uint32(i)
	}
	radixSort(keys, perm)
	recs, lines := b.recs, b.lines
	for i := 0; i < n; {
		j := i + 1
		for j < n && keys[j] == keys[i] {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(perm[i:j], func(x, y uint32) int {
				a, c := &recs[x], &recs[y]
				if d := cmp.Compare(a.plate, c.plate); d != 0 {
					return d
				}
				if d := cmp.Compare(l.states[a.state], l.states[c.state]); d != 0 {
					return d
				}
				if d := cmp.Compare(a.typ, c.typ); d != 0 {
					return d
				}
				return cmp.Compare(lines[x], lines[y])
			})
		}
		i = j
	}
	permute(recs, lines, perm)
	l.keys = keys
	var dups []dup
	ndup := 0
	for i := 1; i < n; i++ {
		a, c := &recs[i-1], &recs[i]
		if keys[i] == keys[i-1] && a.plate == c.plate && a.state == c.state && a.typ == c.typ {
			if ndup++; len(dups) < maxErrors {
				dups = append(dups, dup{int(lines[i]), int(lines[i-1]), keyString(c.plate, l.states[c.state], c.typ)})
			}
		}
	}
	l.rev = make([]uint64, n)
	l.revIdx = make([]uint32, n)
	for i, k := range keys {
		l.rev[i] = reverse(k)
		l.revIdx[i] = uint32(i)
	}
	radixSort(l.rev, l.revIdx)
	if n >= 1<<12 {
		l.dir = directory(l.keys)
		l.revDir = directory(l.rev)
	}
	*b = builder{}
	return l, dups, ndup, nil
}

func keyString(p uint64, state string, typ uint8) string {
	s := unpack(p)
	if state != "" {
		s += " " + state
	}
	if typ != 0 {
		s += " " + listTypes[typ].Code
	}
	return s
}

// permute reorders recs and lines in place so that the new element i is the
// old element perm[i]. perm is spent.
func permute(recs []rec, lines []uint32, perm []uint32) {
	const done = math.MaxUint32
	for i := range perm {
		if perm[i] == done {
			continue
		}
		r, ln := recs[i], lines[i]
		j := i
		for {
			k := int(perm[j])
			perm[j] = done
			if k == i {
				recs[j], lines[j] = r, ln
				break
			}
			recs[j], lines[j] = recs[k], lines[k]
			j = k
		}
	}
}

// directory returns d with d[s] the first index of keys whose top 16 bits
// are >= s, for s in 0..1<<16.
func directory(keys []uint64) []uint32 {
	d := make([]uint32, 1<<16+1)
	j := 0
	for s := range d {
		for j < len(keys) && keys[j]>>48 < uint64(s) {
			j++
		}
		d[s] = uint32(j)
	}
	return d
}

// radixSort sorts keys ascending, moving vals along; it is stable.
func radixSort(keys []uint64, vals []uint32) {
	n := len(keys)
	if n < 64 {
		for i := 1; i < n; i++ {
			for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
				vals[j], vals[j-1] = vals[j-1], vals[j]
			}
		}
		return
	}
	var counts [8][256]int
	for _, k := range keys {
		for p := range 8 {
			counts[p][byte(k>>(8*p))]++
		}
	}
	src, dst := keys, make([]uint64, n)
	sv, dv := vals, make([]uint32, n)
	for p := range 8 {
		c := &counts[p]
		sh := 8 * p
		if c[byte(src[0]>>sh)] == n {
			continue
		}
		sum := 0
		for i, v := range c {
			c[i] = sum
			sum += v
		}
		for i, k := range src {
			d := byte(k >> sh)
			dst[c[d]] = k
			dv[c[d]] = sv[i]
			c[d]++
		}
		src, dst = dst, src
		sv, dv = dv, sv
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
		copy(vals, sv)
	}
}

// Hit is one entry a read matches.
type Hit struct {
	Entry   record.HotEntry
	Kind    string  // record.MatchExact or record.MatchTolerant
	Score   float64 // 0..1: the candidate's weight times the match factor
	Matched string  // the candidate's text, as the reader gave it
}

// Matcher matches a read's candidates against hot list entries: *List and
// *Store are Matchers.
type Matcher interface {
	// Match returns the entries the candidates (best first) match, best hit
	// first, one hit per entry; state is the read's jurisdiction ("" if
	// unknown), now decides expiry.
	Match(cands []ocr.Candidate, state string, now time.Time) []Hit
}

// qcand is one usable candidate of a query.
type qcand struct {
	plate, ck uint64
	w         float64
	text      string // as the caller gave it
}

// qgroup is the candidates of one class key.
type qgroup struct {
	ck, rev   uint64
	w         float64 // best weight of the group
	best      int     // candidate of best weight
	from, end int     // candidates q.c[from:end]
}

// query is a read prepared for matching.
type query struct {
	c        [maxCands]qcand
	nc       int
	g        [maxCands]qgroup
	ng       int
	state    string
	now      int64
	tolerant bool // exact and tolerant; else exact only
	stateIdx int  // per List: -1 any; else the index an entry must have (or 0)
}

func (q *query) init(cands []ocr.Candidate, state string, now time.Time, tolerant bool) {
	q.state, q.now, q.tolerant = state, now.UnixMilli(), tolerant
	anyConf := false
	for _, c := range cands[:min(len(cands), maxCands)] {
		if c.Confidence > 0 {
			anyConf = true
		}
	}
	q.nc = 0
	for i, c := range cands[:min(len(cands), maxCands)] {
		p, ok := packPlate(c.Text)
		if !ok {
			continue
		}
		w := 1 / float64(i+1)
		if anyConf {
			w = min(max(c.Confidence/100, 0), 1)
			if math.IsNaN(w) {
				w = 0
			}
		}
		q.c[q.nc] = qcand{plate: p, ck: classKey(p), w: w, text: c.Text}
		q.nc++
	}
	cs := q.c[:q.nc]
	slices.SortStableFunc(cs, func(a, b qcand) int { return cmp.Compare(a.ck, b.ck) })
	q.ng = 0
	for i := 0; i < len(cs); {
		g := qgroup{ck: cs[i].ck, rev: reverse(cs[i].ck), w: -1, from: i}
		for i < len(cs) && cs[i].ck == g.ck {
			if cs[i].w > g.w {
				g.w, g.best = cs[i].w, i
			}
			i++
		}
		g.end = i
		q.g[q.ng] = g
		q.ng++
	}
}

// lhit is a hit on entry i of one List.
type lhit struct {
	l     *List
	i     int32
	exact bool
	score float64
	cand  int // q.c index
}

func (h lhit) better(o lhit) bool {
	if h.exact != o.exact {
		return h.exact
	}
	return h.score > o.score
}

func addHit(out []lhit, h lhit) []lhit {
	for k := range out {
		if out[k].l == h.l && out[k].i == h.i {
			if h.better(out[k]) {
				out[k] = h
			}
			return out
		}
	}
	return append(out, h)
}

// ok reports whether entry i is alive, unexpired and of a compatible state.
func (q *query) ok(l *List, dead []uint64, i int) bool {
	if dead != nil && dead[i>>6]&(1<<(i&63)) != 0 {
		return false
	}
	r := &l.recs[i]
	if r.expires != 0 && r.expires <= q.now {
		return false
	}
	if r.state == 0 || q.stateIdx < 0 {
		return true
	}
	return int(r.state) == q.stateIdx
}

// collect appends the hits of q on l (skipping entries set in dead) to out.
func (q *query) collect(l *List, dead []uint64, out []lhit) []lhit {
	if l.Len() == 0 || q.nc == 0 {
		return out
	}
	q.stateIdx = -1
	if q.state != "" {
		q.stateIdx = int(l.stateIx[q.state]) // 0 when unknown: state-less entries only
	}
	for gi := range q.g[:q.ng] {
		g := &q.g[gi]
		for i := lowerBound(l.keys, l.dir, g.ck); i < len(l.keys) && l.keys[i] == g.ck; i++ {
			if !q.ok(l, dead, i) {
				continue
			}
			h := lhit{l: l, i: int32(i), score: factorClass * g.w, cand: g.best}
			for c := g.from; c < g.end; c++ {
				if q.c[c].plate == l.recs[i].plate && (!h.exact || q.c[c].w > h.score) {
					h.exact, h.score, h.cand = true, q.c[c].w, c
				}
			}
			if h.exact || q.tolerant {
				out = addHit(out, h)
			}
		}
		if !q.tolerant {
			continue
		}
		n := plen(g.ck)
		for m := max(n-1, MinEditLen); m <= min(n+1, MaxPlate); m++ {
			h := m / 2
			lo, hi := prefixRange(g.ck, m, h)
			a := lowerBound(l.keys, l.dir, lo)
			b := lowerBoundFrom(l.keys, l.dir, hi, a)
			for i := a; i < b; i++ {
				if k := l.keys[i]; k != g.ck && withinOneEdit(k, g.ck) && q.ok(l, dead, i) {
					out = addHit(out, lhit{l: l, i: int32(i), score: factorEdit * g.w, cand: g.best})
				}
			}
			lo, hi = prefixRange(g.rev, m, m-h)
			a = lowerBound(l.rev, l.revDir, lo)
			b = lowerBoundFrom(l.rev, l.revDir, hi, a)
			for j := a; j < b; j++ {
				if k := l.rev[j]; k != g.rev && withinOneEdit(k, g.rev) {
					if i := int(l.revIdx[j]); q.ok(l, dead, i) {
						out = addHit(out, lhit{l: l, i: int32(i), score: factorEdit * g.w, cand: g.best})
					}
				}
			}
		}
	}
	return out
}

// hits turns lhits into Hits, best first.
func (q *query) hits(hs []lhit) []Hit {
	if len(hs) == 0 {
		return nil
	}
	out := make([]Hit, len(hs))
	for k, h := range hs {
		kind := record.MatchTolerant
		if h.exact {
			kind = record.MatchExact
		}
		out[k] = Hit{Entry: h.l.entry(int(h.i)), Kind: kind, Score: h.score, Matched: q.c[h.cand].text}
	}
	slices.SortFunc(out, compareHits)
	return out
}

func compareHits(a, b Hit) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if a.Kind != b.Kind {
		if a.Kind == record.MatchExact {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.Entry.Priority, b.Entry.Priority); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.Entry.Plate, b.Entry.Plate), cmp.Compare(a.Entry.State, b.Entry.State),
		cmp.Compare(a.Entry.Type, b.Entry.Type), cmp.Compare(a.Entry.Source, b.Entry.Source))
}

// Match returns the entries of l the candidates match (see Matcher and
// docs/hotlist-format.md). It does not block.
func (l *List) Match(cands []ocr.Candidate, state string, now time.Time) []Hit {
	var q query
	q.init(cands, state, now, true)
	return q.hits(q.collect(l, nil, nil))
}

// NewList returns a List of entries, checked as a manual entry's fields are
// except that reason, case and expiry may be empty; an empty Source means
// record.SourceHQ. Each (plate, state, type) may appear once.
func NewList(entries []record.HotEntry) (*List, error) {
	b := newBuilder(len(entries))
	for i := range entries {
		r, msg := entryRow(&entries[i])
		if msg != "" {
			return nil, fmt.Errorf("hotlist: entry %d: %s", i+1, msg)
		}
		r.line = i + 1
		b.add(&r)
	}
	l, dups, _, err := b.finish()
	if err != nil {
		return nil, err
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("hotlist: entry %d: duplicate of entry %d (%s)", dups[0].line, dups[0].prev, dups[0].key)
	}
	return l, nil
}

// entryRow checks e and converts it; msg says what is wrong.
func entryRow(e *record.HotEntry) (r row, msg string) {
	p, ok := packPlate(e.Plate)
	if !ok {
		return r, plateError([]byte(e.Plate)).Error()
	}
	r = row{op: opAdd, plate: p, state: []byte(e.State), entered: unixMilli(e.Entered), expires: unixMilli(e.Expires),
		reason: []byte(e.Reason), caseNo: []byte(e.Case), agency: []byte(e.Agency), by: []byte(e.EnteredBy)}
	if msg = checkState(r.state); msg != "" {
		return r, msg
	}
	if r.typ = typeIndex([]byte(e.Type)); r.typ == 0 {
		if e.Type == "" {
			return r, "type is required"
		}
		return r, fmt.Sprintf("type %q: unknown list type", e.Type)
	}
	switch {
	case e.Priority == 0:
		r.prio = uint8(listTypes[r.typ].Priority)
	case e.Priority >= 1 && e.Priority <= 3:
		r.prio = uint8(e.Priority)
	default:
		return r, fmt.Sprintf("priority %d: want 1, 2 or 3", e.Priority)
	}
	switch e.Source {
	case "", record.SourceHQ:
		r.src = srcHQ
	case record.SourceManual:
		r.src = srcManual
	default:
		return r, fmt.Sprintf("source %q: want %q or %q", e.Source, record.SourceHQ, record.SourceManual)
	}
	for _, f := range textFields {
		if msg = checkText(f.name, f.get(&r), f.max); msg != "" {
			return r, msg
		}
	}
	return r, ""
}

// textFields are a row's free-text fields and their limits in bytes.
var textFields = []struct {
	name string
	max  int
	get  func(*row) []byte
}{
	{"reason", 200, func(r *row) []byte { return r.reason }},
	{"case", 64, func(r *row) []byte { return r.caseNo }},
	{"agency", 32, func(r *row) []byte { return r.agency }},
	{"entered_by", 64, func(r *row) []byte { return r.by }},
}
