package hotlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"alprd/firmware/hqsign"
	"alprd/firmware/record"
	"alprd/ocr"
)

// Files is where the Store keeps its state: firmware/vault on the unit, so
// that hot lists are encrypted at rest.
type Files interface {
	// ReadFile returns the content of name; the error wraps fs.ErrNotExist
	// when there is none.
	ReadFile(name string) ([]byte, error)
	// WriteFile replaces name with data atomically and durably: after a
	// power cut the file holds the old or the new data, never a mix.
	WriteFile(name string, data []byte) error
}

// Names of the Store's files (docs/hotlist-format.md).
const (
	FileSnapshot = "hotlist-snapshot"
	FileDeltas   = "hotlist-deltas"
	FileManual   = "hotlist-manual"
)

const deltasMagic = "alprd-hotlist-deltas v1\n"

// MaxManual bounds the manual entries on a unit.
const MaxManual = 10000

// Errors callers branch on.
var (
	ErrStale    = errors.New("hotlist: file is not newer than the list in force")
	ErrBase     = errors.New("hotlist: delta does not apply to the list in force")
	ErrExists   = errors.New("hotlist: manual entry exists")
	ErrNotFound = errors.New("hotlist: no such manual entry")
)

// compactMin is the size under which HQ's delta overlay is never merged.
const compactMin = 4096

// Store holds the hot list in force: HQ's list (the last snapshot and the
// deltas since) and the officers' manual entries, persisted in Files. Match,
// Lookup, Entries and the health methods never block on Apply or the manual
// changes, which take turns; all methods are safe for concurrent use.
type Store struct {
	files Files
	keys  *hqsign.Keyring
	log   *slog.Logger

	mu     sync.Mutex // serialises changes
	deltas [][]byte   // signed deltas applied since the snapshot, under mu
	cur    atomic.Pointer[view]
}

// view is one immutable state of the store.
type view struct {
	hdr     Header // of the last file applied; Version 0: none
	keyID   string
	base    *List    // the snapshot, merged with older deltas
	dead    []uint64 // bitset of base entries removed since; nil: none
	ndead   int
	added   *List // entries added since base
	manual  *List
	deltas  int
	problem string
}

func (v *view) hqLen() int { return v.base.Len() - v.ndead + v.added.Len() }

func (v *view) alive(i int) bool { return v.dead == nil || v.dead[i>>6]&(1<<(i&63)) == 0 }

// Report says what Apply did.
type Report struct {
	Header
	KeyID   string // the key that signed the file
	Rows    int    // rows in the file
	Added   int    // entries that were not in force before
	Updated int    // add rows replacing an entry with the same key (snapshot: entries kept)
	Removed int    // entries no longer in force
	Expired int    // add rows already expired: kept, never matched
	Entries int    // HQ entries in force now
	// New holds the entries in force now that were not before: check them
	// against recent reads (Recent.CheckList).
	New *List
}

// Status is the store's state, for health reports and the console.
type Status struct {
	Version uint64    // of the last file applied; 0: no HQ list
	Kind    string    // of the last file applied
	Created time.Time // of the last file applied
	Source  string
	KeyID   string
	Entries int    // HQ entries in force, expired ones included
	Manual  int    // manual entries
	Deltas  int    // deltas applied since the snapshot
	Problem string // why stored files were refused by Open; "" when none
}

// Open loads the store from files: the stored snapshot and deltas, whose
// signatures are verified again with keys, and the manual entries. Nothing
// stored is not an error (an empty list, version 0). A stored file that is
// refused (a dropped key, a corrupt file) is logged and reported in
// Status().Problem, and the store runs without it; only an error reading
// files is returned. log may be nil.
func Open(files Files, keys *hqsign.Keyring, log *slog.Logger) (*Store, error) {
	if files == nil {
		return nil, errors.New("hotlist: open: no files")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{files: files, keys: keys, log: log}
	v := &view{}
	var problems []string
	problem := func(what string, err error) {
		log.Error("stored hot list refused", "file", what, "err", err)
		problems = append(problems, fmt.Sprintf("%s: %v", what, err))
	}
	now := time.Now()
	snap, err := readOptional(files, FileSnapshot)
	if err != nil {
		return nil, err
	}
	if snap != nil {
		if _, nv, err := s.apply(v, snap, now); err != nil {
			problem(FileSnapshot, err)
		} else {
			v = nv
		}
	}
	deltas, err := readOptional(files, FileDeltas)
	if err != nil {
		return nil, err
	}
	if deltas != nil && v.hdr.Version > 0 {
		ds, err := decodeDeltas(deltas)
		if err != nil {
			problem(FileDeltas, err)
		}
		for i, d := range ds {
			if p, err := split(d); err == nil && p.Version <= v.hdr.Version {
				continue // from before the snapshot
			}
			_, nv, err := s.apply(v, d, now)
			if err != nil {
				problem(fmt.Sprintf("%s #%d", FileDeltas, i+1), err)
				break
			}
			v = nv
			s.deltas = append(s.deltas, d)
		}
	}
	manual, err := readOptional(files, FileManual)
	if err != nil {
		return nil, err
	}
	if manual != nil {
		if l, err := decodeManual(manual); err != nil {
			problem(FileManual, err)
		} else {
			v.manual = l
		}
	}
	v.problem = strings.Join(problems, "; ")
	s.cur.Store(v)
	if v.hdr.Version > 0 {
		log.Info("hot list loaded", "version", v.hdr.Version, "entries", v.hqLen(), "deltas", v.deltas, "manual", v.manual.Len())
	}
	return s, nil
}

func readOptional(files Files, name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hotlist: open: %w", err)
	}
	return b, nil
}

// Apply verifies a signed hot list file, checks it against the list in
// force, stores it and puts it in force, all or nothing: on error the list
// in force stays. The error says why the file was refused: ErrUnsigned,
// hqsign.ErrUnknownKey, hqsign.ErrBadSignature, ErrStale (version not
// greater than the one in force), ErrBase (a delta for another version),
// *RowError (bad rows: every one, up to 20, joined), or a storage error.
// Apply does not log: the caller reports the outcome. It does not block
// matching.
func (s *Store) Apply(file []byte) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep, nv, err := s.apply(s.cur.Load(), file, time.Now())
	if err != nil {
		return Report{}, err
	}
	if err := s.persist(rep.Kind, file); err != nil {
		return Report{}, err
	}
	s.cur.Store(nv)
	return rep, nil
}

// persist stores an accepted file; the caller holds mu.
func (s *Store) persist(kind string, file []byte) error {
	if kind == KindSnapshot {
		// Snapshot first: a power cut before the deltas are emptied leaves
		// deltas older than the snapshot, which Open skips.
		if err := s.files.WriteFile(FileSnapshot, file); err != nil {
			return fmt.Errorf("hotlist: store snapshot: %w", err)
		}
		if err := s.files.WriteFile(FileDeltas, encodeDeltas(nil)); err != nil {
			return fmt.Errorf("hotlist: store deltas: %w", err)
		}
		s.deltas = nil
		return nil
	}
	ds := append(s.deltas[:len(s.deltas):len(s.deltas)], bytes.Clone(file))
	if err := s.files.WriteFile(FileDeltas, encodeDeltas(ds)); err != nil {
		return fmt.Errorf("hotlist: store deltas: %w", err)
	}
	s.deltas = ds
	return nil
}

func encodeDeltas(ds [][]byte) []byte {
	n := len(deltasMagic)
	for _, d := range ds {
		n += len(d) + 21
	}
	b := make([]byte, 0, n)
	b = append(b, deltasMagic...)
	for _, d := range ds {
		b = strconv.AppendInt(b, int64(len(d)), 10)
		b = append(b, '\n')
		b = append(b, d...)
	}
	return b
}

func decodeDeltas(b []byte) ([][]byte, error) {
	if !bytes.HasPrefix(b, []byte(deltasMagic)) {
		return nil, errors.New("hotlist: deltas file: bad magic")
	}
	b = b[len(deltasMagic):]
	var ds [][]byte
	for len(b) > 0 {
		num, rest, ok := bytes.Cut(b, []byte{'\n'})
		n, err := strconv.Atoi(string(num))
		if !ok || err != nil || n < 0 || n > len(rest) {
			return ds, fmt.Errorf("hotlist: deltas file: bad length %s after %d deltas", quote(num), len(ds))
		}
		ds = append(ds, rest[:n])
		b = rest[n:]
	}
	return ds, nil
}

// apply checks file against cur and returns the view with it in force.
func (s *Store) apply(cur *view, file []byte, now time.Time) (Report, *view, error) {
	p, err := split(file)
	if err != nil {
		return Report{}, nil, err
	}
	// Verify the signature while the rows are read; its error comes first.
	verified := make(chan error, 1)
	go func() { verified <- s.keys.Verify(p.keyID, p.signed, p.sig) }()
	waited := false
	wait := func() error {
		waited = true
		if err := <-verified; err != nil {
			return fmt.Errorf("hotlist: %w", err)
		}
		return nil
	}
	defer func() {
		if !waited {
			<-verified
		}
	}()
	switch {
	case p.Version <= cur.hdr.Version:
		err = fmt.Errorf("%w: version %d, in force %d", ErrStale, p.Version, cur.hdr.Version)
	case p.Kind == KindDelta && p.Base != cur.hdr.Version:
		err = fmt.Errorf("%w: delta for version %d, in force %d", ErrBase, p.Base, cur.hdr.Version)
	}
	if err != nil {
		if serr := wait(); serr != nil {
			return Report{}, nil, serr
		}
		return Report{}, nil, err
	}
	var rep Report
	var nv *view
	if p.Kind == KindSnapshot {
		rep, nv, err = applySnapshot(cur, p, now)
	} else {
		rep, nv, err = applyDelta(cur, p, now)
	}
	if serr := wait(); serr != nil {
		return Report{}, nil, serr
	}
	if err != nil {
		return Report{}, nil, err
	}
	rep.Header, rep.KeyID = p.Header, p.keyID
	nv.hdr, nv.keyID, nv.manual, nv.problem = p.Header, p.keyID, cur.manual, cur.problem
	rep.Entries = nv.hqLen()
	return rep, nv, nil
}

func applySnapshot(cur *view, p *parts, now time.Time) (Report, *view, error) {
	nowMs := now.UnixMilli()
	b := newBuilder(bytes.Count(p.rows, []byte{'\n'}))
	var rep Report
	errs := parseRows(p.rows, p.rowLine, KindSnapshot, func(r *row) {
		r.src = srcHQ
		b.add(r)
		if r.expires != 0 && r.expires <= nowMs {
			rep.Expired++
		}
	})
	l, dups, ndup, err := b.finish()
	if err != nil {
		return Report{}, nil, err
	}
	for _, d := range dups {
		errs.add(d.line, fmt.Sprintf("duplicate of line %d (%s)", d.prev, d.key))
	}
	errs.total += ndup - len(dups)
	if err := errs.err(); err != nil {
		return Report{}, nil, err
	}
	rep.Rows = l.Len()
	rep.New, rep.Removed, err = newSince(cur, l)
	if err != nil {
		return Report{}, nil, err
	}
	rep.Added = rep.New.Len()
	rep.Updated = l.Len() - rep.Added
	return rep, &view{base: l}, nil
}

// newSince returns the entries of l not in force in cur, and how many of
// cur's HQ entries l lacks. Both Lists are sorted alike: one merge walk.
func newSince(cur *view, l *List) (*List, int, error) {
	if cur.hqLen() == 0 {
		return l, 0, nil
	}
	nb := newBuilder(0)
	ob := cur.base
	removed, j := 0, 0
	for i := range l.recs {
		for j < ob.Len() && compareAt(ob, j, l, i) < 0 {
			if cur.alive(j) {
				removed++
			}
			j++
		}
		in := false
		if j < ob.Len() && compareAt(ob, j, l, i) == 0 {
			in = cur.alive(j)
			j++
		}
		if !in && cur.added.Len() > 0 {
			r := &l.recs[i]
			in = cur.added.index(r.plate, []byte(l.states[r.state]), r.typ) >= 0
		}
		if !in {
			r := l.row(i)
			nb.add(&r)
		}
	}
	for ; j < ob.Len(); j++ {
		if cur.alive(j) {
			removed++
		}
	}
	for i := range cur.added.Len() {
		r := &cur.added.recs[i]
		if l.index(r.plate, []byte(cur.added.states[r.state]), r.typ) < 0 {
			removed++
		}
	}
	nl, _, _, err := nb.finish()
	return nl, removed, err
}

// dkey is an entry's key while a delta is applied.
type dkey struct {
	plate uint64
	state string
	typ   uint8
}

func applyDelta(cur *view, p *parts, now time.Time) (Report, *view, error) {
	nowMs := now.UnixMilli()
	var rows []row
	errs := parseRows(p.rows, p.rowLine, KindDelta, func(r *row) {
		rr := *r
		rr.src = srcHQ
		rows = append(rows, rr)
	})
	base := cur.base
	if base == nil {
		base = &List{}
	}
	nv := &view{base: base, ndead: cur.ndead, deltas: cur.deltas + 1}
	nv.dead = make([]uint64, (base.Len()+63)/64)
	copy(nv.dead, cur.dead)
	kill := func(i int) bool {
		if !nv.alive(i) {
			return false
		}
		nv.dead[i>>6] |= 1 << (i & 63)
		nv.ndead++
		return true
	}
	added := make(map[dkey]row, cur.added.Len()+len(rows))
	for i := range cur.added.Len() {
		r := cur.added.row(i)
		added[dkey{r.plate, string(r.state), r.typ}] = r
	}
	inForce := func(k dkey) bool {
		if i := base.index(k.plate, []byte(k.state), k.typ); i >= 0 && cur.alive(i) {
			return true
		}
		return cur.added.Len() > 0 && cur.added.index(k.plate, []byte(k.state), k.typ) >= 0
	}
	var rep Report
	rep.Rows = len(rows) + errs.total
	addedAt := make(map[dkey]int)
	var fresh []row
	for _, r := range rows {
		if r.op == opRemove {
			n := 0
			if base.Len() > 0 {
				lo, hi := base.find(r.plate)
				for i := lo; i < hi; i++ {
					e := &base.recs[i]
					if base.states[e.state] == string(r.state) && (r.typ == 0 || e.typ == r.typ) && kill(i) {
						n++
					}
				}
			}
			for t := uint8(1); t < uint8(len(listTypes)); t++ {
				k := dkey{r.plate, string(r.state), t}
				if _, ok := added[k]; ok && (r.typ == 0 || r.typ == t) {
					delete(added, k)
					n++
				}
			}
			if n == 0 {
				errs.add(r.line, fmt.Sprintf("remove %s: no such entry in version %d", keyString(r.plate, string(r.state), r.typ), cur.hdr.Version))
			}
			rep.Removed += n
			continue
		}
		k := dkey{r.plate, string(r.state), r.typ}
		if prev, ok := addedAt[k]; ok {
			errs.add(r.line, fmt.Sprintf("duplicate of line %d (%s)", prev, keyString(r.plate, k.state, r.typ)))
			continue
		}
		addedAt[k] = r.line
		if i := base.index(r.plate, r.state, r.typ); i >= 0 {
			kill(i)
		}
		added[k] = r
		if inForce(k) {
			rep.Updated++
		} else {
			rep.Added++
			fresh = append(fresh, r)
		}
		if r.expires != 0 && r.expires <= nowMs {
			rep.Expired++
		}
	}
	if err := errs.err(); err != nil {
		return Report{}, nil, err
	}
	ab := newBuilder(len(added))
	for _, r := range added {
		ab.add(&r)
	}
	var err error
	if nv.added, _, _, err = ab.finish(); err != nil {
		return Report{}, nil, err
	}
	if nv.added.Len() > max(compactMin, base.Len()/8) || nv.ndead > max(compactMin, base.Len()/4) {
		if err := nv.compact(); err != nil {
			return Report{}, nil, err
		}
	}
	if nv.ndead == 0 {
		nv.dead = nil
	}
	fb := newBuilder(len(fresh))
	for i := range fresh {
		fb.add(&fresh[i])
	}
	if rep.New, _, _, err = fb.finish(); err != nil {
		return Report{}, nil, err
	}
	return rep, nv, nil
}

// compact merges the overlay into a new base.
func (v *view) compact() error {
	b := newBuilder(v.hqLen())
	for i := range v.base.Len() {
		if v.alive(i) {
			r := v.base.row(i)
			b.add(&r)
		}
	}
	for i := range v.added.Len() {
		r := v.added.row(i)
		b.add(&r)
	}
	l, _, _, err := b.finish()
	if err != nil {
		return err
	}
	v.base, v.dead, v.ndead, v.added = l, nil, 0, nil
	return nil
}

// Match returns the entries in force (HQ's and manual) that a read matches:
// cands are the read's candidate texts, best first (at most 32 are used);
// state its jurisdiction, "" when unknown; now decides expiry. Hits come
// best first, one per entry (docs/hotlist-format.md, "Matching"). It never
// blocks.
func (s *Store) Match(cands []ocr.Candidate, state string, now time.Time) []Hit {
	var q query
	q.init(cands, state, now, true)
	return s.cur.Load().hits(&q)
}

// Lookup returns the entries in force whose plate is exactly plate
// (normalised), state-aware like Match, with score 1.
func (s *Store) Lookup(plate, state string, now time.Time) []Hit {
	var q query
	c := [1]ocr.Candidate{{Text: plate}}
	q.init(c[:], state, now, false)
	return s.cur.Load().hits(&q)
}

func (v *view) hits(q *query) []Hit {
	var buf [8]lhit
	hs := q.collect(v.base, v.dead, buf[:0])
	hs = q.collect(v.added, nil, hs)
	hs = q.collect(v.manual, nil, hs)
	return q.hits(hs)
}

// Filter selects entries for Entries.
type Filter struct {
	Plate  string // normalised or not; "" for every plate
	Type   string // list type code; "" for every type
	Source string // record.SourceHQ or record.SourceManual; "" for both
	Limit  int    // at most this many; 0 for all
}

// Entries returns the entries in force that f selects, expired ones
// included: manual entries first, then HQ's, each in index order.
func (s *Store) Entries(f Filter) []record.HotEntry {
	v := s.cur.Load()
	var plate uint64
	if f.Plate != "" {
		var ok bool
		if plate, ok = packPlate(f.Plate); !ok {
			return nil
		}
	}
	var typ uint8
	if f.Type != "" {
		if typ = typeIndex([]byte(f.Type)); typ == 0 {
			return nil
		}
	}
	var out []record.HotEntry
	add := func(l *List, dead []uint64) bool {
		lo, hi := 0, l.Len()
		if plate != 0 && l.Len() > 0 {
			lo, hi = l.find(plate)
		}
		for i := lo; i < hi; i++ {
			if dead != nil && dead[i>>6]&(1<<(i&63)) != 0 || typ != 0 && l.recs[i].typ != typ {
				continue
			}
			if f.Limit > 0 && len(out) == f.Limit {
				return false
			}
			out = append(out, l.entry(i))
		}
		return true
	}
	if f.Source != record.SourceHQ && !add(v.manual, nil) {
		return out
	}
	if f.Source != record.SourceManual && add(v.base, v.dead) {
		add(v.added, nil)
	}
	return out
}

// Version returns the version of HQ's list in force; 0 when there is none.
func (s *Store) Version() uint64 { return s.cur.Load().hdr.Version }

// Age returns how old HQ's list in force is: now minus the created time of
// the last file applied; 0 when there is none.
func (s *Store) Age() time.Duration {
	v := s.cur.Load()
	if v.hdr.Version == 0 {
		return 0
	}
	return max(time.Since(v.hdr.Created), 0)
}

// Status returns the store's state.
func (s *Store) Status() Status {
	v := s.cur.Load()
	return Status{
		Version: v.hdr.Version, Kind: v.hdr.Kind, Created: v.hdr.Created, Source: v.hdr.Source, KeyID: v.keyID,
		Entries: v.hqLen(), Manual: v.manual.Len(), Deltas: v.deltas, Problem: v.problem,
	}
}

// manualFile is the stored form of the manual entries.
type manualFile struct {
	V       int               `json:"v"`
	Entries []record.HotEntry `json:"entries"`
}

func decodeManual(b []byte) (*List, error) {
	var f manualFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("hotlist: manual entries: %w", err)
	}
	if f.V != 1 {
		return nil, fmt.Errorf("hotlist: manual entries: version %d, want 1", f.V)
	}
	for i := range f.Entries {
		f.Entries[i].Source = record.SourceManual
	}
	return NewList(f.Entries)
}

// AddManual adds an officer's entry. by (who enters it) is required, and so
// are e's Reason, Case and an Expires in the future; Plate is normalised,
// State upper-cased, an empty Type is "OT" and a zero Priority the type's
// default. Entered, EnteredBy and Source are set by the store. An entry with
// the same plate, state and type is ErrExists; expired manual entries are
// dropped. The entry is stored before it is in force.
func (s *Store) AddManual(e record.HotEntry, by string) error {
	now := time.Now().UTC()
	by = strings.TrimSpace(by)
	missing := func(field string) error { return fmt.Errorf("hotlist: manual entry: %s is required", field) }
	switch {
	case by == "":
		return missing("entered by")
	case strings.TrimSpace(e.Reason) == "":
		return missing("reason")
	case strings.TrimSpace(e.Case) == "":
		return missing("case number")
	case e.Expires.IsZero():
		return missing("expiry")
	case !time.Time(e.Expires).After(now):
		return fmt.Errorf("hotlist: manual entry: expiry %s is not in the future",
			time.Time(e.Expires).UTC().Format(time.RFC3339))
	}
	plate, err := Normalize(e.Plate)
	if err != nil {
		return fmt.Errorf("hotlist: manual entry: %w", errors.Unwrap(err))
	}
	e.Plate = plate
	e.State = strings.ToUpper(strings.TrimSpace(e.State))
	if e.Type == "" {
		e.Type = "OT"
	}
	e.EnteredBy, e.Entered, e.Source = by, record.Millis(now.Truncate(time.Millisecond)), record.SourceManual
	if e.Priority == 0 {
		if t, ok := LookupType(e.Type); ok {
			e.Priority = t.Priority
		}
	}
	if _, msg := entryRow(&e); msg != "" {
		return fmt.Errorf("hotlist: manual entry: %s", msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	var keep []record.HotEntry
	for _, m := range cur.manual.Entries() {
		if !m.Expires.IsZero() && !time.Time(m.Expires).After(now) {
			continue
		}
		if m.Plate == e.Plate && m.State == e.State && m.Type == e.Type {
			return fmt.Errorf("%w: %s (entered by %s at %s)", ErrExists, keyString(mustPack(m.Plate), m.State, typeIndex([]byte(m.Type))),
				m.EnteredBy, time.Time(m.Entered).UTC().Format(time.RFC3339))
		}
		keep = append(keep, m)
	}
	if len(keep) >= MaxManual {
		return fmt.Errorf("hotlist: manual entry: already %d manual entries, the most a unit keeps", len(keep))
	}
	if err := s.setManual(cur, append(keep, e)); err != nil {
		return err
	}
	s.log.Info("manual hot list entry added", "type", e.Type, "by", by)
	return nil
}

func mustPack(plate string) uint64 {
	p, _ := packPlate(plate)
	return p
}

// RemoveManual removes the manual entries (every type) of plate and state
// (exactly: "" removes those without state). by and reason are required
// and logged. HQ's entries cannot be removed on the unit. None to remove is
// ErrNotFound.
func (s *Store) RemoveManual(plate, state, by, reason string) error {
	by, reason = strings.TrimSpace(by), strings.TrimSpace(reason)
	switch {
	case by == "":
		return errors.New("hotlist: remove manual entry: removed by is required")
	case reason == "":
		return errors.New("hotlist: remove manual entry: reason is required")
	}
	p, err := Normalize(plate)
	if err != nil {
		return fmt.Errorf("hotlist: remove manual entry: %w", errors.Unwrap(err))
	}
	state = strings.ToUpper(strings.TrimSpace(state))
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	var keep []record.HotEntry
	n := 0
	for _, m := range cur.manual.Entries() {
		if m.Plate == p && m.State == state {
			n++
			continue
		}
		keep = append(keep, m)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, strings.TrimSpace(p+" "+state))
	}
	if err := s.setManual(cur, keep); err != nil {
		return err
	}
	s.log.Info("manual hot list entries removed", "count", n, "by", by, "reason", reason)
	return nil
}

// setManual stores entries and puts them in force; the caller holds mu.
func (s *Store) setManual(cur *view, entries []record.HotEntry) error {
	l, err := NewList(entries)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []record.HotEntry{}
	}
	data, err := json.Marshal(manualFile{V: 1, Entries: entries})
	if err != nil {
		return fmt.Errorf("hotlist: manual entries: %w", err)
	}
	if err := s.files.WriteFile(FileManual, data); err != nil {
		return fmt.Errorf("hotlist: store manual entries: %w", err)
	}
	nv := *cur
	nv.manual = l
	s.cur.Store(&nv)
	return nil
}
