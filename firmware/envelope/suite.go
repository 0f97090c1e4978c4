package envelope

import (
	"crypto/ecdh"
	"crypto/hpke"
	"fmt"
)

// Suite names an HPKE ciphersuite, as written in configuration and flags.
type Suite string

const (
	// SuiteP256 is DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
	SuiteP256 Suite = "p256"
	// SuiteMLKEM768P256 is the hybrid ML-KEM-768 + P-256 KEM
	// (draft-ietf-hpke-pq), HKDF-SHA256, AES-256-GCM.
	SuiteMLKEM768P256 Suite = "mlkem768-p256"
	// DefaultSuite is the suite used when configuration names none.
	DefaultSuite = SuiteP256
)

// HPKE algorithm ids (RFC 9180 section 7, draft-ietf-hpke-pq).
const (
	KEMP256         uint16 = 0x0010 // DHKEM(P-256, HKDF-SHA256)
	KEMMLKEM768P256 uint16 = 0x0050 // MLKEM768-P256
	KDFHKDFSHA256   uint16 = 0x0001
	AEADAES256GCM   uint16 = 0x0002
)

// Suites lists the supported suites, default first.
func Suites() []Suite { return []Suite{SuiteP256, SuiteMLKEM768P256} }

// ParseSuite returns the suite named s ("p256" or "mlkem768-p256").
func ParseSuite(s string) (Suite, error) {
	switch Suite(s) {
	case SuiteP256, SuiteMLKEM768P256:
		return Suite(s), nil
	}
	return "", fmt.Errorf("envelope: suite %q: want %q or %q", s, SuiteP256, SuiteMLKEM768P256)
}

// String returns the suite's name.
func (s Suite) String() string { return string(s) }

// KEMID returns the suite's HPKE KEM id, or 0 for an unknown suite.
func (s Suite) KEMID() uint16 {
	switch s {
	case SuiteP256:
		return KEMP256
	case SuiteMLKEM768P256:
		return KEMMLKEM768P256
	}
	return 0
}

// kem returns the suite's KEM.
func (s Suite) kem() (hpke.KEM, error) {
	switch s {
	case SuiteP256:
		return hpke.DHKEM(ecdh.P256()), nil
	case SuiteMLKEM768P256:
		return hpke.MLKEM768P256(), nil
	}
	return nil, fmt.Errorf("envelope: suite %q: want %q or %q", s, SuiteP256, SuiteMLKEM768P256)
}

// suiteOfKEM returns the suite whose KEM id is id, or "" when none is.
func suiteOfKEM(id uint16) Suite {
	switch id {
	case KEMP256:
		return SuiteP256
	case KEMMLKEM768P256:
		return SuiteMLKEM768P256
	}
	return ""
}

// encSize is the size of the KEM's encapsulated key.
func (s Suite) encSize() int {
	switch s {
	case SuiteP256:
		return 65 // uncompressed P-256 point
	case SuiteMLKEM768P256:
		return 1088 + 65 // ML-KEM-768 ciphertext || P-256 point
	}
	return 0
}

// Both suites use the same KDF and AEAD.
var (
	kdf  = hpke.HKDFSHA256()
	aead = hpke.AES256GCM()
)
