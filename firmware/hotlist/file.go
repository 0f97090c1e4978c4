package hotlist

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"alprd/firmware/hqsign"
	"alprd/firmware/record"
)

// Row operations.
const (
	OpAdd    = "add"
	OpRemove = "remove"
)

// Row is one row of a file, for tools. A remove row's Entry has only Plate,
// State and (possibly empty) Type.
type Row struct {
	Op    string // OpAdd or OpRemove
	Entry record.HotEntry
	Line  int // in the file or body it was read from; 0 for rows made by code
}

// File is a hot list file read whole, for tools (the unit's Store does not
// build Rows).
type File struct {
	Header
	KeyID string // the signing key's id
	Rows  []Row
}

// Verify checks file's layout and signature against keys and reads every
// row. It returns the same errors as Store.Apply, less the version checks.
func Verify(file []byte, keys *hqsign.Keyring) (*File, error) {
	p, err := split(file)
	if err != nil {
		return nil, err
	}
	if err := keys.Verify(p.keyID, p.signed, p.sig); err != nil {
		return nil, fmt.Errorf("hotlist: %w", err)
	}
	return p.file()
}

// Read is Verify without the signature check: for tools that read HQ's own
// files (diff).
func Read(file []byte) (*File, error) {
	p, err := split(file)
	if err != nil {
		return nil, err
	}
	return p.file()
}

func (p *parts) file() (*File, error) {
	rows, err := readRows(p.rows, p.rowLine, p.Kind)
	if err != nil {
		return nil, err
	}
	return &File{Header: p.Header, KeyID: p.keyID, Rows: rows}, nil
}

func readRows(b []byte, line int, kind string) ([]Row, error) {
	var rows []Row
	errs := parseRows(b, line, kind, func(r *row) {
		rows = append(rows, r.export())
	})
	if err := errs.err(); err != nil {
		return nil, err
	}
	return rows, nil
}

func (r *row) export() Row {
	e := record.HotEntry{Plate: unpack(r.plate), State: string(r.state), Type: listTypes[r.typ].Code}
	if r.op == opRemove {
		return Row{Op: OpRemove, Entry: e, Line: r.line}
	}
	e.Priority = int(r.prio)
	e.Reason, e.Case, e.Agency, e.EnteredBy = string(r.reason), string(r.caseNo), string(r.agency), string(r.by)
	e.Entered, e.Expires = millis(r.entered), millis(r.expires)
	e.Source = record.SourceHQ
	return Row{Op: OpAdd, Entry: e, Line: r.line}
}

// ParseBody reads a body: the column line then rows, as in a file of kind
// (snapshot or delta) but without header and signature; line numbers in
// errors count the column line as line 1.
func ParseBody(body []byte, kind string) ([]Row, error) {
	rows, err := bodyRows(body)
	if err != nil {
		return nil, err
	}
	return readRows(rows, 2, kind)
}

// bodyRows checks a body's column line and returns its rows, LF-terminated.
func bodyRows(body []byte) ([]byte, error) {
	if i := bytes.IndexByte(body, '\r'); i >= 0 {
		return nil, fmt.Errorf("hotlist: body line %d: carriage return (line ends must be LF alone)", lineOf(body, i))
	}
	col, rows, _ := bytes.Cut(body, []byte{'\n'})
	if string(col) != columns {
		return nil, fmt.Errorf("hotlist: body line 1: column line %s, want %q", quote(col), columns)
	}
	if len(rows) > 0 && rows[len(rows)-1] != '\n' {
		rows = append(slices.Clip(rows), '\n')
	}
	return rows, nil
}

// Sign makes a signed file of header h and body (the column line then rows;
// see ParseBody), after checking both: a malformed body is refused with the
// line numbers it will have in the file. Created is written in UTC with
// second precision.
func Sign(h Header, body []byte, priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("hotlist: sign: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	var hdr bytes.Buffer
	hdr.WriteString(magic)
	switch h.Kind {
	case KindSnapshot:
		if h.Base != 0 {
			return nil, fmt.Errorf("hotlist: sign: base %d in a snapshot", h.Base)
		}
	case KindDelta:
		if h.Base == 0 || h.Base >= h.Version {
			return nil, fmt.Errorf("hotlist: sign: delta base %d: want 1 to version-1 (%d)", h.Base, h.Version)
		}
	default:
		return nil, fmt.Errorf("hotlist: sign: kind %q: want %s or %s", h.Kind, KindSnapshot, KindDelta)
	}
	if h.Version == 0 {
		return nil, errors.New("hotlist: sign: version must be at least 1")
	}
	if h.Created.IsZero() {
		return nil, errors.New("hotlist: sign: created time is required")
	}
	if strings.ContainsAny(h.Source, "\r\n") || !utf8.ValidString(h.Source) {
		return nil, errors.New("hotlist: sign: source must be one line of UTF-8 text")
	}
	fmt.Fprintf(&hdr, "#kind %s\n#version %d\n", h.Kind, h.Version)
	if h.Kind == KindDelta {
		fmt.Fprintf(&hdr, "#base %d\n", h.Base)
	}
	fmt.Fprintf(&hdr, "#created %s\n", h.Created.UTC().Truncate(time.Second).Format(time.RFC3339))
	if s := strings.TrimSpace(h.Source); s != "" {
		fmt.Fprintf(&hdr, "#source %s\n", s)
	}
	rows, err := bodyRows(body)
	if err != nil {
		return nil, err
	}
	colLine := lineOf(hdr.Bytes(), hdr.Len())
	if err := parseRows(rows, colLine+1, h.Kind, nil).err(); err != nil {
		return nil, err
	}
	out := make([]byte, 0, hdr.Len()+len(columns)+1+len(rows)+120)
	out = append(out, hdr.Bytes()...)
	out = append(out, columns...)
	out = append(out, '\n')
	out = append(out, rows...)
	id, sig := hqsign.Sign(priv, out)
	out = append(out, sigTag...)
	out = append(out, "ed25519 "...)
	out = append(out, id...)
	out = append(out, ' ')
	out = base64.StdEncoding.AppendEncode(out, sig)
	return append(out, '\n'), nil
}

// WriteBody writes rows as a body: the column line then one CSV line per
// row, fields quoted where they hold a comma or a quote. A field with a line
// break is an error. Priority is written as given (0: empty, the type's
// default); times in UTC, RFC 3339 with the milliseconds they have.
func WriteBody(w io.Writer, rows []Row) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(columns)
	bw.WriteByte('\n')
	var f [nfields]string
	for i, r := range rows {
		e := &r.Entry
		f = [nfields]string{r.Op, e.Plate, e.State, e.Type}
		if r.Op == OpAdd {
			if e.Priority != 0 {
				f[4] = strconv.Itoa(e.Priority)
			}
			f[5], f[6], f[7], f[8] = e.Reason, e.Case, e.Agency, e.EnteredBy
			f[9], f[10] = formatTime(e.Entered), formatTime(e.Expires)
		} else if r.Op != OpRemove {
			return fmt.Errorf("hotlist: write body: row %d: op %q: want add or remove", i+1, r.Op)
		}
		for k, v := range f {
			if k > 0 {
				bw.WriteByte(',')
			}
			if strings.ContainsAny(v, "\r\n") {
				return fmt.Errorf("hotlist: write body: row %d: %s has a line break", i+1, fieldNames[k])
			}
			if strings.ContainsAny(v, ",\"") {
				bw.WriteByte('"')
				bw.WriteString(strings.ReplaceAll(v, `"`, `""`))
				bw.WriteByte('"')
			} else {
				bw.WriteString(v)
			}
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("hotlist: write body: %w", err)
	}
	return nil
}

func formatTime(m record.Millis) string {
	if m.IsZero() {
		return ""
	}
	return time.Time(m).UTC().Format(time.RFC3339Nano)
}

// rowKey is the identity of an entry.
type rowKey struct{ plate, state, typ string }

func keyOf(e *record.HotEntry) rowKey { return rowKey{e.Plate, e.State, e.Type} }

func compareKeys(a, b rowKey) int {
	return cmp.Or(cmp.Compare(a.plate, b.plate), cmp.Compare(a.state, b.state), cmp.Compare(a.typ, b.typ))
}

// Diff returns the rows of a delta that turns the list of snapshot rows old
// into that of snapshot rows new: a remove row (with its type) per entry of
// old missing from new, then an add row per entry of new missing from old or
// different there; each group sorted by plate, state and type. Rows must be
// add rows, as a snapshot's are.
func Diff(old, new []Row) ([]Row, error) {
	was := make(map[rowKey]record.HotEntry, len(old))
	for _, r := range old {
		if r.Op != OpAdd {
			return nil, fmt.Errorf("hotlist: diff: old row %d is %q, want add", r.Line, r.Op)
		}
		e := r.Entry
		e.Source = ""
		was[keyOf(&e)] = e
	}
	var adds []Row
	is := make(map[rowKey]bool, len(new))
	for _, r := range new {
		if r.Op != OpAdd {
			return nil, fmt.Errorf("hotlist: diff: new row %d is %q, want add", r.Line, r.Op)
		}
		e := r.Entry
		e.Source = ""
		k := keyOf(&e)
		is[k] = true
		if prev, ok := was[k]; !ok || !sameEntry(prev, e) {
			adds = append(adds, Row{Op: OpAdd, Entry: r.Entry})
		}
	}
	var removes []Row
	for k := range was {
		if !is[k] {
			removes = append(removes, Row{Op: OpRemove, Entry: record.HotEntry{Plate: k.plate, State: k.state, Type: k.typ}})
		}
	}
	byKey := func(a, b Row) int { return compareKeys(keyOf(&a.Entry), keyOf(&b.Entry)) }
	slices.SortFunc(removes, byKey)
	slices.SortFunc(adds, byKey)
	return append(removes, adds...), nil
}

func sameEntry(a, b record.HotEntry) bool {
	return a.Plate == b.Plate && a.State == b.State && a.Type == b.Type && a.Priority == b.Priority &&
		a.Reason == b.Reason && a.Case == b.Case && a.Agency == b.Agency && a.EnteredBy == b.EnteredBy &&
		time.Time(a.Entered).Equal(time.Time(b.Entered)) && time.Time(a.Expires).Equal(time.Time(b.Expires))
}
