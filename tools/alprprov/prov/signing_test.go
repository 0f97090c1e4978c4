package prov

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"testing"
)

func TestSigningKey(t *testing.T) {
	k, err := NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	privPEM, err := k.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := k.PublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	b, rest := pem.Decode(pubPEM)
	if b == nil || b.Type != "PUBLIC KEY" || len(rest) != 0 {
		t.Fatalf("public key PEM: got %q, want one PUBLIC KEY block", pubPEM)
	}
	sum := sha256.Sum256(b.Bytes)
	if got, want := k.KeyID(), hex.EncodeToString(sum[:8]); got != want {
		t.Errorf("key id: got %s, want %s", got, want)
	}
	pub, id, err := ParseSigningPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if id != k.KeyID() {
		t.Errorf("parsed key id: got %s, want %s", id, k.KeyID())
	}
	pb, _ := pem.Decode(privPEM)
	if pb == nil || pb.Type != "PRIVATE KEY" {
		t.Fatalf("private key PEM: got %.30q, want a PRIVATE KEY block", privPEM)
	}
	anyKey, err := x509.ParsePKCS8PrivateKey(pb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	priv, ok := anyKey.(ed25519.PrivateKey)
	if !ok {
		t.Fatalf("private key: got %T, want ed25519.PrivateKey", anyKey)
	}
	msg := []byte("hot list 2026-03-01")
	if !ed25519.Verify(pub, msg, ed25519.Sign(priv, msg)) {
		t.Error("a signature by the written private key does not verify under the written public key")
	}
	back, err := ParseSigningKey(privPEM)
	if err != nil || !back.Private.Equal(k.Private) {
		t.Errorf("ParseSigningKey: got %v, want the same key", err)
	}
	other, _ := NewSigningKey()
	if other.KeyID() == k.KeyID() {
		t.Error("two keys share a key id")
	}
	ca := newCA(t)
	caPEM, _ := ca.KeyPEM()
	if _, err := ParseSigningKey(caPEM); err == nil {
		t.Error("ParseSigningKey of an ECDSA key: got no error")
	}
	if _, _, err := ParseSigningPublicKey(ca.CertPEM()); err == nil {
		t.Error("ParseSigningPublicKey of a certificate: got no error")
	}
}
