package envelope

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/fips140"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	for _, s := range Suites() {
		t.Run(string(s), func(t *testing.T) {
			r := newRig(t, s)
			noTime, err := NewSealer(SealerConfig{Device: "unit-0001", Epoch: epoch, HQKey: r.hq.PublicKey(), Signer: r.devs[0]})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name    string
				sealer  *Sealer
				kind    Kind
				seq     uint64
				payload []byte
				created time.Time
			}{
				{"empty read", r.sealers[0], KindRead, 0, nil, testTime},
				{"small alert", r.sealers[0], KindAlert, 1, []byte(`{"v":1}`), testTime},
				{"1KB audit", r.sealers[0], KindAudit, 1 << 40, bytes.Repeat([]byte{0xA5}, 1024), testTime},
				{"64KB state", r.sealers[0], KindState, ^uint64(0), bytes.Repeat([]byte("x"), 64<<10), testTime},
				{"no time health", noTime, KindHealth, 42, []byte("ok"), time.Time{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b, err := tc.sealer.Seal(tc.kind, tc.seq, tc.payload)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := len(b)-len(tc.payload), Overhead(s, "unit-0001", !tc.created.IsZero()); got != want {
						t.Errorf("overhead: got %d bytes, want %d", got, want)
					}
					want := Header{Version: 1, Kind: tc.kind, Suite: s, KEM: s.KEMID(), KDF: KDFHKDFSHA256,
						AEAD: AEADAES256GCM, Epoch: epoch, Seq: tc.seq, Device: "unit-0001", Created: tc.created}
					ph, err := ParseHeader(b)
					if err != nil {
						t.Fatalf("ParseHeader: %v", err)
					}
					if ph != want {
						t.Errorf("ParseHeader: got %+v, want %+v", ph, want)
					}
					h, payload, err := r.opener.Open(b)
					if err != nil {
						t.Fatalf("Open: %v", err)
					}
					if h != want {
						t.Errorf("Open header: got %+v, want %+v", h, want)
					}
					if !bytes.Equal(payload, tc.payload) {
						t.Errorf("payload: got %d bytes %.20q, want %d bytes %.20q", len(payload), payload, len(tc.payload), tc.payload)
					}
				})
			}
		})
	}
}

// TestSealDiffers: two seals of one message share nothing but the header
// (fresh HPKE ephemeral key, randomized signature).
func TestSealDiffers(t *testing.T) {
	r := newRig(t, SuiteP256)
	a := r.seal(t, 0, KindRead, 1, []byte("same"))
	b := r.seal(t, 0, KindRead, 1, []byte("same"))
	_, l, _ := parse(a)
	if !bytes.Equal(a[:l.header], b[:l.header]) {
		t.Errorf("headers differ: %x vs %x", a[:l.header], b[:l.header])
	}
	if bytes.Equal(a[l.header:l.enc], b[l.header:l.enc]) {
		t.Errorf("two seals reused the encapsulated key %x", a[l.header:l.enc])
	}
}

// TestHeaderBound changes each header field, signs the result again with
// the key of the device the header names (a device, or whoever holds its
// key, that lies in its header): HPKE must still refuse it, because the
// header is its associated data. Without the new signature the signature
// check refuses it first.
func TestHeaderBound(t *testing.T) {
	for _, s := range Suites() {
		t.Run(string(s), func(t *testing.T) {
			r := newRig(t, s)
			// HQ holds the same key under two epochs, so that only the AAD
			// tells epoch 7 from epoch 8.
			r.opener = NewOpener(HQKeyMap{epoch: r.hq, epoch + 1: r.hq}, r.opener.devices)
			b := r.seal(t, 0, KindRead, 100, []byte("payload"))
			_, l, err := parse(b)
			if err != nil {
				t.Fatal(err)
			}
			header := b[:l.header]
			edit := func(f func(h []byte) []byte) []byte { return f(append([]byte{}, header...)) }
			for _, tc := range []struct {
				name   string
				header []byte
				key    *ecdsa.PrivateKey
			}{
				{"device", edit(func(h []byte) []byte { copy(h[22:], "unit-0002"); return h }), r.devs[1]},
				{"epoch", edit(func(h []byte) []byte { binary.BigEndian.PutUint32(h[9:], epoch+1); return h }), r.devs[0]},
				{"seq", edit(func(h []byte) []byte { binary.BigEndian.PutUint64(h[13:], 101); return h }), r.devs[0]},
				{"kind", edit(func(h []byte) []byte { h[2] = byte(KindAlert); return h }), r.devs[0]},
				{"created", edit(func(h []byte) []byte { h[len(h)-1]++; return h }), r.devs[0]},
				{"no created", edit(func(h []byte) []byte { h[1] = 0; return h[:len(h)-timeSize] }), r.devs[0]},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if bytes.Equal(tc.header, header) {
						t.Fatal("edit changed nothing")
					}
					// Signed again: the AAD binding refuses it.
					_, _, err := r.opener.Open(resign(t, b, tc.header, tc.key))
					if !errors.Is(err, ErrDecrypt) {
						t.Errorf("re-signed: got %v, want %v", err, ErrDecrypt)
					}
					// Not signed again: the signature refuses it.
					forged := append(append([]byte{}, tc.header...), b[l.header:]...)
					_, _, err = r.opener.Open(forged)
					if !errors.Is(err, ErrSignature) {
						t.Errorf("not re-signed: got %v, want %v", err, ErrSignature)
					}
				})
			}
		})
	}
}

// TestByteFlip flips bits in every byte of a sealed envelope: each copy is
// refused for exactly one reason, never opened.
func TestByteFlip(t *testing.T) {
	for _, s := range Suites() {
		t.Run(string(s), func(t *testing.T) {
			r := newRig(t, s)
			b := r.seal(t, 0, KindRead, 5, []byte("flip me, flip me"))
			if _, _, err := r.opener.Open(b); err != nil {
				t.Fatalf("unflipped: %v", err)
			}
			counts := map[string]int{}
			for i := range b {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					c := bytes.Clone(b)
					c[i] ^= mask
					_, _, err := r.opener.Open(c)
					if err == nil {
						t.Fatalf("byte %d ^ %#02x: opened", i, mask)
					}
					if n := reasonsOf(err); n != 1 {
						t.Fatalf("byte %d ^ %#02x: %v wraps %d reasons, want 1", i, mask, err, n)
					}
					for _, reason := range reasons {
						if errors.Is(err, reason) {
							counts[reason.Error()]++
						}
					}
				}
			}
			t.Logf("%d bytes flipped 3 ways: %v", len(b), counts)
			for n := range len(b) + 1 {
				if n == len(b) {
					n = len(b) + 1 // one byte appended
				}
				c := append(bytes.Clone(b), 0)[:n]
				if _, _, err := r.opener.Open(c); err == nil {
					t.Fatalf("length %d of %d: opened", n, len(b))
				}
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	r := newRig(t, SuiteP256)
	b := r.seal(t, 0, KindRead, 1, []byte("read"))
	otherHQ := testHQKey(t, SuiteP256, 2)
	stranger := testDeviceKey(t, 3)
	pubs := DeviceKeyMap{"unit-0001": &r.devs[0].PublicKey, "unit-0002": &r.devs[1].PublicKey}

	hybridHQ := testHQKey(t, SuiteMLKEM768P256, 1)

	// unit-0002 (or whoever holds its key) poses as unit-0001.
	impostor, err := NewSealer(SealerConfig{Device: "unit-0001", Epoch: epoch, HQKey: r.hq.PublicKey(), Signer: r.devs[1]})
	if err != nil {
		t.Fatal(err)
	}
	posed, err := impostor.Seal(KindAlert, 1, []byte("fake alert"))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		hq   HQKeys
		devs DeviceKeys
		b    []byte
		want error
	}{
		{"accepted", HQKeyMap{epoch: r.hq}, pubs, b, nil},
		{"other HQ key, same epoch", HQKeyMap{epoch: otherHQ}, pubs, b, ErrDecrypt},
		{"no key of the epoch", HQKeyMap{epoch + 1: r.hq}, pubs, b, ErrUnknownEpoch},
		{"epoch key of another suite", HQKeyMap{epoch: hybridHQ}, pubs, b, ErrUnknownEpoch},
		{"unknown device", HQKeyMap{epoch: r.hq}, DeviceKeyMap{"unit-0002": &r.devs[1].PublicKey}, b, ErrUnknownDevice},
		{"nil device key", HQKeyMap{epoch: r.hq}, DeviceKeyMap{"unit-0001": nil}, b, ErrUnknownDevice},
		{"device key of another device", HQKeyMap{epoch: r.hq}, DeviceKeyMap{"unit-0001": &stranger.PublicKey}, b, ErrSignature},
		{"device poses as another", HQKeyMap{epoch: r.hq}, pubs, posed, ErrSignature},
		// The signature is checked before the epoch: a forgery to an
		// unknown epoch counts as a forgery.
		{"forged, unknown epoch", HQKeyMap{}, pubs, posed, ErrSignature},
		{"empty", HQKeyMap{epoch: r.hq}, pubs, nil, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := NewOpener(tc.hq, tc.devs).Open(tc.b)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil && reasonsOf(err) != 1 {
				t.Errorf("%v wraps %d reasons, want 1", err, reasonsOf(err))
			}
		})
	}
}

// TestLowS: signatures are canonical; the other valid encoding (r, n-s) is
// refused.
func TestLowS(t *testing.T) {
	r := newRig(t, SuiteP256)
	for i := range 20 {
		b := r.seal(t, 0, KindRead, uint64(i), []byte("s"))
		sig := b[len(b)-SignatureSize:]
		s := new(big.Int).SetBytes(sig[32:])
		if s.Cmp(p256HalfN) > 0 {
			t.Fatalf("seal %d: high s %x", i, s)
		}
		c := bytes.Clone(b)
		new(big.Int).Sub(p256N, s).FillBytes(c[len(c)-32:])
		if _, _, err := r.opener.Open(c); !errors.Is(err, ErrSignature) {
			t.Fatalf("seal %d with s = n-s: got %v, want %v", i, err, ErrSignature)
		}
	}
}

// TestSignatureWithoutHPKE checks the signature paths with envelopes whose
// ciphertext is junk, so that it runs in any FIPS 140 mode.
func TestSignatureWithoutHPKE(t *testing.T) {
	a, b := testDeviceKey(t, 1), testDeviceKey(t, 2)
	for _, s := range Suites() {
		t.Run(string(s), func(t *testing.T) {
			o := NewOpener(HQKeyMap{epoch: testHQKey(t, s, 1)}, DeviceKeyMap{"unit-0001": &a.PublicKey, "unit-0002": &b.PublicKey})
			for _, tc := range []struct {
				name string
				key  *ecdsa.PrivateKey
				ep   uint32
				want error
			}{
				{"own key, junk ciphertext", a, epoch, ErrDecrypt},
				{"own key, unknown epoch", a, epoch + 1, ErrUnknownEpoch},
				{"other device's key", b, epoch, ErrSignature},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, _, err := o.Open(fakeEnvelope(t, s, "unit-0001", tc.key, tc.ep, 1))
					if !errors.Is(err, tc.want) {
						t.Fatalf("got %v, want %v", err, tc.want)
					}
				})
			}
		})
	}
}

func TestConcurrentSeal(t *testing.T) {
	r := newRig(t, SuiteP256)
	const workers, each = 4, 25
	out := make([][]byte, workers*each)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				seq := w*each + i
				b, err := r.sealers[0].Seal(KindRead, uint64(seq), fmt.Appendf(nil, "read %d", seq))
				if err != nil {
					errs[w] = err
					return
				}
				out[seq] = b
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for seq, b := range out {
		h, p, err := r.opener.Open(b)
		if err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		if want := fmt.Sprintf("read %d", seq); h.Seq != uint64(seq) || string(p) != want {
			t.Errorf("seq %d: got seq %d payload %q, want %q", seq, h.Seq, p, want)
		}
	}
}

func TestNewSealerRefuses(t *testing.T) {
	needHPKE(t, SuiteP256)
	hq := testHQKey(t, SuiteP256, 1).PublicKey()
	dev := testDeviceKey(t, 1)
	// Keys of other kinds, made even in FIPS 140-only mode.
	var x hpke.PrivateKey
	var p384 *ecdsa.PrivateKey
	var err error
	fips140.WithoutEnforcement(func() {
		if x, err = hpke.DHKEM(ecdh.X25519()).DeriveKeyPair(make([]byte, 32)); err == nil {
			p384, err = ecdsa.GenerateKey(elliptic.P384(), nil)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  SealerConfig
	}{
		{"no device", SealerConfig{HQKey: hq, Signer: dev}},
		{"device with slash", SealerConfig{Device: "unit/1", HQKey: hq, Signer: dev}},
		{"device too long", SealerConfig{Device: string(bytes.Repeat([]byte("a"), MaxDeviceLen+1)), HQKey: hq, Signer: dev}},
		{"no HQ key", SealerConfig{Device: "u", Signer: dev}},
		{"X25519 HQ key", SealerConfig{Device: "u", HQKey: x.PublicKey(), Signer: dev}},
		{"no signer", SealerConfig{Device: "u", HQKey: hq}},
		{"P-384 signer", SealerConfig{Device: "u", HQKey: hq, Signer: p384}},
		{"signer lies about its key", SealerConfig{Device: "u", HQKey: hq, Signer: liar{dev, &testDeviceKey(t, 2).PublicKey}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := NewSealer(tc.cfg); err == nil {
				t.Fatalf("got a Sealer of suite %s, want an error", s.Suite())
			}
		})
	}
	s, err := NewSealer(SealerConfig{Device: "u", HQKey: hq, Signer: dev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seal(Kind(0), 1, nil); err == nil {
		t.Error("Seal of kind 0: got no error")
	}
}

// liar signs with one key and shows another.
type liar struct {
	*ecdsa.PrivateKey
	pub *ecdsa.PublicKey
}

func (l liar) Public() crypto.PublicKey { return l.pub }

func TestParseHeader(t *testing.T) {
	good := fakeEnvelope(t, SuiteP256, "unit-0001", testDeviceKey(t, 1), epoch, 9)
	if _, err := ParseHeader(good); err != nil {
		t.Fatalf("good: %v", err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"one byte", []byte{1}},
		{"fixed part only", good[:fixedHeaderSize]},
		{"version 0", edit(func(b []byte) []byte { b[0] = 0; return b })},
		{"version 2", edit(func(b []byte) []byte { b[0] = 2; return b })},
		{"JSON", []byte(`{"v":1,"id":"4f1c2a9d0e6b4c7a8d3e2f1a0b9c8d7e","device":"unit-0001"}` + string(make([]byte, 200)))},
		{"unknown flag", edit(func(b []byte) []byte { b[1] |= 0x02; return b })},
		{"kind 0", edit(func(b []byte) []byte { b[2] = 0; return b })},
		{"kind 8", edit(func(b []byte) []byte { b[2] = 8; return b })},
		{"X25519 KEM", edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[3:], 0x0020); return b })},
		{"HKDF-SHA384", edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[5:], 0x0002); return b })},
		{"ChaCha20Poly1305", edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[7:], 0x0003); return b })},
		{"device length 0", edit(func(b []byte) []byte { b[21] = 0; return b })},
		{"device length 65", edit(func(b []byte) []byte { b[21] = 65; return b })},
		{"device length past end", edit(func(b []byte) []byte { b[21] = 64; return b[:fixedHeaderSize+40] })},
		{"device with slash", edit(func(b []byte) []byte { b[26] = '/'; return b })},
		{"device with NUL", edit(func(b []byte) []byte { b[22] = 0; return b })},
		{"no ciphertext", edit(func(b []byte) []byte {
			return append(b[:fixedHeaderSize+9+SuiteP256.encSize()+tagSize-1], make([]byte, SignatureSize)...)
		})},
		{"hybrid KEM, P-256 sized", edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[3:], KEMMLKEM768P256); return b })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHeader(tc.b)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("got %+v, %v, want %v", h, err, ErrFormat)
			}
			_, _, err = NewOpener(HQKeyMap{}, DeviceKeyMap{}).Open(tc.b)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Open: got %v, want %v", err, ErrFormat)
			}
		})
	}
}

func TestKindAndSuiteNames(t *testing.T) {
	for k := KindRead; k <= KindState; k++ {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q): got %v, %v, want %v", k.String(), got, err, k)
		}
	}
	for _, tc := range []struct {
		in   string
		want Kind
	}{{"reads", KindRead}, {"alerts", KindAlert}, {"events", KindEvent}, {"selftest", KindSelftest}} {
		if got, err := ParseKind(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseKind(%q): got %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "Read", "kind(1)", "cmd"} {
		if got, err := ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q): got %v, want an error", bad, got)
		}
	}
	if got := Kind(9).String(); got != "kind(9)" {
		t.Errorf("Kind(9): got %q, want %q", got, "kind(9)")
	}
	for _, s := range Suites() {
		got, err := ParseSuite(string(s))
		if err != nil || got != s {
			t.Errorf("ParseSuite(%q): got %v, %v", s, got, err)
		}
		if suiteOfKEM(s.KEMID()) != s {
			t.Errorf("suite %s: KEM id %#04x maps to %q", s, s.KEMID(), suiteOfKEM(s.KEMID()))
		}
	}
	for _, bad := range []string{"", "P256", "x25519", "mlkem768"} {
		if _, err := ParseSuite(bad); err == nil {
			t.Errorf("ParseSuite(%q): got no error", bad)
		}
	}
}

// TestSuiteIDs checks the constants against crypto/hpke.
func TestSuiteIDs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uint16
	}{
		{"KEM p256", KEMP256, hpke.DHKEM(ecdh.P256()).ID()},
		{"KEM mlkem768-p256", KEMMLKEM768P256, hpke.MLKEM768P256().ID()},
		{"KDF", KDFHKDFSHA256, kdf.ID()},
		{"AEAD", AEADAES256GCM, aead.ID()},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#04x, want %#04x", tc.name, tc.got, tc.want)
		}
	}
	for _, s := range Suites() {
		needHPKE(t, s)
		enc, _, err := hpke.NewSender(testHQKey(t, s, 1).PublicKey(), kdf, aead, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(enc) != s.encSize() {
			t.Errorf("%s: enc is %d bytes, want %d", s, len(enc), s.encSize())
		}
	}
}

// TestNewSealerProbe: NewSealer fails exactly when this process's crypto
// refuses HPKE (FIPS 140-only mode with module v1.0.0), so the unit learns
// it at start; it runs in every mode.
func TestNewSealerProbe(t *testing.T) {
	for _, s := range Suites() {
		t.Run(string(s), func(t *testing.T) {
			hq := testHQKey(t, s, 1).PublicKey()
			_, _, refused := hpke.NewSender(hq, kdf, aead, []byte(hpkeInfo))
			_, err := NewSealer(SealerConfig{Device: "unit-0001", HQKey: hq, Signer: testDeviceKey(t, 1)})
			if (err != nil) != (refused != nil) {
				t.Fatalf("NewSealer: got %v, want an error iff HPKE is refused (%v)", err, refused)
			}
			if refused != nil && !fips140.Enabled() {
				t.Fatalf("HPKE refused outside FIPS 140 mode: %v", refused)
			}
			t.Logf("FIPS 140 mode %v (module %q): NewSealer: %v", fips140.Enabled(), fips140.Version(), err)
		})
	}
}
