package prov

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// SigningKey is HQ's Ed25519 key for hot lists and commands.
type SigningKey struct {
	Private ed25519.PrivateKey
}

// NewSigningKey returns a fresh Ed25519 signing key.
func NewSigningKey() (*SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("prov: generate signing key: %w", err)
	}
	return &SigningKey{Private: priv}, nil
}

// PrivatePEM returns the private key as PKCS#8 PEM ("PRIVATE KEY").
func (k *SigningKey) PrivatePEM() ([]byte, error) { return MarshalPrivateKey(k.Private) }

// PublicPEM returns the public key as PKIX PEM ("PUBLIC KEY").
func (k *SigningKey) PublicPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Private.Public())
	if err != nil {
		return nil, fmt.Errorf("prov: marshal signing public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// KeyID returns the signing key's id: hex of the first 8 bytes of SHA-256
// over its PKIX DER public key.
func (k *SigningKey) KeyID() string {
	der, err := x509.MarshalPKIXPublicKey(k.Private.Public())
	if err != nil { // cannot happen for an Ed25519 key
		panic(err)
	}
	return KeyID(der)
}

// KeyID returns hex of the first 8 bytes of SHA-256 over pkixDER, a public
// key's PKIX (SubjectPublicKeyInfo) DER.
func KeyID(pkixDER []byte) string {
	sum := sha256.Sum256(pkixDER)
	return hex.EncodeToString(sum[:8])
}

// ParseSigningPublicKey parses a PKIX PEM ("PUBLIC KEY") Ed25519 public key
// and returns it with its key id.
func ParseSigningPublicKey(data []byte) (ed25519.PublicKey, string, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, "", errors.New(`prov: signing public key: want a PEM "PUBLIC KEY" block`)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("prov: signing public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, "", fmt.Errorf("prov: signing public key: %T, want Ed25519", k)
	}
	return pub, KeyID(b.Bytes), nil
}

// ParseSigningKey parses a PKCS#8 PEM ("PRIVATE KEY") Ed25519 private key.
func ParseSigningKey(data []byte) (*SigningKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New(`prov: signing key: want a PEM "PRIVATE KEY" block`)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("prov: signing key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("prov: signing key: %T, want Ed25519", k)
	}
	return &SigningKey{Private: priv}, nil
}
