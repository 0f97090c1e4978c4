package hotlist

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// File kinds.
const (
	KindSnapshot = "snapshot" // the whole list
	KindDelta    = "delta"    // changes to the list of version Base
)

const (
	magic   = "#alprd-hotlist v1\n"
	columns = "op,plate,state,type,priority,reason,case,agency,entered_by,entered,expires"
	nfields = 11
	sigTag  = "#signature "
)

// maxErrors is how many bad rows an error names.
const maxErrors = 20

// ErrUnsigned reports a file without a signature line.
var ErrUnsigned = errors.New("hotlist: unsigned file (no signature line)")

// Header is a hot list file's header block.
type Header struct {
	Kind    string // KindSnapshot or KindDelta
	Version uint64 // strictly increasing over HQ's files
	Base    uint64 // delta only: the version it applies to
	Created time.Time
	Source  string // free text, may be empty
}

// RowError is one bad row of a file.
type RowError struct {
	Line   int // in the file, the magic line being 1
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("hotlist: line %d: %s", e.Line, e.Reason) }

// rowErrs collects bad rows: the first maxErrors, and how many in all.
type rowErrs struct {
	errs  []*RowError
	total int
}

func (e *rowErrs) add(line int, reason string) {
	if e.total++; len(e.errs) < maxErrors {
		e.errs = append(e.errs, &RowError{line, reason})
	}
}

// err returns nil or the bad rows joined, in line order, one per line.
func (e *rowErrs) err() error {
	if e.total == 0 {
		return nil
	}
	slices.SortStableFunc(e.errs, func(a, b *RowError) int { return a.Line - b.Line })
	errs := make([]error, 0, len(e.errs)+1)
	for _, r := range e.errs {
		errs = append(errs, r)
	}
	if more := e.total - len(e.errs); more > 0 {
		errs = append(errs, fmt.Errorf("hotlist: %d more bad rows", more))
	}
	return errors.Join(errs...)
}

// parts is a file cut at its landmarks.
type parts struct {
	Header
	keyID   string
	sig     []byte
	signed  []byte // every byte before the signature line
	rows    []byte // the rows, each ending with LF
	rowLine int    // line number of the first row
}

// lineOf returns the line number of byte offset i of file.
func lineOf(file []byte, i int) int { return 1 + bytes.Count(file[:i], []byte{'\n'}) }

func quote(b []byte) string {
	if len(b) > 60 {
		return strconv.Quote(string(b[:60])) + "..."
	}
	return strconv.Quote(string(b))
}

// split checks a file's layout and cuts it; it does not verify the
// signature nor read the rows.
func split(file []byte) (*parts, error) {
	if len(file) == 0 {
		return nil, errors.New("hotlist: empty file")
	}
	if i := bytes.IndexByte(file, '\r'); i >= 0 {
		return nil, fmt.Errorf("hotlist: line %d: carriage return (line ends must be LF alone)", lineOf(file, i))
	}
	if !bytes.HasPrefix(file, []byte(magic)) {
		first, _, _ := bytes.Cut(file, []byte{'\n'})
		return nil, fmt.Errorf("hotlist: not a v1 hot list file: first line %s, want %q", quote(first), magic[:len(magic)-1])
	}
	p := &parts{}
	if file[len(file)-1] != '\n' {
		last := file[bytes.LastIndexByte(file, '\n')+1:]
		if bytes.HasPrefix(last, []byte(sigTag)) {
			return nil, fmt.Errorf("hotlist: line %d: no line feed after the signature line", lineOf(file, len(file)-1))
		}
		return nil, fmt.Errorf("%w; the file does not end with a line feed (truncated?)", ErrUnsigned)
	}
	start := bytes.LastIndexByte(file[:len(file)-1], '\n') + 1
	sigLine := file[start : len(file)-1]
	if !bytes.HasPrefix(sigLine, []byte(sigTag)) {
		return nil, ErrUnsigned
	}
	if err := p.parseSignature(sigLine, lineOf(file, start)); err != nil {
		return nil, err
	}
	p.signed = file[:start]
	pos, line := len(magic), 2
	seen := map[string]bool{}
	for pos < len(p.signed) && p.signed[pos] == '#' {
		e := pos + bytes.IndexByte(p.signed[pos:], '\n')
		if err := p.parseHeader(p.signed[pos:e], line, seen); err != nil {
			return nil, err
		}
		pos, line = e+1, line+1
	}
	for _, name := range []string{"kind", "version", "created"} {
		if !seen[name] {
			return nil, fmt.Errorf("hotlist: header: #%s is missing", name)
		}
	}
	switch {
	case p.Kind == KindDelta && !seen["base"]:
		return nil, errors.New("hotlist: header: #base is missing (required in a delta)")
	case p.Kind == KindSnapshot && seen["base"]:
		return nil, fmt.Errorf("hotlist: header: #base %d in a snapshot", p.Base)
	case p.Kind == KindDelta && p.Base >= p.Version:
		return nil, fmt.Errorf("hotlist: header: delta version %d is not greater than its base %d", p.Version, p.Base)
	}
	e := bytes.IndexByte(p.signed[pos:], '\n')
	if e < 0 {
		return nil, fmt.Errorf("hotlist: line %d: column line missing", line)
	}
	if col := p.signed[pos : pos+e]; string(col) != columns {
		return nil, fmt.Errorf("hotlist: line %d: column line %s, want %q", line, quote(col), columns)
	}
	p.rows = p.signed[pos+e+1:]
	p.rowLine = line + 1
	return p, nil
}

func (p *parts) parseSignature(b []byte, line int) error {
	f := bytes.Split(b, []byte{' '})
	if len(f) != 4 {
		return fmt.Errorf("hotlist: line %d: signature line %s: want \"#signature ed25519 <keyid> <base64>\"", line, quote(b))
	}
	if string(f[1]) != "ed25519" {
		return fmt.Errorf("hotlist: line %d: signature algorithm %s, want ed25519", line, quote(f[1]))
	}
	if !isKeyID(f[2]) {
		return fmt.Errorf("hotlist: line %d: signature key id %s: want 16 lower-case hex digits", line, quote(f[2]))
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(string(f[3]))
	if err != nil || len(sig) != 64 {
		return fmt.Errorf("hotlist: line %d: signature: want 64 bytes in standard base64", line)
	}
	p.keyID, p.sig = string(f[2]), sig
	return nil
}

func isKeyID(b []byte) bool {
	if len(b) != 16 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (p *parts) parseHeader(b []byte, line int, seen map[string]bool) error {
	name, value, ok := bytes.Cut(b[1:], []byte{' '})
	if !ok || len(name) == 0 || len(value) == 0 {
		return fmt.Errorf("hotlist: line %d: header line %s: want \"#name value\"", line, quote(b))
	}
	n := string(name)
	if seen[n] {
		return fmt.Errorf("hotlist: line %d: header #%s given twice", line, n)
	}
	seen[n] = true
	bad := func(want string) error {
		return fmt.Errorf("hotlist: line %d: header #%s %s: want %s", line, n, quote(value), want)
	}
	switch n {
	case "kind":
		p.Kind = string(value)
		if p.Kind != KindSnapshot && p.Kind != KindDelta {
			return bad("snapshot or delta")
		}
	case "version", "base":
		v, err := strconv.ParseUint(string(value), 10, 64)
		if err != nil || v == 0 || value[0] == '0' {
			return bad("a decimal number from 1, without leading zeros")
		}
		if n == "version" {
			p.Version = v
		} else {
			p.Base = v
		}
	case "created":
		t, err := time.Parse(time.RFC3339, string(value))
		if err != nil {
			return bad("an RFC 3339 time")
		}
		p.Created = t.UTC()
	case "source":
		if !utf8.Valid(value) {
			return bad("UTF-8 text")
		}
		p.Source = string(value)
	default:
		return fmt.Errorf("hotlist: line %d: unknown header #%s", line, n)
	}
	return nil
}

// timeCache remembers the last time parsed: extracts repeat dates.
type timeCache struct {
	raw []byte
	ms  int64
}

func (c *timeCache) parse(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if c.raw != nil && bytes.Equal(b, c.raw) {
		return c.ms, true
	}
	ms, ok := parseTime(b)
	if ok {
		c.raw, c.ms = b, ms
	}
	return ms, ok
}

// parseTime parses an RFC 3339 time to Unix milliseconds, with a fast path
// for the common "2006-01-02T15:04:05Z".
func parseTime(b []byte) (int64, bool) {
	if len(b) == 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == 'Z' {
		y, ok1 := digits(b[0:4])
		mo, ok2 := digits(b[5:7])
		d, ok3 := digits(b[8:10])
		h, ok4 := digits(b[11:13])
		mi, ok5 := digits(b[14:16])
		s, ok6 := digits(b[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && h < 24 && mi < 60 && s < 60 {
			t := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
			if t.Day() == d {
				return t.UnixMilli(), true
			}
		}
		return 0, false
	}
	t, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// splitFields cuts one CSV record (one line, without its LF) into f. It
// follows encoding/csv (RFC 4180): a field may be quoted, "" in a quoted
// field is one quote, a quote in an unquoted field is an error. Quoted
// fields with "" are unescaped into fresh memory; every other field aliases
// ln.
func splitFields(ln []byte, f *[nfields][]byte) string {
	if bytes.IndexByte(ln, '"') < 0 {
		n := 0
		for {
			i := bytes.IndexByte(ln, ',')
			if i < 0 {
				break
			}
			if n == nfields-1 {
				return fmt.Sprintf("more than %d fields", nfields)
			}
			f[n] = ln[:i]
			ln = ln[i+1:]
			n++
		}
		if n != nfields-1 {
			return fmt.Sprintf("%d fields, want %d", n+1, nfields)
		}
		f[n] = ln
		return ""
	}
	n := 0
	for {
		if n == nfields {
			return fmt.Sprintf("more than %d fields", nfields)
		}
		if len(ln) > 0 && ln[0] == '"' {
			v, rest, msg := quoted(ln[1:])
			if msg != "" {
				return msg
			}
			f[n], ln = v, rest
		} else {
			i := bytes.IndexByte(ln, ',')
			if i < 0 {
				i = len(ln)
			}
			if bytes.IndexByte(ln[:i], '"') >= 0 {
				return fmt.Sprintf("field %d: bare \" in a non-quoted field", n+1)
			}
			f[n], ln = ln[:i], ln[i:]
		}
		n++
		if len(ln) == 0 {
			break
		}
		ln = ln[1:] // the comma
	}
	if n != nfields {
		return fmt.Sprintf("%d fields, want %d", n, nfields)
	}
	return ""
}

// quoted reads a quoted field's content (after its opening quote) and
// returns it unescaped and what follows its closing quote, which must be a
// comma or the end of the line.
func quoted(b []byte) (v, rest []byte, msg string) {
	var buf []byte
	for {
		i := bytes.IndexByte(b, '"')
		if i < 0 {
			return nil, nil, "extraneous or missing \" in a quoted field"
		}
		if i+1 < len(b) && b[i+1] == '"' {
			buf = append(buf, b[:i+1]...)
			b = b[i+2:]
			continue
		}
		if i+1 < len(b) && b[i+1] != ',' {
			return nil, nil, "extraneous or missing \" in a quoted field"
		}
		if buf == nil {
			return b[:i], b[i+1:], ""
		}
		return append(buf, b[:i]...), b[i+1:], ""
	}
}

func checkState(b []byte) string {
	if len(b) == 0 || (len(b) == 2 && b[0] >= 'A' && b[0] <= 'Z' && b[1] >= 'A' && b[1] <= 'Z') {
		return ""
	}
	return fmt.Sprintf("state %s: want empty or two upper-case letters", quote(b))
}

func checkText(name string, b []byte, limit int) string {
	if len(b) > limit {
		return fmt.Sprintf("%s: %d bytes, at most %d", name, len(b), limit)
	}
	if !utf8.Valid(b) {
		return name + ": not valid UTF-8"
	}
	return ""
}

// rowParser turns the fields of rows into rows.
type rowParser struct {
	kind             string
	f                [nfields][]byte
	entered, expires timeCache
}

// names of the fields, for messages.
var fieldNames = [nfields]string{"op", "plate", "state", "type", "priority", "reason", "case", "agency", "entered_by", "entered", "expires"}

// parse fills r from ln; the message says what is wrong.
func (p *rowParser) parse(ln []byte, r *row) string {
	if len(ln) == 0 {
		return "empty line"
	}
	if msg := splitFields(ln, &p.f); msg != "" {
		return msg
	}
	f := &p.f
	switch string(f[0]) {
	case "add":
		r.op = opAdd
	case "remove":
		if p.kind == KindSnapshot {
			return "remove row in a snapshot"
		}
		r.op = opRemove
	default:
		return fmt.Sprintf("op %s: want add or remove", quote(f[0]))
	}
	var ok bool
	if r.plate, ok = packPlate(f[1]); !ok {
		return plateError(f[1]).Error()
	}
	r.state = f[2]
	if msg := checkState(r.state); msg != "" {
		return msg
	}
	r.typ = 0
	if len(f[3]) > 0 {
		if r.typ = typeIndex(f[3]); r.typ == 0 {
			return fmt.Sprintf("type %s: unknown list type", quote(f[3]))
		}
	}
	if r.op == opRemove {
		for i := 4; i < nfields; i++ {
			if len(f[i]) > 0 {
				return fmt.Sprintf("remove row: %s must be empty", fieldNames[i])
			}
		}
		return ""
	}
	if r.typ == 0 {
		return "type is required"
	}
	switch {
	case len(f[4]) == 0:
		r.prio = uint8(listTypes[r.typ].Priority)
	case len(f[4]) == 1 && f[4][0] >= '1' && f[4][0] <= '3':
		r.prio = f[4][0] - '0'
	default:
		return fmt.Sprintf("priority %s: want 1, 2 or 3", quote(f[4]))
	}
	r.reason, r.caseNo, r.agency, r.by = f[5], f[6], f[7], f[8]
	for _, t := range textFields {
		if msg := checkText(t.name, t.get(r), t.max); msg != "" {
			return msg
		}
	}
	if r.entered, ok = p.entered.parse(f[9]); !ok {
		return fmt.Sprintf("entered %s: want an RFC 3339 time", quote(f[9]))
	}
	if r.expires, ok = p.expires.parse(f[10]); !ok {
		return fmt.Sprintf("expires %s: want an RFC 3339 time", quote(f[10]))
	}
	return ""
}

// parseRows reads rows (each ending with LF; the first is line line) and
// calls fn with each good row; fn must not keep r, whose byte fields alias
// rows. It returns the bad rows.
func parseRows(rows []byte, line int, kind string, fn func(r *row)) *rowErrs {
	errs := &rowErrs{}
	p := &rowParser{kind: kind}
	var r row
	for len(rows) > 0 {
		e := bytes.IndexByte(rows, '\n')
		if msg := p.parse(rows[:e], &r); msg != "" {
			errs.add(line, msg)
		} else if fn != nil {
			r.line = line
			fn(&r)
		}
		rows = rows[e+1:]
		line++
	}
	return errs
}
