package hotlist

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"alprd/firmware/hqsign"
	"alprd/firmware/record"
)

// dirFiles is Files over a directory, atomic like the vault: temp file,
// fsync, rename, fsync of the directory.
type dirFiles struct {
	dir    string
	mu     sync.Mutex
	writes int
	fail   error // when set, WriteFile fails with it
}

func newDirFiles(t testing.TB) *dirFiles { return &dirFiles{dir: t.TempDir()} }

func (d *dirFiles) ReadFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.dir, name))
}

func (d *dirFiles) WriteFile(name string, data []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.writes++
	f, err := os.CreateTemp(d.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(d.dir, name)); err != nil {
		return err
	}
	dir, err := os.Open(d.dir)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// nullFiles stores nothing: for benchmarks.
type nullFiles struct{}

func (nullFiles) ReadFile(string) ([]byte, error) { return nil, fs.ErrNotExist }
func (nullFiles) WriteFile(string, []byte) error  { return nil }

// signer is an HQ key and the keyring that trusts it.
type signer struct {
	priv ed25519.PrivateKey
	ring *hqsign.Keyring
}

func newSigner(t testing.TB) signer {
	t.Helper()
	priv, err := hqsign.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return signer{priv, hqsign.NewKeyring(priv.Public().(ed25519.PublicKey))}
}

var created = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// snapshot signs a snapshot of version v with the given rows (CSV lines
// without the column line).
func (s signer) snapshot(t testing.TB, v uint64, rows ...string) []byte {
	t.Helper()
	return s.file(t, Header{Kind: KindSnapshot, Version: v, Created: created, Source: "test"}, rows...)
}

// delta signs a delta from base to v.
func (s signer) delta(t testing.TB, base, v uint64, rows ...string) []byte {
	t.Helper()
	return s.file(t, Header{Kind: KindDelta, Version: v, Base: base, Created: created.Add(time.Duration(v) * time.Minute)}, rows...)
}

func (s signer) file(t testing.TB, h Header, rows ...string) []byte {
	t.Helper()
	f, err := Sign(h, body(rows...), s.priv)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func body(rows ...string) []byte {
	var b bytes.Buffer
	b.WriteString(columns + "\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return b.Bytes()
}

// signRaw signs arbitrary text as a file, bypassing Sign's checks.
func (s signer) signRaw(text string) []byte {
	id, sig := hqsign.Sign(s.priv, []byte(text))
	return fmt.Appendf([]byte(text), "#signature ed25519 %s %s\n", id, base64.StdEncoding.EncodeToString(sig))
}

// plateGen makes plausible US plates.
type plateGen struct{ r *rand.Rand }

func newPlateGen(seed uint64) *plateGen {
	return &plateGen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var plateFormats = []string{"9LLL999", "9LLL999", "9LLL999", "LLL9999", "LLL999", "999LLL", "9LL9999", "LL99999"}

func (g *plateGen) next() string {
	f := plateFormats[g.r.IntN(len(plateFormats))]
	b := make([]byte, len(f))
	for i := range f {
		if f[i] == '9' {
			b[i] = byte('0' + g.r.IntN(10))
		} else {
			b[i] = byte('A' + g.r.IntN(26))
		}
	}
	return string(b)
}

var states = []string{"CA", "CA", "CA", "CA", "NV", "AZ", "OR", ""}
var types = []string{"SV", "SV", "SV", "SP", "FV", "WV", "AA", "BOLO"}

// bigBody returns the body of a snapshot of n distinct synthetic entries,
// and their plates.
func bigBody(n int, seed uint64) ([]byte, []string) {
	g := newPlateGen(seed)
	seen := make(map[string]bool, n)
	plates := make([]string, 0, n)
	var b bytes.Buffer
	b.Grow(n * 100)
	b.WriteString(columns + "\n")
	for len(plates) < n {
		p := g.next()
		if seen[p] {
			continue
		}
		seen[p] = true
		plates = append(plates, p)
		i := len(plates)
		typ := types[g.r.IntN(len(types))]
		fmt.Fprintf(&b, "add,%s,%s,%s,,%s,%s-2026-%07d,CA0%02d0000,doj-import,2026-%02d-%02dT00:00:00Z,\n",
			p, states[g.r.IntN(len(states))], typ, reasons[typ], typ, i, g.r.IntN(58)+1, g.r.IntN(11)+1, g.r.IntN(28)+1)
	}
	return b.Bytes(), plates
}

var reasons = map[string]string{"SV": "stolen vehicle", "SP": "stolen plate", "FV": "felony vehicle", "WV": "\"wanted person, warrant\"",
	"AA": "\"Amber alert, child in car\"", "BOLO": "be on the lookout"}

// must fails the test on err.
func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func entry(plate, state, typ string) record.HotEntry {
	return record.HotEntry{Plate: plate, State: state, Type: typ}
}

var errTest = errors.New("disk full")
