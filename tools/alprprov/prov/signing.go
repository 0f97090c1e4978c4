package prov

import (
	"crypto/ed25519"
	"fmt"

	"alprd/firmware/hqsign"
)

// SigningKey is HQ's Ed25519 key for hot lists and commands; its formats
// and key id are firmware/hqsign's, which units verify with.
type SigningKey struct {
	Private ed25519.PrivateKey
}

// NewSigningKey returns a fresh Ed25519 signing key.
func NewSigningKey() (*SigningKey, error) {
	priv, err := hqsign.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("prov: %w", err)
	}
	return &SigningKey{Private: priv}, nil
}

// PrivatePEM returns the private key as PKCS#8 PEM ("PRIVATE KEY").
func (k *SigningKey) PrivatePEM() ([]byte, error) { return hqsign.MarshalPrivateKey(k.Private) }

// PublicPEM returns the public key as PKIX PEM ("PUBLIC KEY").
func (k *SigningKey) PublicPEM() ([]byte, error) {
	return hqsign.MarshalPublicKey(k.Private.Public().(ed25519.PublicKey))
}

// KeyID returns the signing key's id (hqsign.KeyID).
func (k *SigningKey) KeyID() string { return hqsign.KeyID(k.Private.Public().(ed25519.PublicKey)) }

// ParseSigningPublicKey parses a PKIX PEM ("PUBLIC KEY") Ed25519 public key
// and returns it with its key id.
func ParseSigningPublicKey(data []byte) (ed25519.PublicKey, string, error) {
	pub, err := hqsign.ParsePublicKey(data)
	if err != nil {
		return nil, "", fmt.Errorf("prov: %w", err)
	}
	return pub, hqsign.KeyID(pub), nil
}

// ParseSigningKey parses a PKCS#8 PEM ("PRIVATE KEY") Ed25519 private key.
func ParseSigningKey(data []byte) (*SigningKey, error) {
	priv, err := hqsign.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("prov: %w", err)
	}
	return &SigningKey{Private: priv}, nil
}
