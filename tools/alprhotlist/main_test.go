package main

import (
	"bytes"
	"crypto/ed25519"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alprd/firmware/hotlist"
	"alprd/firmware/hqsign"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// call runs the command with stdin and returns its exit status and output.
func call(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := run(args, bytes.NewReader(stdin), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func TestConvertGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"svs.golden", []string{"convert-cadoj", "-type", "SV", "-agency", "CA0349400", "testdata/svs.tbl"}},
		{"sfr.golden", []string{"convert-cadoj", "-type", "FV", "testdata/sfr.tbl"}},
		{"layout.golden", []string{"convert-cadoj", "-type", "SP", "-layout", "plate=1-8,state=9-10", "testdata/svs.tbl"}},
	} {
		status, out, errOut := call(t, nil, tc.args...)
		if status != 0 {
			t.Fatalf("%v: exit status %d: %s", tc.args, status, errOut)
		}
		path := filepath.Join("testdata", tc.golden)
		if *update {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("%v: got\n%s\nwant (%s)\n%s", tc.args, out, path, want)
		}
	}
	// The repeated plate of svs.tbl is reported and skipped.
	_, _, errOut := call(t, nil, "convert-cadoj", "-type", "SV", "testdata/svs.tbl")
	if !strings.Contains(errOut, "testdata/svs.tbl:5: 1TST001 CA repeats testdata/svs.tbl:2, skipped") ||
		!strings.Contains(errOut, "4 rows (SV), 1 repeated plates skipped") {
		t.Errorf("stderr: got %q", errOut)
	}
}

// keys writes an HQ key pair as alprprov does and returns the file names.
func keys(t *testing.T) (key, pub string) {
	t.Helper()
	priv, err := hqsign.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, pub = filepath.Join(dir, "hq-signing.key"), filepath.Join(dir, "hq-signing.pub")
	kp, _ := hqsign.MarshalPrivateKey(priv)
	pp, _ := hqsign.MarshalPublicKey(priv.Public().(ed25519.PublicKey))
	if err := os.WriteFile(key, kp, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pp, 0o644); err != nil {
		t.Fatal(err)
	}
	return key, pub
}

// memFiles is the unit's storage, in memory.
type memFiles map[string][]byte

func (m memFiles) ReadFile(name string) ([]byte, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

func (m memFiles) WriteFile(name string, data []byte) error {
	m[name] = bytes.Clone(data)
	return nil
}

// TestRoundTrip converts, signs, verifies, diffs and applies on a unit's
// store: HQ's whole chain.
func TestRoundTrip(t *testing.T) {
	key, pub := keys(t)
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	status, body1, errOut := call(t, nil, "convert-cadoj", "-type", "SV", "testdata/svs.tbl")
	if status != 0 {
		t.Fatal(errOut)
	}
	status, snap1, errOut := call(t, []byte(body1), "sign", "-key", key, "-version", "100", "-source", "CA DOJ SVS", "-created", "2026-11-27T06:00:00Z")
	if status != 0 {
		t.Fatal(errOut)
	}
	f1 := write("v100.hotlist", snap1)
	status, out, errOut := call(t, nil, "verify", "-pub", pub, f1)
	if status != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{"v100.hotlist: ok, signed by key ", "kind     snapshot\n", "version  100\n", "created  2026-11-27T06:00:00Z\n",
		"source   CA DOJ SVS\n", "rows     4: 4 add, 0 remove\n", "types    SV 4\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify: got %q, want it to contain %q", out, want)
		}
	}
	// The next day's extract: one plate recovered, two new felony vehicles.
	status, body2, errOut := call(t, nil, "convert-cadoj", "-type", "SV", write("svs2.tbl", "DATE11/28/2026 06:00\n1TST001 CA0120261101\nTEST 12 CA1920261015\n2TST002 NV  20260301\n"))
	if status != 0 {
		t.Fatal(errOut)
	}
	status, body3, errOut := call(t, nil, "convert-cadoj", "-type", "FV", "testdata/sfr.tbl")
	if status != 0 {
		t.Fatal(errOut)
	}
	f2 := write("body2.csv", body2+strings.SplitN(body3, "\n", 2)[1])
	status, delta, errOut := call(t, nil, "diff", "-old", f1, "-new", f2)
	if status != 0 {
		t.Fatal(errOut)
	}
	if want := "op,plate,state,type,priority,reason,case,agency,entered_by,entered,expires\n" +
		"remove,3TST03,CA,SV,,,,,,,\n" +
		"add,4FEL004,CA,FV,1,felony vehicle (county 37),,,cadoj-import,2026-11-20T00:00:00Z,\n" +
		"add,5FEL005,AZ,FV,1,felony vehicle (county 01),,,cadoj-import,2026-11-21T00:00:00Z,\n"; delta != want {
		t.Errorf("diff: got\n%s\nwant\n%s", delta, want)
	}
	status, signedDelta, errOut := call(t, []byte(delta), "sign", "-key", key, "-version", "101", "-base", "100")
	if status != 0 {
		t.Fatal(errOut)
	}
	status, out, _ = call(t, nil, "verify", "-pub", pub, write("v101.hotlist", signedDelta))
	if status != 0 || !strings.Contains(out, "kind     delta\n") || !strings.Contains(out, "base     100\n") || !strings.Contains(out, "rows     3: 2 add, 1 remove\n") {
		t.Errorf("verify delta: status %d, got %q", status, out)
	}
	// On the unit.
	ring, err := hqsign.LoadKeyring(pub)
	if err != nil {
		t.Fatal(err)
	}
	st, err := hotlist.Open(memFiles{}, ring, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply([]byte(snap1)); err != nil {
		t.Fatal(err)
	}
	rep, err := st.Apply([]byte(signedDelta))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Version != 101 || rep.Entries != 5 || rep.Added != 2 || rep.Removed != 1 {
		t.Errorf("delta report: got %+v", rep)
	}
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	for plate, want := range map[string]int{"1TST001": 1, "TEST12": 1, "3TST03": 0, "4FEL004": 1, "5FEL005": 1} {
		if got := len(st.Lookup(plate, "", now)); got != want {
			t.Errorf("%s: got %d hits, want %d", plate, got, want)
		}
	}
	e := st.Lookup("4FEL004", "CA", now)[0].Entry
	if e.Type != "FV" || e.Priority != 1 || e.Reason != "felony vehicle (county 37)" || e.EnteredBy != "cadoj-import" {
		t.Errorf("entry: got %+v", e)
	}
}

func TestBadInput(t *testing.T) {
	key, pub := keys(t)
	_, otherPub := keys(t)
	dir := t.TempDir()
	body := "op,plate,state,type,priority,reason,case,agency,entered_by,entered,expires\nadd,7ABC123,CA,SV,,,,,,,\n"
	_, signed, _ := call(t, []byte(body), "sign", "-key", key, "-version", "3")
	good := filepath.Join(dir, "good.hotlist")
	os.WriteFile(good, []byte(signed), 0o644)
	tampered := filepath.Join(dir, "tampered.hotlist")
	os.WriteFile(tampered, []byte(strings.Replace(signed, "7ABC123", "7ABC124", 1)), 0o644)
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		status int
		want   string // in stderr
	}{
		{"no command", "", nil, 2, "usage: alprhotlist COMMAND"},
		{"unknown command", "", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"convert: no type", "", []string{"convert-cadoj", "testdata/svs.tbl"}, 2, `-type "": want SV, FV or SP`},
		{"convert: type AA", "", []string{"convert-cadoj", "-type", "AA", "testdata/svs.tbl"}, 2, `-type "AA"`},
		{"convert: no file", "", []string{"convert-cadoj", "-type", "SV"}, 2, "no extract FILE given"},
		{"convert: bad layout", "", []string{"convert-cadoj", "-type", "SV", "-layout", "plate=1-8", "testdata/svs.tbl"}, 2, "plate and state are required"},
		{"convert: bad layout range", "", []string{"convert-cadoj", "-type", "SV", "-layout", "plate=8-1,state=9-10", "testdata/svs.tbl"}, 2, `layout "plate=8-1"`},
		{"convert: missing file", "", []string{"convert-cadoj", "-type", "SV", "testdata/nope.tbl"}, 1, "no such file"},
		{"convert: bad rows", "", []string{"convert-cadoj", "-type", "SV", "testdata/bad.tbl"}, 1,
			"4 bad lines:\n  testdata/bad.tbl:2: plate \"7AB!C12\": character '!' not allowed\n" +
				"  testdata/bad.tbl:3: date of loss \"20261301\": want YYYYMMDD\n" +
				"  testdata/bad.tbl:4: state \"ca\": want two upper-case letters\n" +
				"  testdata/bad.tbl: footer says 9 records, the file has 3 (truncated extract?)"},
		{"sign: no key", body, []string{"sign", "-version", "1"}, 2, "-key is required"},
		{"sign: no version", body, []string{"sign", "-key", key}, 2, "-version is required"},
		{"sign: delta without base", body, []string{"sign", "-key", key, "-version", "2", "-kind", "delta"}, 2, "-base is required for a delta"},
		{"sign: snapshot with base", body, []string{"sign", "-key", key, "-version", "2", "-kind", "snapshot", "-base", "1"}, 2, "-base is for deltas only"},
		{"sign: bad created", body, []string{"sign", "-key", key, "-version", "2", "-created", "today"}, 2, `-created "today"`},
		{"sign: public key", body, []string{"sign", "-key", pub, "-version", "2"}, 1, `want a PEM "PRIVATE KEY" block`},
		{"sign: bad row", body + "add,BAD!,CA,SV,,,,,,,\n", []string{"sign", "-key", key, "-version", "2"}, 1,
			`alprhotlist sign: hotlist: line 7: plate "BAD!": character '!' not allowed`},
		{"sign: no column line", "add,7ABC123,CA,SV,,,,,,,\n", []string{"sign", "-key", key, "-version", "2"}, 1, "column line"},
		{"verify: no pub", "", []string{"verify", good}, 2, "-pub is required"},
		{"verify: no file", "", []string{"verify", "-pub", pub}, 2, "want one FILE, got 0"},
		{"verify: tampered", "", []string{"verify", "-pub", pub, tampered}, 1, "refused:\nhotlist: hqsign: bad signature"},
		{"verify: other key", "", []string{"verify", "-pub", otherPub, good}, 1, "hqsign: unknown key"},
		{"verify: not a key", "", []string{"verify", "-pub", good, good}, 1, `no PEM "PUBLIC KEY" block`},
		{"diff: no new", "", []string{"diff", "-old", good}, 2, "-old and -new are required"},
		{"diff: delta as old", "", []string{"diff", "-old", "testdata/bad.tbl", "-new", good}, 1, "column line"},
	} {
		status, _, errOut := call(t, []byte(tc.stdin), tc.args...)
		if status != tc.status || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: got status %d, stderr %q; want %d and %q", tc.name, status, errOut, tc.status, tc.want)
		}
	}
	if status, out, _ := call(t, nil, "-h"); status != 0 || !strings.Contains(out, "convert-cadoj") {
		t.Errorf("-h: got %d %q", status, out)
	}
	if status, _, errOut := call(t, nil, "sign", "-h"); status != 0 || !strings.Contains(errOut, "usage: alprhotlist sign -key") {
		t.Errorf("sign -h: got %d %q", status, errOut)
	}
}
