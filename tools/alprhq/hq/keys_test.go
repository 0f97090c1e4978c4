package hq

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"alprd/firmware/envelope"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadHQKeys(t *testing.T) {
	k1, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		t.Fatal(err)
	}
	k7, err := envelope.GenerateHQKey(envelope.SuiteMLKEM768P256)
	if err != nil {
		t.Fatal(err)
	}
	pem1, err := envelope.MarshalHQPrivateKey(k1)
	if err != nil {
		t.Fatal(err)
	}
	pem7, err := envelope.MarshalHQPrivateKey(k7)
	if err != nil {
		t.Fatal(err)
	}
	pub1, err := envelope.MarshalHQPublicKey(k1.PublicKey())
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "epoch-1.key"), pem1)
	writeFile(t, filepath.Join(dir, "epoch-1.pub"), pub1)
	writeFile(t, filepath.Join(dir, "epoch-7.key"), pem7)
	keys, err := LoadHQKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(keys)); !slices.Equal(got, []uint32{1, 7}) {
		t.Errorf("epochs %v, want [1 7]", got)
	}

	for _, tt := range []struct {
		name, file string
		data       []byte
		want       string // in the error
	}{
		{"misnamed", "hq.key", pem1, "epoch-<N>.key"},
		{"leading zero", "epoch-01.key", pem1, "decimal"},
		{"epoch 0", "epoch-0.key", pem1, "decimal"},
		{"too big", "epoch-4294967296.key", pem1, "decimal"},
		{"not a key", "epoch-2.key", pub1, "epoch-2.key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tt.file), tt.data)
			_, err := LoadHQKeys(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := LoadHQKeys(t.TempDir()); err == nil {
		t.Errorf("empty folder: got no error")
	}
}

// testCA is a CA that issues client certificates, as alprprov does.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue returns a client certificate (PEM) for cn and its key.
func (ca *testCA) issue(t *testing.T, cn string, notBefore time.Time) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key
}

func TestLoadDevices(t *testing.T) {
	ca := newTestCA(t, "Test PD ALPR CA")
	other := newTestCA(t, "Someone else")
	dir := t.TempDir()
	hour := time.Now().Add(-time.Hour)

	certA, _ := ca.issue(t, "unit-a", hour)
	certB, _ := ca.issue(t, "unit-b", hour)
	oldC, _ := ca.issue(t, "unit-c", hour)
	newC, keyC := ca.issue(t, "unit-c", hour.Add(time.Minute))
	foreign, _ := other.issue(t, "unit-f", hour)
	hqCert, _ := ca.issue(t, "hq-main", hour)
	badName, _ := ca.issue(t, "unit/x", hour)
	// The provisioning layout: devices/<id>/device.crt next to ca.crt.
	writeFile(t, filepath.Join(dir, "unit-a", "device.crt"), certA)
	writeFile(t, filepath.Join(dir, "unit-a", "ca.crt"), ca.pem)
	writeFile(t, filepath.Join(dir, "unit-b.crt"), certB)
	writeFile(t, filepath.Join(dir, "c", "new.crt"), newC)
	writeFile(t, filepath.Join(dir, "c", "old.crt"), oldC)
	writeFile(t, filepath.Join(dir, "unit-f.crt"), foreign)
	writeFile(t, filepath.Join(dir, "hq.crt"), hqCert)
	writeFile(t, filepath.Join(dir, "bad.crt"), badName)
	writeFile(t, filepath.Join(dir, "junk.crt"), []byte("not a certificate"))
	writeFile(t, filepath.Join(dir, "unit-a", "device.key"), []byte("ignored"))

	keys, err := LoadDevices(dir, ca.pool(), time.Now(), discard())
	if err != nil {
		t.Fatal(err)
	}
	if ids, want := slices.Sorted(maps.Keys(keys)), []string{"unit-a", "unit-b", "unit-c"}; !slices.Equal(ids, want) {
		t.Errorf("devices %v, want %v", ids, want)
	}
	if k := keys["unit-c"]; k == nil || !k.Equal(&keyC.PublicKey) {
		t.Errorf("unit-c: not the key of its latest certificate")
	}

	// Without a CA nothing is verified: the foreign unit is taken too.
	keys, err = LoadDevices(dir, nil, time.Now(), discard())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := keys["unit-f"]; !ok {
		t.Errorf("without a CA: unit-f missing")
	}
	// Expired at now: nothing usable.
	if _, err := LoadDevices(filepath.Join(dir, "unit-a"), ca.pool(), time.Now().Add(48*time.Hour), discard()); err == nil {
		t.Errorf("expired certificates: got no error")
	}
}

func TestValidDevice(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"unit-0042", true}, {"A.b_c-1", true}, {"", false}, {"-unit", false}, {"unit+1", false},
		{"a/b", false}, {"HQ-main", false}, {strings.Repeat("a", 64), true}, {strings.Repeat("a", 65), false},
	} {
		if err := validDevice(tt.id); (err == nil) != tt.ok {
			t.Errorf("validDevice(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
	}
}
