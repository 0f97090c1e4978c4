package hq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// schemaVersion is the database layout this package writes (PRAGMA
// user_version); docs/hq.md describes it.
const schemaVersion = 1

var schema = []string{
	`CREATE TABLE received (
		device TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
		PRIMARY KEY (device, seq)) WITHOUT ROWID`,
	`CREATE TABLE devices (
		device TEXT PRIMARY KEY, contig INTEGER NOT NULL DEFAULT 0, last_at INTEGER,
		state TEXT, state_at INTEGER)`,
	`CREATE TABLE dropped (
		device TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, seq INTEGER NOT NULL,
		PRIMARY KEY (device, first, last)) WITHOUT ROWID`,
	`CREATE TABLE reads (
		device TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL,
		plate TEXT NOT NULL, confidence REAL NOT NULL, lat REAL, lon REAL, crop BLOB, json TEXT NOT NULL,
		PRIMARY KEY (device, seq))`,
	`CREATE INDEX reads_id ON reads (id)`,
	`CREATE INDEX reads_time ON reads (time)`,
	`CREATE INDEX reads_plate ON reads (plate, time)`,
	`CREATE TABLE alerts (
		device TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL,
		plate TEXT NOT NULL, match TEXT NOT NULL, case_no TEXT NOT NULL, json TEXT NOT NULL,
		PRIMARY KEY (device, seq))`,
	`CREATE INDEX alerts_id ON alerts (id)`,
	`CREATE TABLE audit (
		device TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL,
		user TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL, purpose TEXT NOT NULL,
		case_no TEXT NOT NULL, result TEXT NOT NULL, json TEXT NOT NULL,
		PRIMARY KEY (device, seq))`,
	`CREATE TABLE events (
		device TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, json TEXT NOT NULL,
		PRIMARY KEY (device, seq))`,
	`CREATE TABLE health (
		device TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, status TEXT NOT NULL,
		json TEXT NOT NULL, PRIMARY KEY (device, seq))`,
	`CREATE TABLE selftest (
		device TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (device, seq))`,
	`CREATE TABLE refused (
		id INTEGER PRIMARY KEY, device TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL,
		size INTEGER NOT NULL, seq INTEGER)`,
	`CREATE TABLE evidence (
		read_id TEXT NOT NULL, case_no TEXT NOT NULL, at INTEGER NOT NULL, by TEXT NOT NULL,
		PRIMARY KEY (read_id, case_no)) WITHOUT ROWID`,
	`CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID`,
}

// ErrNoRead is returned by Hold for a read id the database does not hold.
var ErrNoRead = errors.New("hq: no such read")

// Store is HQ's SQLite database. It is safe for concurrent use; several
// processes may open the same file (the receiver and a purge), SQLite
// serialises their writes.
type Store struct {
	db *sql.DB
}

// OpenStore opens or creates the database at path and creates or checks its
// tables. Every commit is durable (WAL, synchronous FULL) before it returns.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("hq: database path %q: want a file name without '?' or '#'", path)
	}
	dsn := path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=secure_delete(ON)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("hq: open %s: %w", path, err)
	}
	// One connection: the writes are serial anyway, and SQLite then never
	// reports "busy" between two connections of this process.
	db.SetMaxOpenConns(1)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("hq: open %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	switch v {
	case schemaVersion:
		return nil
	case 0:
	default:
		return fmt.Errorf("database layout version %d, this alprhq knows %d", v, schemaVersion)
	}
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// row is one message to store: (device, seq) goes into received; then
// either a row of table (cols, vals after device and seq), or, with
// refused set, a refused row; dropped ranges; and the device's new
// contiguous sequence.
type row struct {
	device  string
	seq     uint64
	kind    string
	at      time.Time
	size    int
	table   string
	cols    []string
	vals    []any
	refused string
	dropped []Range
	contig  uint64
}

// put stores r in one transaction. It reports dup, without writing anything
// but the duplicate counter, when (device, seq) was already received.
func (s *Store) put(ctx context.Context, r *row) (dup bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("hq: store %s/%d: %w", r.device, r.seq, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO received (device, seq, kind, at) VALUES (?, ?, ?, ?)`,
		r.device, int64(r.seq), r.kind, r.at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("hq: store %s/%d: %w", r.device, r.seq, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("hq: store %s/%d: %w", r.device, r.seq, err)
	} else if n == 0 {
		if err := bump(ctx, tx, "duplicate"); err != nil {
			return false, fmt.Errorf("hq: store %s/%d: %w", r.device, r.seq, err)
		}
		if err := tx.Commit(); err != nil {
			return false, fmt.Errorf("hq: store %s/%d: %w", r.device, r.seq, err)
		}
		return true, nil
	}
	if r.refused != "" {
		err = insertRefused(ctx, tx, r.device, r.refused, r.at, r.size, r.seq)
	} else {
		q := fmt.Sprintf("INSERT INTO %s (device, seq, %s) VALUES (?, ?%s)",
			r.table, strings.Join(r.cols, ", "), strings.Repeat(", ?", len(r.cols)))
		_, err = tx.ExecContext(ctx, q, append([]any{r.device, int64(r.seq)}, r.vals...)...)
	}
	for _, d := range r.dropped {
		if err != nil {
			break
		}
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO dropped (device, first, last, seq) VALUES (?, ?, ?, ?)`,
			r.device, int64(d.First), int64(d.Last), int64(r.seq))
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO devices (device, contig, last_at) VALUES (?, ?, ?)
			ON CONFLICT (device) DO UPDATE SET contig = max(contig, excluded.contig), last_at = excluded.last_at`,
			r.device, int64(r.contig), r.at.UnixMilli())
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return false, fmt.Errorf("hq: store %s/%d: %w", r.device, r.seq, err)
	}
	return false, nil
}

func bump(ctx context.Context, tx *sql.Tx, name string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1`, name)
	return err
}

func insertRefused(ctx context.Context, tx *sql.Tx, device, reason string, at time.Time, size int, seq uint64) error {
	var s any
	if seq > 0 && seq <= math.MaxInt64 {
		s = int64(seq)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO refused (device, reason, at, size, seq) VALUES (?, ?, ?, ?, ?)`,
		device, reason, at.UnixMilli(), size, s)
	return err
}

// refuse stores a refusal of a message whose sequence is not received.
// seq is 0 when unknown or not authentic.
func (s *Store) refuse(ctx context.Context, device, reason string, at time.Time, size int, seq uint64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("hq: store refusal: %w", err)
	}
	defer tx.Rollback()
	if err := insertRefused(ctx, tx, device, reason, at, size, seq); err != nil {
		return fmt.Errorf("hq: store refusal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("hq: store refusal: %w", err)
	}
	return nil
}

// setState records a unit's retained state message.
func (s *Store) setState(ctx context.Context, device, state string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO devices (device, state, state_at) VALUES (?, ?, ?)
		ON CONFLICT (device) DO UPDATE SET state = excluded.state, state_at = excluded.state_at`,
		device, state, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("hq: store state of %s: %w", device, err)
	}
	return nil
}

// loadProgress fills t from the database: each device's stored contiguous
// sequence, the sequences received above it and the dropped ranges ending
// above it.
func (s *Store) loadProgress(ctx context.Context, t *tracker) error {
	type dev struct {
		name   string
		contig uint64
	}
	var devs []dev
	rows, err := s.db.QueryContext(ctx, `SELECT device, contig FROM devices`)
	if err != nil {
		return fmt.Errorf("hq: load progress: %w", err)
	}
	for rows.Next() {
		var d dev
		var c int64
		if err := rows.Scan(&d.name, &c); err != nil {
			rows.Close()
			return fmt.Errorf("hq: load progress: %w", err)
		}
		d.contig = uint64(c)
		devs = append(devs, d)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("hq: load progress: %w", err)
	}
	for _, d := range devs {
		seqs, err := queryUints(ctx, s.db, `SELECT seq FROM received WHERE device = ? AND seq > ? ORDER BY seq`, d.name, int64(d.contig))
		if err != nil {
			return fmt.Errorf("hq: load progress of %s: %w", d.name, err)
		}
		bounds, err := queryUints(ctx, s.db, `SELECT first, last FROM dropped WHERE device = ? AND last > ?`, d.name, int64(d.contig))
		if err != nil {
			return fmt.Errorf("hq: load progress of %s: %w", d.name, err)
		}
		var ranges []Range
		for i := 0; i+1 < len(bounds); i += 2 {
			ranges = append(ranges, Range{bounds[i], bounds[i+1]})
		}
		t.load(d.name, d.contig, seqs, ranges)
	}
	return nil
}

// queryUints returns every column of every row as uint64s, in order.
func queryUints(ctx context.Context, db *sql.DB, q string, args ...any) ([]uint64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []uint64
	vals := make([]int64, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			out = append(out, uint64(v))
		}
	}
	return out, rows.Err()
}

// purgeBatch is how many reads one purge transaction deletes, so that the
// receiver is never kept waiting long.
const purgeBatch = 500

// Purge deletes the reads captured before before, except those held as
// evidence (Hold), and returns how many it deleted. It deletes in small
// transactions, so it may run next to the receiver; the deleted content is
// overwritten in the file (secure_delete) and the write-ahead log is
// truncated at the end. The received table keeps the reads' (device, seq),
// which hold no plate data, for de-duplication.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `DELETE FROM reads WHERE rowid IN (
			SELECT rowid FROM reads WHERE time < ? AND id NOT IN (SELECT read_id FROM evidence) LIMIT ?)`,
			before.UnixMilli(), purgeBatch)
		if err != nil {
			return total, fmt.Errorf("hq: purge: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("hq: purge: %w", err)
		}
		total += n
		if n < purgeBatch {
			break
		}
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return total, fmt.Errorf("hq: purge: checkpoint: %w", err)
	}
	return total, nil
}

// Hold marks the read readID as evidence in case caseNo, so that Purge keeps
// it; by names who asked. Holding a read again in the same case is not an
// error. It returns an error wrapping ErrNoRead when no read has that id.
func (s *Store) Hold(ctx context.Context, readID, caseNo, by string, at time.Time) error {
	if readID == "" || caseNo == "" {
		return fmt.Errorf("hq: hold: read id and case number are required")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("hq: hold %s: %w", readID, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM reads WHERE id = ?`, readID).Scan(&n); err != nil {
		return fmt.Errorf("hq: hold %s: %w", readID, err)
	}
	if n == 0 {
		return fmt.Errorf("hq: hold %s: %w", readID, ErrNoRead)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO evidence (read_id, case_no, at, by) VALUES (?, ?, ?, ?)`,
		readID, caseNo, at.UnixMilli(), by); err != nil {
		return fmt.Errorf("hq: hold %s: %w", readID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("hq: hold %s: %w", readID, err)
	}
	return nil
}

// DeviceStats is one unit as the database knows it.
type DeviceStats struct {
	Device   string
	Ack      uint64    // highest contiguous sequence (what HQ acknowledges)
	Received int64     // messages received (duplicates excluded)
	LastAt   time.Time // when the last message was stored; zero: none
	State    string    // the unit's last retained state message, as sent
}

// Stats is what the database holds, for alprhq stats.
type Stats struct {
	Devices    []DeviceStats
	Received   map[string]int64 // by kind: read, alert, audit, event, health, selftest
	Reads      int64            // reads held now (after purges)
	Evidence   int64            // reads held as evidence
	Duplicates int64
	Refused    map[string]int64 // by reason
}

// Stats counts what the database holds.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Received: map[string]int64{}, Refused: map[string]int64{}}
	fail := func(err error) (Stats, error) { return Stats{}, fmt.Errorf("hq: stats: %w", err) }
	rows, err := s.db.QueryContext(ctx, `SELECT d.device, d.contig, coalesce(d.last_at, 0), coalesce(d.state, ''),
		(SELECT count(*) FROM received r WHERE r.device = d.device) FROM devices d ORDER BY d.device`)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var d DeviceStats
		var contig, last int64
		if err := rows.Scan(&d.Device, &contig, &last, &d.State, &d.Received); err != nil {
			rows.Close()
			return fail(err)
		}
		d.Ack = uint64(contig)
		if last != 0 {
			d.LastAt = time.UnixMilli(last).UTC()
		}
		st.Devices = append(st.Devices, d)
	}
	if err := rows.Close(); err != nil {
		return fail(err)
	}
	for _, g := range []struct {
		q string
		m map[string]int64
	}{
		{`SELECT kind, count(*) FROM received GROUP BY kind`, st.Received},
		{`SELECT reason, count(*) FROM refused GROUP BY reason`, st.Refused},
	} {
		rows, err := s.db.QueryContext(ctx, g.q)
		if err != nil {
			return fail(err)
		}
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return fail(err)
			}
			g.m[k] = n
		}
		if err := rows.Close(); err != nil {
			return fail(err)
		}
	}
	for _, c := range []struct {
		q string
		n *int64
	}{
		{`SELECT count(*) FROM reads`, &st.Reads},
		{`SELECT count(DISTINCT read_id) FROM evidence`, &st.Evidence},
		{`SELECT coalesce((SELECT n FROM counters WHERE name = 'duplicate'), 0)`, &st.Duplicates},
	} {
		if err := s.db.QueryRowContext(ctx, c.q).Scan(c.n); err != nil {
			return fail(err)
		}
	}
	return st, nil
}
