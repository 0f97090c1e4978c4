package hqsign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyPEMRoundTrip(t *testing.T) {
	priv := newKey(t)
	pemPriv, err := MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemPriv, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("private PEM starts %q, want a PRIVATE KEY block", pemPriv[:30])
	}
	got, err := ParsePrivateKey(pemPriv)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(priv) {
		t.Error("parsed private key differs from the marshalled one")
	}
	pub := priv.Public().(ed25519.PublicKey)
	pemPub, err := MarshalPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemPub, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Errorf("public PEM starts %q, want a PUBLIC KEY block", pemPub[:30])
	}
	gotPub, err := ParsePublicKey(pemPub)
	if err != nil {
		t.Fatal(err)
	}
	if !gotPub.Equal(pub) {
		t.Error("parsed public key differs from the marshalled one")
	}
}

func TestParseErrors(t *testing.T) {
	priv := newKey(t)
	pemPriv, _ := MarshalPrivateKey(priv)
	pemPub, _ := MarshalPublicKey(priv.Public().(ed25519.PublicKey))
	for _, tc := range []struct {
		name string
		fn   func([]byte) error
		in   []byte
	}{
		{"private from public PEM", func(b []byte) error { _, err := ParsePrivateKey(b); return err }, pemPub},
		{"private from garbage", func(b []byte) error { _, err := ParsePrivateKey(b); return err }, []byte("nope")},
		{"public from private PEM", func(b []byte) error { _, err := ParsePublicKey(b); return err }, pemPriv},
		{"public from garbage", func(b []byte) error { _, err := ParsePublicKey(b); return err }, []byte("nope")},
		{"keyring from nothing", func(b []byte) error { _, err := ParseKeyring(b); return err }, nil},
		{"keyring with a private key", func(b []byte) error { _, err := ParseKeyring(b); return err }, append(append([]byte{}, pemPub...), pemPriv...)},
	} {
		err := tc.fn(tc.in)
		if err == nil {
			t.Errorf("%s: got no error, want one", tc.name)
			continue
		}
		if !regexp.MustCompile(`^hqsign: `).MatchString(err.Error()) {
			t.Errorf("%s: got %q, want an error prefixed hqsign:", tc.name, err)
		}
	}
}

func TestKeyID(t *testing.T) {
	pub := newKey(t).Public().(ed25519.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	want := hex.EncodeToString(sum[:8])
	if got := KeyID(pub); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(want) {
		t.Errorf("key id %q: want 16 lower-case hex digits", want)
	}
	if got := KeyID(pub[:5]); got != "" {
		t.Errorf("short key: got %q, want empty", got)
	}
}

func TestSignVerify(t *testing.T) {
	a, b, other := newKey(t), newKey(t), newKey(t)
	ring := NewKeyring(a.Public().(ed25519.PublicKey), b.Public().(ed25519.PublicKey))
	data := []byte("#alprd-hotlist v1\n")
	idA, sigA := Sign(a, data)
	idB, sigB := Sign(b, data)
	idO, sigO := Sign(other, data)
	flipped := bytes.Clone(sigA)
	flipped[10] ^= 1
	for _, tc := range []struct {
		name string
		id   string
		data []byte
		sig  []byte
		want error
	}{
		{"key a", idA, data, sigA, nil},
		{"key b (rotation)", idB, data, sigB, nil},
		{"unknown key", idO, data, sigO, ErrUnknownKey},
		{"flipped signature bit", idA, data, flipped, ErrBadSignature},
		{"other data", idA, []byte("#alprd-hotlist v2\n"), sigA, ErrBadSignature},
		{"short signature", idA, data, sigA[:63], ErrBadSignature},
		{"signature of the other key", idA, data, sigB, ErrBadSignature},
	} {
		err := ring.Verify(tc.id, tc.data, tc.sig)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	var none *Keyring
	if err := none.Verify(idA, data, sigA); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("nil keyring: got %v, want ErrUnknownKey", err)
	}
}

func TestLoadKeyring(t *testing.T) {
	a, b, c := newKey(t), newKey(t), newKey(t)
	pa, _ := MarshalPublicKey(a.Public().(ed25519.PublicKey))
	pb, _ := MarshalPublicKey(b.Public().(ed25519.PublicKey))
	pc, _ := MarshalPublicKey(c.Public().(ed25519.PublicKey))
	dir := t.TempDir()
	f1 := filepath.Join(dir, "current.pub.pem")
	f2 := filepath.Join(dir, "next.pub.pem")
	if err := os.WriteFile(f1, append(append(append([]byte{}, pa...), "comment between blocks\n"...), pb...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f2, pc, 0o600); err != nil {
		t.Fatal(err)
	}
	ring, err := LoadKeyring(f1, f2)
	if err != nil {
		t.Fatal(err)
	}
	if got := ring.Len(); got != 3 {
		t.Errorf("got %d keys, want 3", got)
	}
	for _, k := range []ed25519.PrivateKey{a, b, c} {
		id, sig := Sign(k, []byte("x"))
		if err := ring.Verify(id, []byte("x"), sig); err != nil {
			t.Errorf("key %s: %v", id, err)
		}
	}
	if _, err := LoadKeyring(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("missing file: got no error")
	}
	if _, err := LoadKeyring(); err == nil {
		t.Error("no files: got no error")
	}
}
