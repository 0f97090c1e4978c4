package envelope

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/fips140"
	"crypto/hpke"
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

// Test keys are derived from fixed seeds, so that fuzz corpora stay valid.

// testHQKey returns HQ's private key number n of suite s.
func testHQKey(tb testing.TB, s Suite, n int) hpke.PrivateKey {
	tb.Helper()
	kem, err := s.kem()
	if err != nil {
		tb.Fatal(err)
	}
	ikm := sha256.Sum256([]byte{'h', 'q', byte(n), byte(s.KEMID())})
	k, err := kem.DeriveKeyPair(ikm[:])
	if err != nil {
		tb.Fatalf("derive %s HQ key: %v", s, err)
	}
	return k
}

// testDeviceKey returns device key number n.
func testDeviceKey(tb testing.TB, n int) *ecdsa.PrivateKey {
	tb.Helper()
	d := sha256.Sum256([]byte{'d', 'e', 'v', byte(n)})
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		tb.Fatalf("device key %d: %v", n, err)
	}
	return k
}

var testTime = time.Date(2026, 11, 27, 8, 0, 0, 123e6, time.UTC)

// needHPKE skips the test when, and only when, FIPS 140 mode is on and the
// Go Cryptographic Module refuses to seal with suite s (module v1.0.0 under
// GODEBUG=fips140=only: crypto/hpke's AES-GCM goes through
// crypto/cipher.NewGCM, which refuses caller-chosen nonces there).
func needHPKE(tb testing.TB, s Suite) {
	tb.Helper()
	kem, err := s.kem()
	if err != nil {
		tb.Fatal(err)
	}
	k, err := kem.GenerateKey()
	if err == nil {
		_, _, err = hpke.NewSender(k.PublicKey(), kdf, aead, []byte(hpkeInfo))
	}
	if err == nil {
		return
	}
	if fips140.Enabled() {
		tb.Skipf("FIPS 140 mode, module %s, enforced %v, refuses HPKE suite %s: %v", fips140.Version(), fips140.Enforced(), s, err)
	}
	tb.Fatalf("HPKE suite %s: %v", s, err)
}

// rig is one HQ and two devices, unit-0001 and unit-0002.
type rig struct {
	hq      hpke.PrivateKey
	devs    []*ecdsa.PrivateKey
	opener  *Opener
	sealers []*Sealer
}

const epoch = 7

func newRig(tb testing.TB, s Suite) *rig {
	tb.Helper()
	needHPKE(tb, s)
	r := &rig{hq: testHQKey(tb, s, 1), devs: []*ecdsa.PrivateKey{testDeviceKey(tb, 1), testDeviceKey(tb, 2)}}
	r.opener = NewOpener(HQKeyMap{epoch: r.hq}, DeviceKeyMap{
		"unit-0001": &r.devs[0].PublicKey,
		"unit-0002": &r.devs[1].PublicKey,
	})
	for i, name := range []string{"unit-0001", "unit-0002"} {
		s, err := NewSealer(SealerConfig{
			Device: name, Epoch: epoch, HQKey: r.hq.PublicKey(), Signer: r.devs[i],
			Now: func() time.Time { return testTime },
		})
		if err != nil {
			tb.Fatal(err)
		}
		r.sealers = append(r.sealers, s)
	}
	return r
}

func (r *rig) seal(tb testing.TB, dev int, kind Kind, seq uint64, payload []byte) []byte {
	tb.Helper()
	b, err := r.sealers[dev].Seal(kind, seq, payload)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// resign returns a copy of b with its header replaced by header and signed
// again by key: a device that signs whatever header it likes.
func resign(tb testing.TB, b []byte, header []byte, key *ecdsa.PrivateKey) []byte {
	tb.Helper()
	_, l, err := parse(b)
	if err != nil {
		tb.Fatal(err)
	}
	out := append(append([]byte{}, header...), b[l.header:l.sig]...)
	out, err = sign(key, out)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// fakeEnvelope returns a well-formed, signed envelope whose encapsulated key
// and ciphertext are junk: it needs no HPKE, so it works in any FIPS mode.
func fakeEnvelope(tb testing.TB, s Suite, device string, key *ecdsa.PrivateKey, epoch uint32, seq uint64) []byte {
	tb.Helper()
	b := appendHeader(nil, s, KindRead, epoch, seq, device, time.Time{})
	for i := range s.encSize() + tagSize + 5 {
		b = append(b, byte(i*7))
	}
	b, err := sign(key, b)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// reasons are the refusal sentinels.
var reasons = []error{ErrFormat, ErrUnknownDevice, ErrSignature, ErrUnknownEpoch, ErrDecrypt}

// reasonsOf counts the sentinels err wraps.
func reasonsOf(err error) int {
	n := 0
	for _, r := range reasons {
		if errors.Is(err, r) {
			n++
		}
	}
	return n
}
