package hotlist

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"alprd/firmware/hqsign"
	"alprd/firmware/record"
	"alprd/ocr"
)

func cands(texts ...string) []ocr.Candidate {
	var c []ocr.Candidate
	for i, t := range texts {
		c = append(c, ocr.Candidate{Text: t, Confidence: 90 - float64(i)})
	}
	return c
}

// plates returns the plates the store matches exactly for each of texts.
func matched(s *Store, state string, at time.Time, texts ...string) []string {
	var out []string
	for _, t := range texts {
		for _, h := range s.Lookup(t, state, at) {
			out = append(out, h.Entry.Plate+"/"+h.Entry.Type)
		}
	}
	return out
}

func openStore(t *testing.T, files Files, ring *hqsign.Keyring) *Store {
	t.Helper()
	s, err := Open(files, ring, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	rowSV = "add,7ABC123,CA,SV,,stolen vehicle,SVS-1,CA0190000,doj,2026-11-20T00:00:00Z,"
	rowFV = "add,4XYZ987,CA,FV,1,\"armed, dangerous\",F-2,CA0190000,doj,,"
	rowAA = "add,8DEF456,,AA,,Amber alert,AA-17,,dispatch,,2027-01-01T00:00:00Z"
)

func TestApplyAndReopen(t *testing.T) {
	s1 := newSigner(t)
	files := newDirFiles(t)
	st := openStore(t, files, s1.ring)
	if v := st.Version(); v != 0 {
		t.Fatalf("empty store: got version %d, want 0", v)
	}
	rep, err := st.Apply(s1.snapshot(t, 10, rowSV, rowFV))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Version != 10 || rep.Kind != KindSnapshot || rep.Rows != 2 || rep.Added != 2 || rep.Entries != 2 || rep.New.Len() != 2 {
		t.Errorf("report: got %+v", rep)
	}
	if rep.KeyID != hqsign.KeyID(s1.priv.Public().(ed25519.PublicKey)) {
		t.Errorf("report key: got %q", rep.KeyID)
	}
	rep, err = st.Apply(s1.delta(t, 10, 11, rowAA, "remove,4XYZ987,CA,,,,,,,,"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Removed != 1 || rep.Entries != 2 || rep.New.Len() != 1 {
		t.Errorf("delta report: got added %d removed %d entries %d new %d, want 1 1 2 1", rep.Added, rep.Removed, rep.Entries, rep.New.Len())
	}
	if got := matched(st, "CA", now, "7ABC123", "4XYZ987", "8DEF456"); fmt.Sprint(got) != "[7ABC123/SV 8DEF456/AA]" {
		t.Errorf("after delta: got %v", got)
	}
	hs := st.Lookup("4XYZ987", "", now)
	if len(hs) != 0 {
		t.Errorf("removed entry still matches: %v", hs)
	}
	// A new store over the same files has the same list.
	st2 := openStore(t, files, s1.ring)
	if st2.Version() != 11 || st2.Status().Entries != 2 || st2.Status().Deltas != 1 || st2.Status().Problem != "" {
		t.Errorf("reopened: got %+v, want version 11, 2 entries, 1 delta", st2.Status())
	}
	if got := matched(st2, "CA", now, "7ABC123", "4XYZ987", "8DEF456"); fmt.Sprint(got) != "[7ABC123/SV 8DEF456/AA]" {
		t.Errorf("reopened: got %v", got)
	}
	e := st2.Lookup("7ABC123", "CA", now)[0].Entry
	want := record.HotEntry{Plate: "7ABC123", State: "CA", Type: "SV", Priority: 2, Reason: "stolen vehicle", Case: "SVS-1",
		Agency: "CA0190000", EnteredBy: "doj", Entered: ms(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)), Source: record.SourceHQ}
	if e != want {
		t.Errorf("entry: got %+v, want %+v", e, want)
	}
	// A new snapshot replaces the list and empties the deltas.
	rep, err = st2.Apply(s1.snapshot(t, 12, rowFV, rowSV))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Updated != 1 || rep.Removed != 1 || rep.New.Len() != 1 || rep.New.Entries()[0].Plate != "4XYZ987" {
		t.Errorf("replacing snapshot: got added %d updated %d removed %d, new %v; want 1 1 1 [4XYZ987]", rep.Added, rep.Updated, rep.Removed, rep.New.Entries())
	}
	st3 := openStore(t, files, s1.ring)
	if got := matched(st3, "CA", now, "7ABC123", "4XYZ987", "8DEF456"); fmt.Sprint(got) != "[7ABC123/SV 4XYZ987/FV]" || st3.Status().Deltas != 0 {
		t.Errorf("after snapshot, reopened: got %v, %d deltas", got, st3.Status().Deltas)
	}
}

func TestApplyRefused(t *testing.T) {
	s1, other := newSigner(t), newSigner(t)
	good := s1.snapshot(t, 5, rowSV)
	flippedBody := bytes.Clone(good)
	flippedBody[bytes.Index(flippedBody, []byte("7ABC123"))] = '1'
	// Flip one bit of the signature itself, keeping its base64 well formed.
	sigAt := bytes.LastIndexByte(good, ' ') + 1
	sig, err := base64.StdEncoding.DecodeString(string(good[sigAt : len(good)-1]))
	if err != nil {
		t.Fatal(err)
	}
	sig[10] ^= 1
	flippedSig := append(append(bytes.Clone(good[:sigAt]), base64.StdEncoding.EncodeToString(sig)...), '\n')
	unsigned := good[:bytes.LastIndex(good, []byte("#signature"))]
	for _, tc := range []struct {
		name string
		file []byte
		want error
		text string
	}{
		{"unsigned", unsigned, ErrUnsigned, ""},
		{"unknown key", other.snapshot(t, 5, rowSV), hqsign.ErrUnknownKey, ""},
		{"flipped byte in the rows", flippedBody, hqsign.ErrBadSignature, ""},
		{"flipped byte in the signature", flippedSig, hqsign.ErrBadSignature, ""},
		{"version backwards", s1.snapshot(t, 3, rowSV), ErrStale, "version 3, in force 4"},
		{"version equal", s1.snapshot(t, 4, rowSV), ErrStale, "version 4, in force 4"},
		{"delta on another base", s1.delta(t, 3, 5, rowSV), ErrBase, "delta for version 3, in force 4"},
		{"unknown key and stale: signature first", other.snapshot(t, 1, rowSV), hqsign.ErrUnknownKey, ""},
		{"not a hot list", []byte("hello\n"), nil, "not a v1 hot list file"},
		{"CRLF", s1.signRaw(strings.ReplaceAll(string(s1.snapshot(t, 5, rowSV)), "\n", "\r\n")), nil, "line 1: carriage return"},
		{"remove of nothing", s1.delta(t, 4, 5, "remove,9ZZZ999,CA,,,,,,,,"), nil, "line 7: remove 9ZZZ999 CA: no such entry in version 4"},
	} {
		files := newDirFiles(t)
		st := openStore(t, files, s1.ring)
		if _, err := st.Apply(s1.snapshot(t, 4, rowFV)); err != nil {
			t.Fatal(err)
		}
		writes := files.writes
		_, err := st.Apply(tc.file)
		if err == nil {
			t.Errorf("%s: got no error", tc.name)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), "hotlist: ") {
			t.Errorf("%s: got %q, want hotlist: ...%s...", tc.name, err, tc.text)
		}
		// The list in force stays, in memory and in storage.
		if st.Version() != 4 || fmt.Sprint(matched(st, "CA", now, "4XYZ987", "7ABC123")) != "[4XYZ987/FV]" {
			t.Errorf("%s: list in force changed: version %d, %v", tc.name, st.Version(), matched(st, "CA", now, "4XYZ987", "7ABC123"))
		}
		if files.writes != writes {
			t.Errorf("%s: refused file written to storage", tc.name)
		}
	}
}

func TestApplyBadRows(t *testing.T) {
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	file := s1.signRaw(strings.Join([]string{
		"#alprd-hotlist v1", "#kind snapshot", "#version 2", "#created 2026-11-27T08:00:00Z", columns,
		rowSV,                               // 6
		"add,7AB-C!,CA,SV,,,,,,,",           // 7
		"add,1ABC123,CA,XX,,,,,,,",          // 8
		"add,2ABC123,CA,SV,7,,,,,,",         // 9
		"add,3ABC123,CA,SV,,,,,,yesterday,", // 10
		"add,4ABC123,CA,SV,,,,,",            // 11
		"remove,5ABC123,CA,,,,,,,,",         // 12
		"add,6ABC123,ca,SV,,,,,,,",          // 13
		"add,7ABC123,CA,SV,,dup,,,,,",       // 14
		"add,\"8ABC\"123,CA,SV,,,,,,,",      // 15
		"",                                  // 16
		"add,9ABC123,CA,SV,,\"ok, \"\"quoted\"\"\",,,,,", // 17: good
		"add,ABCDEFGHIJK,CA,SV,,,,,,,",                   // 18
		"",
	}, "\n"))
	_, err := st.Apply(file)
	want := strings.Join([]string{
		`hotlist: line 7: plate "7AB-C!": character '!' not allowed`,
		`hotlist: line 8: type "XX": unknown list type`,
		`hotlist: line 9: priority "7": want 1, 2 or 3`,
		`hotlist: line 10: entered "yesterday": want an RFC 3339 time`,
		`hotlist: line 11: 9 fields, want 11`,
		`hotlist: line 12: remove row in a snapshot`,
		`hotlist: line 13: state "ca": want empty or two upper-case letters`,
		`hotlist: line 14: duplicate of line 6 (7ABC123 CA SV)`,
		`hotlist: line 15: extraneous or missing " in a quoted field`,
		`hotlist: line 16: empty line`,
		`hotlist: line 18: plate "ABCDEFGHIJK": 11 characters, at most 10`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	var re *RowError
	if !errors.As(err, &re) || re.Line != 7 {
		t.Errorf("errors.As RowError: got %v", re)
	}
	if st.Version() != 0 {
		t.Errorf("refused file put in force: version %d", st.Version())
	}
	// Many bad rows: the first 20 and a count.
	var rows []string
	for i := range 25 {
		rows = append(rows, fmt.Sprintf("add,BAD%d!,CA,SV,,,,,,,", i))
	}
	_, err = st.Apply(s1.signRaw("#alprd-hotlist v1\n#kind snapshot\n#version 2\n#created 2026-11-27T08:00:00Z\n" + columns + "\n" + strings.Join(rows, "\n") + "\n"))
	if err == nil || strings.Count(err.Error(), "\n") != 20 || !strings.HasSuffix(err.Error(), "hotlist: 5 more bad rows") {
		t.Errorf("25 bad rows: got %v", err)
	}
}

func TestHeaderErrors(t *testing.T) {
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	for _, tc := range []struct{ header, want string }{
		{"#kind snapshot\n#version 2\n", "#created is missing"},
		{"#kind delta\n#version 2\n#created 2026-11-27T08:00:00Z\n", "#base is missing"},
		{"#kind snapshot\n#version 2\n#base 1\n#created 2026-11-27T08:00:00Z\n", "#base 1 in a snapshot"},
		{"#kind delta\n#version 2\n#base 2\n#created 2026-11-27T08:00:00Z\n", "delta version 2 is not greater than its base 2"},
		{"#kind snapshot\n#version 02\n#created 2026-11-27T08:00:00Z\n", `line 3: header #version "02"`},
		{"#kind snapshot\n#kind snapshot\n", "line 3: header #kind given twice"},
		{"#kind full\n", `line 2: header #kind "full": want snapshot or delta`},
		{"#kind snapshot\n#version 2\n#created yesterday\n", `line 4: header #created "yesterday": want an RFC 3339 time`},
		{"#kind snapshot\n#version 2\n#created 2026-11-27T08:00:00Z\n#colour blue\n", "line 5: unknown header #colour"},
		{"#kind snapshot\n#version 2\n#created 2026-11-27T08:00:00Z\n#source\n", `line 5: header line "#source"`},
	} {
		_, err := st.Apply(s1.signRaw("#alprd-hotlist v1\n" + tc.header + columns + "\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want ...%s...", tc.header, err, tc.want)
		}
	}
	for _, tc := range []struct{ file, want string }{
		{"#alprd-hotlist v1\n#kind snapshot\n#version 2\n#created 2026-11-27T08:00:00Z\nop,plate\n#signature ed25519 0123456789abcdef " + strings.Repeat("A", 86) + "==\n", `line 5: column line "op,plate"`},
		{"#alprd-hotlist v1\n#signature ed25519 0123456789ABCDEF " + strings.Repeat("A", 86) + "==\n", "key id"},
		{"#alprd-hotlist v1\n#signature rsa 0123456789abcdef " + strings.Repeat("A", 86) + "==\n", `signature algorithm "rsa"`},
		{"#alprd-hotlist v1\n#signature ed25519 0123456789abcdef AAAA\n", "want 64 bytes"},
		{"#alprd-hotlist v1\n#signature ed25519 0123456789abcdef " + strings.Repeat("A", 86) + "==", "no line feed after the signature line"},
		{"", "empty file"},
	} {
		_, err := st.Apply([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want ...%s...", tc.file, err, tc.want)
		}
	}
}

func TestDeltas(t *testing.T) {
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	steps := []struct {
		file    []byte
		added   int
		updated int
		removed int
		want    string // Entries, sorted plate/type:priority
	}{
		{s1.snapshot(t, 1, rowSV, rowFV), 2, 0, 0, "4XYZ987/FV:1 7ABC123/SV:2"},
		// Update (new priority), add to another type of the same plate.
		{s1.delta(t, 1, 2, "add,7ABC123,CA,SV,1,,,,,,", "add,7ABC123,CA,SP,,,,,,,"), 1, 1, 0, "4XYZ987/FV:1 7ABC123/SP:2 7ABC123/SV:1"},
		// Remove every type of a plate, then add one back: in order.
		{s1.delta(t, 2, 3, "remove,7ABC123,CA,,,,,,,,", "add,7ABC123,CA,FV,,,,,,,"), 1, 0, 2, "4XYZ987/FV:1 7ABC123/FV:1"},
		// Remove one type only; a removal must match the state.
		{s1.delta(t, 3, 4, "remove,7ABC123,CA,FV,,,,,,,", "add,4XYZ987,NV,FV,,,,,,,"), 1, 0, 1, "4XYZ987/FV:1 4XYZ987/FV:1"},
	}
	for i, step := range steps {
		rep, err := st.Apply(step.file)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if rep.Added != step.added || rep.Updated != step.updated || rep.Removed != step.removed {
			t.Errorf("step %d: got added %d updated %d removed %d, want %d %d %d", i, rep.Added, rep.Updated, rep.Removed, step.added, step.updated, step.removed)
		}
		if got := entryList(st.Entries(Filter{})); got != step.want {
			t.Errorf("step %d: got %s, want %s", i, got, step.want)
		}
	}
	// A delta adding one key twice is refused.
	_, err := st.Apply(s1.delta(t, 4, 5, "add,1AAA111,,SV,,,,,,,", "add,1AAA111,,SV,,,,,,,"))
	if err == nil || !strings.Contains(err.Error(), "line 8: duplicate of line 7 (1AAA111 SV)") {
		t.Errorf("duplicate add: got %v", err)
	}
}

func entryList(es []record.HotEntry) string {
	var s []string
	for _, e := range es {
		s = append(s, fmt.Sprintf("%s/%s:%d", e.Plate, e.Type, e.Priority))
	}
	slicesSort(s)
	return strings.Join(s, " ")
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestDeltasCompaction applies enough deltas to merge the overlay into the
// base several times, checking the list against a map all along.
func TestDeltasCompaction(t *testing.T) {
	s1 := newSigner(t)
	files := newDirFiles(t)
	st := openStore(t, files, s1.ring)
	g := newPlateGen(3)
	want := map[string]bool{}
	var rows []string
	for range 6000 {
		p := g.next()
		if !want[p] {
			want[p] = true
			rows = append(rows, "add,"+p+",,SV,,,,,,,")
		}
	}
	if _, err := st.Apply(s1.snapshot(t, 1, rows...)); err != nil {
		t.Fatal(err)
	}
	version := uint64(1)
	for range 6 {
		var d []string
		n := 0
		for p := range want { // map order: random removals
			if n++; n > 1500 {
				break
			}
			d = append(d, "remove,"+p+",,,,,,,,,")
			delete(want, p)
		}
		for range 1500 {
			p := g.next() + "Z"
			if !want[p] {
				want[p] = true
				d = append(d, "add,"+p+",,SV,,,,,,,")
			}
		}
		if _, err := st.Apply(s1.delta(t, version, version+1, d...)); err != nil {
			t.Fatal(err)
		}
		version++
	}
	check := func(st *Store) {
		t.Helper()
		es := st.Entries(Filter{})
		if len(es) != len(want) {
			t.Fatalf("got %d entries, want %d", len(es), len(want))
		}
		for _, e := range es {
			if !want[e.Plate] {
				t.Fatalf("entry %s should be gone", e.Plate)
			}
		}
		for p := range want {
			if len(st.Lookup(p, "", now)) != 1 {
				t.Fatalf("entry %s not found", p)
			}
		}
	}
	check(st)
	st2 := openStore(t, files, s1.ring)
	if st2.Status().Deltas != 6 {
		t.Errorf("reopened: got %d deltas, want 6", st2.Status().Deltas)
	}
	check(st2)
}

func TestExpiry(t *testing.T) {
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	expired := "add,1OLD111,,SV,,,,,,,2020-01-01T00:00:00Z"
	rep, err := st.Apply(s1.snapshot(t, 1, expired, rowAA))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expired != 1 || rep.Entries != 2 {
		t.Errorf("report: got expired %d entries %d, want 1 2", rep.Expired, rep.Entries)
	}
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		plate string
		at    time.Time
		want  int
	}{
		{"1OLD111", now, 0},
		{"1OLD111", time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), 1},
		{"8DEF456", exp.Add(-time.Millisecond), 1},
		{"8DEF456", exp, 0},
	} {
		if got := len(st.Match(cands(tc.plate), "", tc.at)); got != tc.want {
			t.Errorf("%s at %s: got %d hits, want %d", tc.plate, tc.at, got, tc.want)
		}
	}
}

func TestManual(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s1 := newSigner(t)
		files := newDirFiles(t)
		st := openStore(t, files, s1.ring)
		start := time.Now().UTC()
		week := record.Millis(start.Add(7 * 24 * time.Hour))
		good := record.HotEntry{Plate: "9mnp-321", State: "ca", Type: "BOLO", Reason: "robbery suspect", Case: "24-1187", Expires: week}
		for _, tc := range []struct {
			name string
			e    record.HotEntry
			by   string
			want string
		}{
			{"no officer", good, " ", "hotlist: manual entry: entered by is required"},
			{"no reason", record.HotEntry{Plate: "1AAA111", Case: "1", Expires: week}, "ofc", "hotlist: manual entry: reason is required"},
			{"no case", record.HotEntry{Plate: "1AAA111", Reason: "x", Expires: week}, "ofc", "hotlist: manual entry: case number is required"},
			{"no expiry", record.HotEntry{Plate: "1AAA111", Reason: "x", Case: "1"}, "ofc", "hotlist: manual entry: expiry is required"},
			{"past expiry", record.HotEntry{Plate: "1AAA111", Reason: "x", Case: "1", Expires: record.Millis(start.Add(-time.Second))}, "ofc",
				"hotlist: manual entry: expiry 1999-12-31T23:59:59Z is not in the future"},
			{"bad plate", record.HotEntry{Plate: "1A!", Reason: "x", Case: "1", Expires: week}, "ofc", `hotlist: manual entry: plate "1A!": character '!' not allowed`},
			{"bad type", record.HotEntry{Plate: "1AAA111", Type: "ZZ", Reason: "x", Case: "1", Expires: week}, "ofc", `hotlist: manual entry: type "ZZ": unknown list type`},
		} {
			if err := st.AddManual(tc.e, tc.by); err == nil || err.Error() != tc.want {
				t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
			}
		}
		if err := st.AddManual(good, "ofc. smith"); err != nil {
			t.Fatal(err)
		}
		if err := st.AddManual(good, "ofc. jones"); !errors.Is(err, ErrExists) {
			t.Errorf("same entry again: got %v, want ErrExists", err)
		}
		if err := st.AddManual(record.HotEntry{Plate: "1AAA111", Reason: "x", Case: "2", Expires: week}, "ofc. smith"); err != nil {
			t.Fatal(err)
		}
		hs := st.Match(cands("9MNP321"), "CA", time.Now())
		want := record.HotEntry{Plate: "9MNP321", State: "CA", Type: "BOLO", Priority: 2, Reason: "robbery suspect", Case: "24-1187",
			EnteredBy: "ofc. smith", Entered: record.Millis(start), Expires: week, Source: record.SourceManual}
		if len(hs) != 1 || hs[0].Entry != want {
			t.Fatalf("manual hit: got %+v, want %+v", hs, want)
		}
		if got := st.Entries(Filter{Source: record.SourceManual}); len(got) != 2 {
			t.Errorf("manual entries: got %d, want 2", len(got))
		}
		// An HQ snapshot replaces HQ's list, not the manual entries.
		if _, err := st.Apply(s1.snapshot(t, 1, rowSV)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(s1.snapshot(t, 2, rowFV)); err != nil {
			t.Fatal(err)
		}
		if got := matched(st, "CA", time.Now(), "9MNP321", "1AAA111", "7ABC123", "4XYZ987"); fmt.Sprint(got) != "[9MNP321/BOLO 1AAA111/OT 4XYZ987/FV]" {
			t.Errorf("after snapshots: got %v", got)
		}
		// Remove one; a reopened store has the other, as it was entered.
		for _, tc := range []struct{ plate, state, by, reason, want string }{
			{"1AAA111", "", "", "recovered", "removed by is required"},
			{"1AAA111", "", "ofc. smith", "", "reason is required"},
			{"1AAA111", "CA", "ofc. smith", "recovered", "no such manual entry: 1AAA111 CA"},
			{"7ABC123", "CA", "ofc. smith", "recovered", "no such manual entry"},
		} {
			if err := st.RemoveManual(tc.plate, tc.state, tc.by, tc.reason); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("remove %+v: got %v, want ...%s", tc, err, tc.want)
			}
		}
		if err := st.RemoveManual("1aaa-111", "", "ofc. smith", "recovered"); err != nil {
			t.Fatal(err)
		}
		st2 := openStore(t, files, s1.ring)
		if got := st2.Entries(Filter{Source: record.SourceManual}); len(got) != 1 || got[0] != want {
			t.Errorf("reopened manual entries: got %+v, want [%+v]", got, want)
		}
		if got := matched(st2, "CA", time.Now(), "9MNP321", "1AAA111", "4XYZ987"); fmt.Sprint(got) != "[9MNP321/BOLO 4XYZ987/FV]" {
			t.Errorf("reopened: got %v", got)
		}
		// Expired manual entries stop matching, and are dropped at the next change.
		time.Sleep(8 * 24 * time.Hour)
		if got := st2.Match(cands("9MNP321"), "CA", time.Now()); len(got) != 0 {
			t.Errorf("expired manual entry matches: %v", got)
		}
		if err := st2.AddManual(record.HotEntry{Plate: "2BBB222", Reason: "x", Case: "3", Expires: record.Millis(time.Now().Add(time.Hour))}, "ofc. jones"); err != nil {
			t.Fatal(err)
		}
		if got := st2.Entries(Filter{Source: record.SourceManual}); len(got) != 1 || got[0].Plate != "2BBB222" {
			t.Errorf("after expiry: got %+v, want only 2BBB222", got)
		}
	})
}

func TestEntriesFilter(t *testing.T) {
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	if _, err := st.Apply(s1.snapshot(t, 1, rowSV, rowFV, rowAA, "add,7ABC123,CA,SP,,,,,,,")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{}, 4},
		{Filter{Plate: "7abc-123"}, 2},
		{Filter{Plate: "7ABC123", Type: "SP"}, 1},
		{Filter{Type: "AA"}, 1},
		{Filter{Limit: 3}, 3},
		{Filter{Source: record.SourceManual}, 0},
		{Filter{Plate: "!"}, 0},
		{Filter{Type: "nope"}, 0},
	} {
		if got := len(st.Entries(tc.f)); got != tc.want {
			t.Errorf("%+v: got %d entries, want %d", tc.f, got, tc.want)
		}
	}
}

func TestAgeAndStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s1 := newSigner(t)
		st := openStore(t, newDirFiles(t), s1.ring)
		if st.Age() != 0 {
			t.Errorf("no list: got age %v, want 0", st.Age())
		}
		h := Header{Kind: KindSnapshot, Version: 3, Created: time.Now().Add(-90 * time.Minute), Source: "CA DOJ"}
		if _, err := st.Apply(s1.file(t, h, rowSV)); err != nil {
			t.Fatal(err)
		}
		if got := st.Age(); got != 90*time.Minute {
			t.Errorf("got age %v, want 1h30m", got)
		}
		time.Sleep(time.Hour)
		if got := st.Age(); got != 150*time.Minute {
			t.Errorf("an hour later: got age %v, want 2h30m", got)
		}
		s := st.Status()
		if s.Version != 3 || s.Kind != KindSnapshot || s.Source != "CA DOJ" || s.Entries != 1 || s.KeyID == "" {
			t.Errorf("status: got %+v", s)
		}
	})
}

// failFiles fails reads.
type failFiles struct{ dirFiles }

func (f *failFiles) ReadFile(string) ([]byte, error) { return nil, errTest }

func TestOpenStoredFiles(t *testing.T) {
	s1, s2 := newSigner(t), newSigner(t)
	files := newDirFiles(t)
	st := openStore(t, files, s1.ring)
	if _, err := st.Apply(s1.snapshot(t, 1, rowSV)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(s1.delta(t, 1, 2, rowFV)); err != nil {
		t.Fatal(err)
	}
	// The key was dropped from the keyring: the stored list is refused,
	// reported, and the store runs without it.
	st2 := openStore(t, files, s2.ring)
	if st2.Version() != 0 || !strings.Contains(st2.Status().Problem, "hotlist-snapshot: hotlist: hqsign: unknown key") {
		t.Errorf("dropped key: got version %d, problem %q", st2.Version(), st2.Status().Problem)
	}
	// A tampered stored snapshot is refused the same way.
	snap, _ := files.ReadFile(FileSnapshot)
	snap[bytes.Index(snap, []byte("7ABC123"))] = '1'
	if err := files.WriteFile(FileSnapshot, snap); err != nil {
		t.Fatal(err)
	}
	st3 := openStore(t, files, s1.ring)
	if st3.Version() != 0 || !strings.Contains(st3.Status().Problem, "bad signature") {
		t.Errorf("tampered: got version %d, problem %q", st3.Version(), st3.Status().Problem)
	}
	// A power cut between writing a new snapshot and emptying the deltas:
	// the old deltas are skipped.
	files2 := newDirFiles(t)
	st4 := openStore(t, files2, s1.ring)
	for _, f := range [][]byte{s1.snapshot(t, 1, rowSV), s1.delta(t, 1, 2, rowFV)} {
		if _, err := st4.Apply(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := files2.WriteFile(FileSnapshot, s1.snapshot(t, 3, rowAA)); err != nil {
		t.Fatal(err)
	}
	st5 := openStore(t, files2, s1.ring)
	if st5.Version() != 3 || st5.Status().Problem != "" || fmt.Sprint(matched(st5, "", now, "7ABC123", "4XYZ987", "8DEF456")) != "[8DEF456/AA]" {
		t.Errorf("stale deltas: got version %d, problem %q, %v", st5.Version(), st5.Status().Problem, matched(st5, "", now, "7ABC123", "4XYZ987", "8DEF456"))
	}
	// A storage read error is an error of Open.
	if _, err := Open(&failFiles{}, s1.ring, nil); !errors.Is(err, errTest) {
		t.Errorf("read error: got %v, want %v", err, errTest)
	}
	if _, err := Open(nil, s1.ring, nil); err == nil {
		t.Error("nil files: got no error")
	}
}

func TestApplyWriteFailure(t *testing.T) {
	s1 := newSigner(t)
	files := newDirFiles(t)
	st := openStore(t, files, s1.ring)
	if _, err := st.Apply(s1.snapshot(t, 1, rowSV)); err != nil {
		t.Fatal(err)
	}
	files.fail = errTest
	if _, err := st.Apply(s1.delta(t, 1, 2, rowFV)); !errors.Is(err, errTest) {
		t.Errorf("delta: got %v, want %v", err, errTest)
	}
	if _, err := st.Apply(s1.snapshot(t, 2, rowFV)); !errors.Is(err, errTest) {
		t.Errorf("snapshot: got %v, want %v", err, errTest)
	}
	if st.Version() != 1 || len(st.Lookup("4XYZ987", "", now)) != 0 {
		t.Errorf("unstored file put in force: version %d", st.Version())
	}
	files.fail = nil
	if _, err := st.Apply(s1.delta(t, 1, 2, rowFV)); err != nil {
		t.Fatalf("after the disk recovered: %v", err)
	}
	if _, err := files.ReadFile(FileDeltas); errors.Is(err, fs.ErrNotExist) {
		t.Error("deltas not stored")
	}
}

// TestConcurrentMatch matches while files are applied (run with -race).
func TestConcurrentMatch(t *testing.T) {
	s1 := newSigner(t)
	st := openStore(t, newDirFiles(t), s1.ring)
	files := [][]byte{s1.snapshot(t, 1, rowSV)}
	for v := uint64(2); v < 20; v++ {
		files = append(files, s1.delta(t, v-1, v, fmt.Sprintf("add,%dAAA111,,SV,,,,,,,", v)))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			v := st.Version()
			if hs := st.Match(cands("7ABC123", "7A8C123"), "CA", now); v > 0 && len(hs) != 1 {
				t.Errorf("got %d hits, want 1", len(hs))
				return
			}
		}
	})
	for _, f := range files {
		if _, err := st.Apply(f); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}
