package envelope

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

var (
	p256N     = elliptic.P256().Params().N
	p256HalfN = new(big.Int).Rsh(p256N, 1)
)

// digest is the SHA-256 hash the device signs: of the signature context
// string followed by the envelope up to the signature.
func digest(signed []byte) []byte {
	h := sha256.New()
	h.Write([]byte(sigContext))
	h.Write(signed)
	return h.Sum(nil)
}

// sign appends to b the device's signature over b.
func sign(signer crypto.Signer, b []byte) ([]byte, error) {
	der, err := signer.Sign(rand.Reader, digest(b), crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil ||
		sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.Cmp(p256N) >= 0 || sig.S.Cmp(p256N) >= 0 {
		return nil, errors.New("sign: the signer returned no ECDSA P-256 signature")
	}
	// Low s: (r, n-s) is as valid as (r, s); keep the one with s <= n/2 so
	// that each envelope has a single encoding.
	if sig.S.Cmp(p256HalfN) > 0 {
		sig.S.Sub(p256N, sig.S)
	}
	n := len(b)
	b = append(b, make([]byte, SignatureSize)...)
	sig.R.FillBytes(b[n : n+32])
	sig.S.FillBytes(b[n+32:])
	return b, nil
}

// verify reports whether sig (r || s, low s) is pub's signature over signed.
func verify(pub *ecdsa.PublicKey, signed, sig []byte) bool {
	if len(sig) != SignatureSize {
		return false
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	if s.Cmp(p256HalfN) > 0 {
		return false
	}
	return ecdsa.Verify(pub, digest(signed), r, s)
}

// checkSigner checks that signer holds an ECDSA P-256 key.
func checkSigner(signer crypto.Signer) (*ecdsa.PublicKey, error) {
	if signer == nil {
		return nil, errors.New("envelope: no device signer")
	}
	pub, ok := signer.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("envelope: device key is %T, want an ECDSA P-256 key", signer.Public())
	}
	return pub, nil
}
