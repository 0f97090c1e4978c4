package hqsign

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
)

// PEM block types of HQ's keys.
const (
	PEMPrivateKey = "PRIVATE KEY" // PKCS#8
	PEMPublicKey  = "PUBLIC KEY"  // PKIX
)

// Errors Verify returns; callers branch on them with errors.Is.
var (
	ErrUnknownKey   = errors.New("hqsign: unknown key")
	ErrBadSignature = errors.New("hqsign: bad signature")
)

// GenerateKey returns a new Ed25519 private key from crypto/rand.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("hqsign: generate key: %w", err)
	}
	return priv, nil
}

// MarshalPrivateKey returns priv as a PKCS#8 PEM "PRIVATE KEY" block.
func MarshalPrivateKey(priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("hqsign: marshal private key: %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("hqsign: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMPrivateKey, Bytes: der}), nil
}

// ParsePrivateKey parses the first PEM block of data, which must be a PKCS#8
// "PRIVATE KEY" holding an Ed25519 key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != PEMPrivateKey {
		return nil, fmt.Errorf("hqsign: parse private key: want a PEM %q block", PEMPrivateKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("hqsign: parse private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("hqsign: parse private key: %T, want Ed25519", k)
	}
	return priv, nil
}

// MarshalPublicKey returns pub as a PKIX PEM "PUBLIC KEY" block.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := pkix(pub)
	if err != nil {
		return nil, fmt.Errorf("hqsign: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMPublicKey, Bytes: der}), nil
}

// ParsePublicKey parses the first PEM block of data, which must be a PKIX
// "PUBLIC KEY" holding an Ed25519 key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("hqsign: parse public key: want a PEM %q block", PEMPublicKey)
	}
	return parsePublicBlock(b)
}

func parsePublicBlock(b *pem.Block) (ed25519.PublicKey, error) {
	if b.Type != PEMPublicKey {
		return nil, fmt.Errorf("hqsign: parse public key: PEM block %q, want %q", b.Type, PEMPublicKey)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("hqsign: parse public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("hqsign: parse public key: %T, want Ed25519", k)
	}
	return pub, nil
}

func pkix(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// KeyID returns pub's key id: lower-case hex of the first 8 bytes of SHA-256
// over its PKIX DER. It returns "" for a key of the wrong length.
func KeyID(pub ed25519.PublicKey) string {
	der, err := pkix(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// Sign signs data with priv and returns the key id of priv's public key and
// the 64-byte signature. Like ed25519.Sign, it panics if priv is not
// ed25519.PrivateKeySize bytes long.
func Sign(priv ed25519.PrivateKey, data []byte) (keyID string, sig []byte) {
	sig = ed25519.Sign(priv, data)
	return KeyID(priv.Public().(ed25519.PublicKey)), sig
}

// Keyring is the set of HQ public keys a unit trusts, by key id. The zero
// value trusts nothing. A Keyring is not modified after it is built, so it is
// safe for concurrent use; Add must not be called concurrently with Verify.
type Keyring struct {
	keys map[string]ed25519.PublicKey
}

// NewKeyring returns a keyring trusting pubs. It panics on a key of the wrong
// length (a programming error: parsed keys always have the right one).
func NewKeyring(pubs ...ed25519.PublicKey) *Keyring {
	k := &Keyring{}
	for _, p := range pubs {
		if err := k.Add(p); err != nil {
			panic(err)
		}
	}
	return k
}

// Add trusts pub as well.
func (k *Keyring) Add(pub ed25519.PublicKey) error {
	id := KeyID(pub)
	if id == "" {
		return fmt.Errorf("hqsign: add key: %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if k.keys == nil {
		k.keys = make(map[string]ed25519.PublicKey)
	}
	k.keys[id] = slices.Clone(pub)
	return nil
}

// ParseKeyring returns a keyring of every PEM "PUBLIC KEY" block in data (a
// file may hold several, e.g. the current and the next key). Text between
// blocks is ignored; a block of another type, a key that is not Ed25519 or
// no block at all is an error.
func ParseKeyring(data []byte) (*Keyring, error) {
	k := &Keyring{}
	if err := k.addPEM(data); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Keyring) addPEM(data []byte) error {
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		pub, err := parsePublicBlock(b)
		if err != nil {
			return err
		}
		if err := k.Add(pub); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("hqsign: keyring: no PEM %q block", PEMPublicKey)
	}
	return nil
}

// LoadKeyring reads the PEM files at paths (each with one or more "PUBLIC
// KEY" blocks) into one keyring. At least one path is required.
func LoadKeyring(paths ...string) (*Keyring, error) {
	if len(paths) == 0 {
		return nil, errors.New("hqsign: load keyring: no key file")
	}
	k := &Keyring{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("hqsign: load keyring: %w", err)
		}
		if err := k.addPEM(data); err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, p)
		}
	}
	return k, nil
}

// IDs returns the key ids of the trusted keys, sorted.
func (k *Keyring) IDs() []string {
	if k == nil {
		return nil
	}
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Len returns the number of trusted keys.
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.keys)
}

// Verify checks that sig is the signature of data by the trusted key keyID.
// The error wraps ErrUnknownKey when no trusted key has that id (a nil
// Keyring trusts nothing) and ErrBadSignature when the signature is wrong.
func (k *Keyring) Verify(keyID string, data, sig []byte) error {
	var pub ed25519.PublicKey
	if k != nil {
		pub = k.keys[keyID]
	}
	if pub == nil {
		return fmt.Errorf("%w %q", ErrUnknownKey, keyID)
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, data, sig) {
		return fmt.Errorf("%w (key %s)", ErrBadSignature, keyID)
	}
	return nil
}
