package envelope

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
)

// PEM block types (docs/envelope.md).
const (
	// PEMHPKEPrivateKey holds an HQ private key of a suite without a
	// standard encoding: the KEM id (2 bytes, big-endian) followed by the
	// KEM's serialized private key (RFC 9180 SerializePrivateKey; for
	// MLKEM768-P256 its 32-byte seed).
	PEMHPKEPrivateKey = "ALPRD HPKE PRIVATE KEY"
	// PEMHPKEPublicKey holds an HQ public key of such a suite: the KEM id (2
	// bytes, big-endian) followed by the KEM's serialized public key
	// (SerializePublicKey; for MLKEM768-P256 the 1184-byte ML-KEM-768
	// encapsulation key then the 65-byte P-256 point).
	PEMHPKEPublicKey = "ALPRD HPKE PUBLIC KEY"
)

// GenerateHQKey returns a new HQ private key of suite s, for one key epoch.
func GenerateHQKey(s Suite) (hpke.PrivateKey, error) {
	kem, err := s.kem()
	if err != nil {
		return nil, err
	}
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("envelope: generate %s key: %w", s, err)
	}
	return k, nil
}

// MarshalHQPrivateKey returns k as PEM: a PKCS#8 "PRIVATE KEY" block for
// suite p256, a PEMHPKEPrivateKey block for mlkem768-p256.
func MarshalHQPrivateKey(k hpke.PrivateKey) ([]byte, error) {
	if k == nil {
		return nil, errors.New("envelope: marshal HQ private key: nil key")
	}
	id := k.KEM().ID()
	raw, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("envelope: marshal HQ private key: %w", err)
	}
	switch suiteOfKEM(id) {
	case SuiteP256:
		ek, err := ecdh.P256().NewPrivateKey(raw)
		if err != nil {
			return nil, fmt.Errorf("envelope: marshal HQ private key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(ek)
		if err != nil {
			return nil, fmt.Errorf("envelope: marshal HQ private key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	case SuiteMLKEM768P256:
		b := binary.BigEndian.AppendUint16(nil, id)
		return pem.EncodeToMemory(&pem.Block{Type: PEMHPKEPrivateKey, Bytes: append(b, raw...)}), nil
	}
	return nil, fmt.Errorf("envelope: marshal HQ private key: KEM %#04x is not a supported suite", id)
}

// ParseHQPrivateKey parses the first private key block in data: PKCS#8
// "PRIVATE KEY" holding a P-256 key (suite p256), or PEMHPKEPrivateKey of a
// supported suite. Blocks of other types are skipped.
func ParseHQPrivateKey(data []byte) (hpke.PrivateKey, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("envelope: parse HQ private key: no %q or %q PEM block", "PRIVATE KEY", PEMHPKEPrivateKey)
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ private key: %w", err)
			}
			var ek *ecdh.PrivateKey
			switch k := k.(type) {
			case *ecdsa.PrivateKey:
				if k.Curve != elliptic.P256() {
					return nil, fmt.Errorf("envelope: parse HQ private key: curve %s, want P-256", k.Curve.Params().Name)
				}
				ek, err = k.ECDH()
			case *ecdh.PrivateKey:
				ek = k
			}
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ private key: %w", err)
			}
			if ek == nil || ek.Curve() != ecdh.P256() {
				return nil, fmt.Errorf("envelope: parse HQ private key: %T, want a P-256 key", k)
			}
			return hpke.NewDHKEMPrivateKey(ek)
		case PEMHPKEPrivateKey:
			kem, raw, err := splitKEM(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ private key: %w", err)
			}
			k, err := kem.NewPrivateKey(raw)
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ private key: %w", err)
			}
			return k, nil
		}
	}
}

// MarshalHQPublicKey returns k as PEM: a PKIX "PUBLIC KEY" block for suite
// p256, a PEMHPKEPublicKey block for mlkem768-p256.
func MarshalHQPublicKey(k hpke.PublicKey) ([]byte, error) {
	if k == nil {
		return nil, errors.New("envelope: marshal HQ public key: nil key")
	}
	id := k.KEM().ID()
	switch suiteOfKEM(id) {
	case SuiteP256:
		ek, err := ecdh.P256().NewPublicKey(k.Bytes())
		if err != nil {
			return nil, fmt.Errorf("envelope: marshal HQ public key: %w", err)
		}
		der, err := x509.MarshalPKIXPublicKey(ek)
		if err != nil {
			return nil, fmt.Errorf("envelope: marshal HQ public key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
	case SuiteMLKEM768P256:
		b := binary.BigEndian.AppendUint16(nil, id)
		return pem.EncodeToMemory(&pem.Block{Type: PEMHPKEPublicKey, Bytes: append(b, k.Bytes()...)}), nil
	}
	return nil, fmt.Errorf("envelope: marshal HQ public key: KEM %#04x is not a supported suite", id)
}

// ParseHQPublicKey parses the first public key block in data: PKIX "PUBLIC
// KEY" holding a P-256 key (suite p256), or PEMHPKEPublicKey of a supported
// suite. Blocks of other types are skipped.
func ParseHQPublicKey(data []byte) (hpke.PublicKey, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("envelope: parse HQ public key: no %q or %q PEM block", "PUBLIC KEY", PEMHPKEPublicKey)
		}
		switch b.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ public key: %w", err)
			}
			var ek *ecdh.PublicKey
			switch k := k.(type) {
			case *ecdsa.PublicKey:
				if k.Curve != elliptic.P256() {
					return nil, fmt.Errorf("envelope: parse HQ public key: curve %s, want P-256", k.Curve.Params().Name)
				}
				ek, err = k.ECDH()
			case *ecdh.PublicKey:
				ek = k
			}
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ public key: %w", err)
			}
			if ek == nil || ek.Curve() != ecdh.P256() {
				return nil, fmt.Errorf("envelope: parse HQ public key: %T, want a P-256 key", k)
			}
			return hpke.NewDHKEMPublicKey(ek)
		case PEMHPKEPublicKey:
			kem, raw, err := splitKEM(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ public key: %w", err)
			}
			k, err := kem.NewPublicKey(raw)
			if err != nil {
				return nil, fmt.Errorf("envelope: parse HQ public key: %w", err)
			}
			return k, nil
		}
	}
}

// splitKEM splits a PEMHPKE block's bytes into its KEM and key bytes.
func splitKEM(b []byte) (hpke.KEM, []byte, error) {
	if len(b) < 2 {
		return nil, nil, errors.New("block shorter than a KEM id")
	}
	id := binary.BigEndian.Uint16(b)
	s := suiteOfKEM(id)
	if s == "" {
		return nil, nil, fmt.Errorf("KEM %#04x is not a supported suite", id)
	}
	kem, err := s.kem()
	return kem, b[2:], err
}

// ParseDeviceKey parses the device's signing key, the private key of its TLS
// client certificate: the first "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY"
// (SEC 1) PEM block in data, which must hold an ECDSA P-256 key. Blocks of
// other types (a certificate in the same file) are skipped.
func ParseDeviceKey(data []byte) (*ecdsa.PrivateKey, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New(`envelope: parse device key: no "PRIVATE KEY" PEM block`)
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("envelope: parse device key: %w", err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok || ek.Curve != elliptic.P256() {
			return nil, fmt.Errorf("envelope: parse device key: %s, want ECDSA P-256", keyName(k))
		}
		return ek, nil
	}
}

// ParseDevicePublicKey parses HQ's copy of a device's signature key: the
// public key of the first "CERTIFICATE" (the device's client certificate) or
// "PUBLIC KEY" (PKIX) PEM block in data, which must be ECDSA P-256. It does
// not verify the certificate: HQ checks it against its CA before trusting it.
func ParseDevicePublicKey(data []byte) (*ecdsa.PublicKey, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New(`envelope: parse device public key: no "CERTIFICATE" or "PUBLIC KEY" PEM block`)
		}
		var k any
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("envelope: parse device public key: %w", err)
			}
			k = c.PublicKey
		case "PUBLIC KEY":
			var err error
			if k, err = x509.ParsePKIXPublicKey(b.Bytes); err != nil {
				return nil, fmt.Errorf("envelope: parse device public key: %w", err)
			}
		default:
			continue
		}
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok || ek.Curve != elliptic.P256() {
			return nil, fmt.Errorf("envelope: parse device public key: %s, want ECDSA P-256", keyName(k))
		}
		return ek, nil
	}
}

// keyName names a parsed key's type and curve for error messages.
func keyName(k any) string {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA " + k.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	}
	return fmt.Sprintf("%T", k)
}
