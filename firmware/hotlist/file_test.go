package hotlist

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"alprd/firmware/hqsign"
	"alprd/firmware/record"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	s1 := newSigner(t)
	rows := []Row{
		{Op: OpAdd, Entry: record.HotEntry{Plate: "7ABC123", State: "CA", Type: "SV", Priority: 2, Reason: `said "armed", maybe`, Case: "C-1",
			Agency: "CA0190000", EnteredBy: "doj", Entered: ms(time.Date(2026, 11, 20, 1, 2, 3, 4e6, time.UTC)), Source: record.SourceHQ}},
		{Op: OpAdd, Entry: record.HotEntry{Plate: "8DEF456", Type: "AA", Priority: 1, Expires: ms(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)), Source: record.SourceHQ}},
	}
	var body bytes.Buffer
	if err := WriteBody(&body, rows); err != nil {
		t.Fatal(err)
	}
	wantBody := columns + "\n" +
		`add,7ABC123,CA,SV,2,"said ""armed"", maybe",C-1,CA0190000,doj,2026-11-20T01:02:03.004Z,` + "\n" +
		"add,8DEF456,,AA,1,,,,,,2027-01-01T00:00:00Z\n"
	if body.String() != wantBody {
		t.Errorf("body: got\n%s\nwant\n%s", body.String(), wantBody)
	}
	h := Header{Kind: KindSnapshot, Version: 42, Created: time.Date(2026, 11, 27, 8, 0, 0, 5, time.UTC), Source: "CA DOJ SVS"}
	file, err := Sign(h, body.Bytes(), s1.priv)
	if err != nil {
		t.Fatal(err)
	}
	head := "#alprd-hotlist v1\n#kind snapshot\n#version 42\n#created 2026-11-27T08:00:00Z\n#source CA DOJ SVS\n" + columns + "\n"
	if !bytes.HasPrefix(file, []byte(head)) {
		t.Errorf("file starts\n%s\nwant\n%s", file[:len(head)], head)
	}
	f, err := Verify(file, s1.ring)
	if err != nil {
		t.Fatal(err)
	}
	h.Created = h.Created.Truncate(time.Second)
	if f.Header != h || f.KeyID != hqsign.KeyID(s1.priv.Public().(ed25519.PublicKey)) {
		t.Errorf("header: got %+v %s, want %+v", f.Header, f.KeyID, h)
	}
	if len(f.Rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(f.Rows))
	}
	for i, r := range f.Rows {
		if r.Op != rows[i].Op || !sameEntry(r.Entry, rows[i].Entry) || r.Line != 7+i {
			t.Errorf("row %d: got %+v, want %+v at line %d", i, r, rows[i], 7+i)
		}
	}
	if _, err := Verify(file, newSigner(t).ring); !errors.Is(err, hqsign.ErrUnknownKey) {
		t.Errorf("other keyring: got %v, want ErrUnknownKey", err)
	}
	if _, err := Read(file); err != nil {
		t.Errorf("Read: %v", err)
	}
}

func TestSignRefusesBadInput(t *testing.T) {
	s1 := newSigner(t)
	ok := Header{Kind: KindSnapshot, Version: 1, Created: created}
	for _, tc := range []struct {
		name string
		h    Header
		body string
		want string
	}{
		{"bad row", ok, columns + "\nadd,7ABC123,CA,SV,,,,,,,\nadd,X!,CA,SV,,,,,,,\n", `hotlist: line 7: plate "X!": character '!' not allowed`},
		{"remove in snapshot", ok, columns + "\nremove,X,CA,,,,,,,,\n", "line 6: remove row in a snapshot"},
		{"no column line", ok, "add,7ABC123,CA,SV,,,,,,,\n", "body line 1: column line"},
		{"CRLF", ok, columns + "\r\n", "carriage return"},
		{"no version", Header{Kind: KindSnapshot, Created: created}, columns + "\n", "version must be at least 1"},
		{"bad kind", Header{Kind: "full", Version: 1, Created: created}, columns + "\n", `kind "full"`},
		{"delta base", Header{Kind: KindDelta, Version: 3, Base: 3, Created: created}, columns + "\n", "delta base 3"},
		{"snapshot base", Header{Kind: KindSnapshot, Version: 3, Base: 2, Created: created}, columns + "\n", "base 2 in a snapshot"},
		{"no created", Header{Kind: KindSnapshot, Version: 3}, columns + "\n", "created time is required"},
		{"two-line source", Header{Kind: KindSnapshot, Version: 3, Created: created, Source: "a\nb"}, columns + "\n", "source must be one line"},
	} {
		_, err := Sign(tc.h, []byte(tc.body), s1.priv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ...%s...", tc.name, err, tc.want)
		}
	}
	// A body without its final line feed is accepted.
	if _, err := Sign(ok, []byte(columns+"\nadd,7ABC123,CA,SV,,,,,,,"), s1.priv); err != nil {
		t.Errorf("no final LF: %v", err)
	}
}

func TestQuotedFields(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // reason field, or the error
	}{
		{`add,7ABC123,CA,SV,,plain,,,,,`, "plain"},
		{`add,7ABC123,CA,SV,,"a, b",,,,,`, "a, b"},
		{`add,7ABC123,CA,SV,,"say ""hi""",,,,,`, `say "hi"`},
		{`add,7ABC123,CA,SV,,"""",,,,,`, `"`},
		{`add,7ABC123,CA,SV,,"",,,,,`, ""},
		{`"add","7ABC123","CA","SV","","x","","","","",""`, "x"},
		{`add,7ABC123,CA,SV,, spaced ,,,,,`, " spaced "},
		{`add,7ABC123,CA,SV,,a"b,,,,,`, `error: field 6: bare " in a non-quoted field`},
		{`add,7ABC123,CA,SV,,"ab"c,,,,,`, `error: extraneous or missing " in a quoted field`},
		{`add,7ABC123,CA,SV,,"open,,,,,`, `error: extraneous or missing " in a quoted field`},
		{`add,7ABC123,CA,SV,,"x",,,,,,`, "error: more than 11 fields"},
		{`add,7ABC123,CA,SV,,x,,,,,,`, "error: more than 11 fields"},
		{`add,7ABC123,CA,SV,,"x",,,,`, "error: 10 fields, want 11"},
	} {
		rows, err := ParseBody([]byte(columns+"\n"+tc.line+"\n"), KindSnapshot)
		got := ""
		if err != nil {
			got = "error: " + strings.TrimPrefix(err.Error(), "hotlist: line 2: ")
		} else {
			got = rows[0].Entry.Reason
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestDiff(t *testing.T) {
	old := []Row{
		{Op: OpAdd, Entry: record.HotEntry{Plate: "1AAA111", Type: "SV", Priority: 2}},
		{Op: OpAdd, Entry: record.HotEntry{Plate: "2BBB222", State: "CA", Type: "SV", Priority: 2}},
		{Op: OpAdd, Entry: record.HotEntry{Plate: "3CCC333", Type: "SV", Priority: 2, Reason: "old"}},
	}
	new := []Row{
		{Op: OpAdd, Entry: record.HotEntry{Plate: "1AAA111", Type: "SV", Priority: 2}},
		{Op: OpAdd, Entry: record.HotEntry{Plate: "3CCC333", Type: "SV", Priority: 2, Reason: "new"}},
		{Op: OpAdd, Entry: record.HotEntry{Plate: "4DDD444", Type: "FV", Priority: 1}},
	}
	d, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", r.Op, r.Entry.Plate, r.Entry.State, r.Entry.Type, r.Entry.Reason))
	}
	if want := "[remove 2BBB222 CA SV  add 3CCC333  SV new add 4DDD444  FV ]"; fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
	// Applying the diff to old gives new.
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	var b bytes.Buffer
	WriteBody(&b, old)
	if _, err := st.Apply(must[[]byte](t)(Sign(Header{Kind: KindSnapshot, Version: 1, Created: created}, b.Bytes(), s1.priv))); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	WriteBody(&b, d)
	if _, err := st.Apply(must[[]byte](t)(Sign(Header{Kind: KindDelta, Version: 2, Base: 1, Created: created}, b.Bytes(), s1.priv))); err != nil {
		t.Fatal(err)
	}
	if got, want := entryList(st.Entries(Filter{})), "1AAA111/SV:2 3CCC333/SV:2 4DDD444/FV:1"; got != want {
		t.Errorf("after the diff: got %s, want %s", got, want)
	}
	if st.Entries(Filter{Plate: "3CCC333"})[0].Reason != "new" {
		t.Error("changed entry not updated")
	}
	if _, err := Diff([]Row{{Op: OpRemove}}, nil); err == nil {
		t.Error("remove row in old: got no error")
	}
}

func TestWriteBodyRefuses(t *testing.T) {
	var b bytes.Buffer
	if err := WriteBody(&b, []Row{{Op: OpAdd, Entry: record.HotEntry{Plate: "X", Type: "SV", Reason: "a\nb"}}}); err == nil || !strings.Contains(err.Error(), "reason has a line break") {
		t.Errorf("line break: got %v", err)
	}
	if err := WriteBody(&b, []Row{{Op: "update"}}); err == nil {
		t.Error("bad op: got no error")
	}
}
