package envelope

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/fips140"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestHQKeyPEM(t *testing.T) {
	for _, tc := range []struct {
		suite             Suite
		privType, pubType string
	}{
		{SuiteP256, "PRIVATE KEY", "PUBLIC KEY"},
		{SuiteMLKEM768P256, PEMHPKEPrivateKey, PEMHPKEPublicKey},
	} {
		t.Run(string(tc.suite), func(t *testing.T) {
			k, err := GenerateHQKey(tc.suite)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.KEM().ID(); got != tc.suite.KEMID() {
				t.Fatalf("KEM: got %#04x, want %#04x", got, tc.suite.KEMID())
			}
			privPEM, err := MarshalHQPrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := pem.Decode(privPEM); b == nil || b.Type != tc.privType {
				t.Fatalf("private PEM: got %.40q, want a %q block", privPEM, tc.privType)
			}
			// A file may hold other blocks first.
			k2, err := ParseHQPrivateKey(append(pem.EncodeToMemory(&pem.Block{Type: "COMMENT", Bytes: []byte("x")}), privPEM...))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := k.Bytes()
			raw2, _ := k2.Bytes()
			if !bytes.Equal(raw, raw2) || k2.KEM().ID() != k.KEM().ID() {
				t.Errorf("private key round trip: got %x (KEM %#04x), want %x (KEM %#04x)", raw2, k2.KEM().ID(), raw, k.KEM().ID())
			}
			pubPEM, err := MarshalHQPublicKey(k.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := pem.Decode(pubPEM); b == nil || b.Type != tc.pubType {
				t.Fatalf("public PEM: got %.40q, want a %q block", pubPEM, tc.pubType)
			}
			pub, err := ParseHQPublicKey(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pub.Bytes(), k.PublicKey().Bytes()) || pub.KEM().ID() != k.KEM().ID() {
				t.Errorf("public key round trip: got %x, want %x", pub.Bytes(), k.PublicKey().Bytes())
			}
			if !bytes.Equal(k2.PublicKey().Bytes(), pub.Bytes()) {
				t.Error("parsed private key's public half differs from the parsed public key")
			}

			// What the provisioning tool writes, the unit and HQ use.
			needHPKE(t, tc.suite)
			dev := testDeviceKey(t, 1)
			s, err := NewSealer(SealerConfig{Device: "unit-0001", Epoch: 3, HQKey: pub, Signer: dev})
			if err != nil {
				t.Fatal(err)
			}
			if s.Suite() != tc.suite {
				t.Errorf("Sealer suite: got %s, want %s", s.Suite(), tc.suite)
			}
			b, err := s.Seal(KindHealth, 1, []byte("ok"))
			if err != nil {
				t.Fatal(err)
			}
			_, p, err := NewOpener(HQKeyMap{3: k2}, DeviceKeyMap{"unit-0001": &dev.PublicKey}).Open(b)
			if err != nil || string(p) != "ok" {
				t.Errorf("open with parsed keys: got %q, %v, want %q", p, err, "ok")
			}
		})
	}
}

// TestHQKeyPEMP256InALPRDBlock: the ALPRD blocks also carry P-256 keys.
func TestHQKeyPEMP256InALPRDBlock(t *testing.T) {
	k := testHQKey(t, SuiteP256, 1)
	raw, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	id := []byte{0, byte(KEMP256)}
	priv, err := ParseHQPrivateKey(pem.EncodeToMemory(&pem.Block{Type: PEMHPKEPrivateKey, Bytes: append(id, raw...)}))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParseHQPublicKey(pem.EncodeToMemory(&pem.Block{Type: PEMHPKEPublicKey, Bytes: append(id, k.PublicKey().Bytes()...)}))
	if err != nil {
		t.Fatal(err)
	}
	if priv.KEM().ID() != KEMP256 || !bytes.Equal(priv.PublicKey().Bytes(), k.PublicKey().Bytes()) || !bytes.Equal(pub.Bytes(), k.PublicKey().Bytes()) {
		t.Errorf("got KEM %#04x, public %x and %x, want KEM %#04x, public %x", priv.KEM().ID(), priv.PublicKey().Bytes(), pub.Bytes(), KEMP256, k.PublicKey().Bytes())
	}
}

func TestHQKeyPEMRefused(t *testing.T) {
	// Keys of other kinds, made even in FIPS 140-only mode.
	var p384DER, p384PubDER, xDER, xPubDER, edDER []byte
	fips140.WithoutEnforcement(func() {
		p384 := mustP384(t)
		p384DER = must(x509.MarshalPKCS8PrivateKey(p384))
		p384PubDER = must(x509.MarshalPKIXPublicKey(&p384.PublicKey))
		x := must(ecdh.X25519().GenerateKey(rand.Reader))
		xDER = must(x509.MarshalPKCS8PrivateKey(x))
		xPubDER = must(x509.MarshalPKIXPublicKey(x.PublicKey()))
		_, edPriv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		edDER = must(x509.MarshalPKCS8PrivateKey(edPriv))
	})
	block := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("hello")},
		{"P-384 PKCS#8", block("PRIVATE KEY", p384DER)},
		{"X25519 PKCS#8", block("PRIVATE KEY", xDER)},
		{"Ed25519 PKCS#8", block("PRIVATE KEY", edDER)},
		{"junk PKCS#8", block("PRIVATE KEY", []byte{0x30, 0x03, 1, 2, 3})},
		{"ALPRD block, no KEM id", block(PEMHPKEPrivateKey, []byte{0})},
		{"ALPRD block, X25519 KEM", block(PEMHPKEPrivateKey, append([]byte{0, 0x20}, make([]byte, 32)...))},
		{"ALPRD block, short seed", block(PEMHPKEPrivateKey, append([]byte{0, 0x50}, make([]byte, 31)...))},
		{"public key only", block("PUBLIC KEY", p384PubDER)},
	} {
		t.Run("private/"+tc.name, func(t *testing.T) {
			if k, err := ParseHQPrivateKey(tc.data); err == nil {
				t.Fatalf("got a %#04x key, want an error", k.KEM().ID())
			} else if !strings.HasPrefix(err.Error(), "envelope: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"P-384 PKIX", block("PUBLIC KEY", p384PubDER)},
		{"X25519 PKIX", block("PUBLIC KEY", xPubDER)},
		{"ALPRD block, X25519 KEM", block(PEMHPKEPublicKey, append([]byte{0, 0x20}, make([]byte, 32)...))},
		{"ALPRD block, short key", block(PEMHPKEPublicKey, append([]byte{0, 0x50}, make([]byte, 1248)...))},
		{"private key only", block("PRIVATE KEY", p384DER)},
	} {
		t.Run("public/"+tc.name, func(t *testing.T) {
			if k, err := ParseHQPublicKey(tc.data); err == nil {
				t.Fatalf("got a %#04x key, want an error", k.KEM().ID())
			}
		})
	}
	if _, err := GenerateHQKey("x25519"); err == nil {
		t.Error("GenerateHQKey(x25519): got no error")
	}
}

// selfSigned returns a PEM certificate for key.
func selfSigned(t *testing.T, key *ecdsa.PrivateKey, cn string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestDeviceKeys(t *testing.T) {
	key := testDeviceKey(t, 1)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	sec1, _ := x509.MarshalECPrivateKey(key)
	pkix, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	block := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	cert := selfSigned(t, key, "unit-0001")

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"PKCS#8", block("PRIVATE KEY", pkcs8)},
		{"SEC 1", block("EC PRIVATE KEY", sec1)},
		{"certificate then key", append(bytes.Clone(cert), block("PRIVATE KEY", pkcs8)...)},
	} {
		t.Run("private/"+tc.name, func(t *testing.T) {
			got, err := ParseDeviceKey(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(key) {
				t.Error("got another key")
			}
		})
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"certificate", cert},
		{"PKIX", block("PUBLIC KEY", pkix)},
	} {
		t.Run("public/"+tc.name, func(t *testing.T) {
			got, err := ParseDevicePublicKey(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(&key.PublicKey) {
				t.Error("got another key")
			}
		})
	}

	var p384 *ecdsa.PrivateKey
	var p384DER, edDER, p384Cert []byte
	fips140.WithoutEnforcement(func() {
		p384 = mustP384(t)
		p384DER = must(x509.MarshalPKCS8PrivateKey(p384))
		_, edPriv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		edDER = must(x509.MarshalPKCS8PrivateKey(edPriv))
		p384Cert = selfSigned(t, p384, "p384")
	})
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"certificate only", cert},
		{"P-384", block("PRIVATE KEY", p384DER)},
		{"Ed25519", block("PRIVATE KEY", edDER)},
		{"junk", block("EC PRIVATE KEY", []byte{1, 2, 3})},
	} {
		t.Run("private refused/"+tc.name, func(t *testing.T) {
			if _, err := ParseDeviceKey(tc.data); err == nil {
				t.Fatal("got a key, want an error")
			}
		})
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"private key only", block("PRIVATE KEY", pkcs8)},
		{"P-384 certificate", p384Cert},
		{"junk certificate", block("CERTIFICATE", []byte{1, 2, 3})},
	} {
		t.Run("public refused/"+tc.name, func(t *testing.T) {
			if _, err := ParseDevicePublicKey(tc.data); err == nil {
				t.Fatal("got a key, want an error")
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustP384(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
