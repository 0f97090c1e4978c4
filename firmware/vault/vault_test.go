package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func open(t *testing.T, dir string, key []byte) *Vault {
	t.Helper()
	v, err := Open(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	key := NewKey()
	v := open(t, dir, key)
	want := []byte("7ABC123,CA,SV")
	if err := v.WriteFile("hotlist", want); err != nil {
		t.Fatal(err)
	}
	got, err := open(t, dir, key).ReadFile("hotlist")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "hotlist"))
	if bytes.Contains(raw, []byte("7ABC123")) {
		t.Error("plain text on disk")
	}
	if fi, _ := os.Stat(filepath.Join(dir, "hotlist")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestMissing(t *testing.T) {
	_, err := open(t, t.TempDir(), NewKey()).ReadFile("nothing")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want fs.ErrNotExist", err)
	}
}

func TestTampered(t *testing.T) {
	dir := t.TempDir()
	key := NewKey()
	v := open(t, dir, key)
	if err := v.WriteFile("a", []byte("alerts")); err != nil {
		t.Fatal(err)
	}
	if err := v.WriteFile("b", []byte("manual entries")); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "a"))
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		os.WriteFile(filepath.Join(dir, "a"), bad, 0o600)
		if _, err := v.ReadFile("a"); !errors.Is(err, ErrTampered) {
			t.Fatalf("byte %d flipped: got %v, want ErrTampered", i, err)
		}
	}
	// Swapping files is detected: the name is bound.
	rawB, _ := os.ReadFile(filepath.Join(dir, "b"))
	os.WriteFile(filepath.Join(dir, "a"), rawB, 0o600)
	if _, err := v.ReadFile("a"); !errors.Is(err, ErrTampered) {
		t.Errorf("swapped file: got %v, want ErrTampered", err)
	}
	// Another key cannot read it.
	if _, err := open(t, dir, NewKey()).ReadFile("b"); !errors.Is(err, ErrTampered) {
		t.Errorf("foreign key: got %v, want ErrTampered", err)
	}
}

func TestBadNames(t *testing.T) {
	v := open(t, t.TempDir(), NewKey())
	for _, name := range []string{"", "../x", "a/b", ".hidden"} {
		if err := v.WriteFile(name, nil); err == nil {
			t.Errorf("WriteFile(%q): no error", name)
		}
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k := NewKey()
	raw := filepath.Join(dir, "raw")
	os.WriteFile(raw, k, 0o600)
	hexf := filepath.Join(dir, "hex")
	os.WriteFile(hexf, []byte(fmt.Sprintf("%x\n", k)), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abc"), 0o600)
	for _, p := range []string{raw, hexf} {
		got, err := LoadKey(p)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("LoadKey(%s) = %x, %v; want %x", filepath.Base(p), got, err, k)
		}
	}
	if _, err := LoadKey(short); err == nil {
		t.Error("short key accepted")
	}
	if _, err := Open(dir, []byte("short")); err == nil {
		t.Error("Open with a short key accepted")
	}
}
