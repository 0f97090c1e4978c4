package envelope

import (
	"crypto"
	"crypto/hpke"
	"errors"
	"fmt"
	"time"
)

// SealerConfig is what the unit needs to seal messages.
type SealerConfig struct {
	// Device is the unit's id ("device" in the configuration): 1 to 64
	// letters, digits, "-", "_" or ".".
	Device string
	// Epoch is the key epoch of HQKey.
	Epoch uint32
	// HQKey is HQ's public key of Epoch; its KEM decides the suite
	// (ParseHQPublicKey).
	HQKey hpke.PublicKey
	// Signer holds the device's ECDSA P-256 private key, the key of its TLS
	// client certificate (ParseDeviceKey, or a hardware key).
	Signer crypto.Signer
	// Now, if not nil, gives the creation time written in each header; a
	// zero time (no plausible clock yet) writes none. Nil writes none. It is
	// called from every Seal, concurrently if Seal is.
	Now func() time.Time
}

// Sealer seals the unit's messages to HQ. It is safe for concurrent use.
type Sealer struct {
	cfg   SealerConfig
	suite Suite
}

// NewSealer checks cfg and returns its Sealer. It seals and verifies one
// empty probe message, so that a key or a FIPS 140 mode that cannot work is
// refused here rather than on the first message; it does no I/O beyond what
// the signer does.
func NewSealer(cfg SealerConfig) (*Sealer, error) {
	if !validDevice(cfg.Device) {
		return nil, fmt.Errorf("envelope: device id %q: want 1 to %d letters, digits, \"-\", \"_\", \".\"", cfg.Device, MaxDeviceLen)
	}
	if cfg.HQKey == nil {
		return nil, errors.New("envelope: no HQ public key")
	}
	s := &Sealer{cfg: cfg, suite: suiteOfKEM(cfg.HQKey.KEM().ID())}
	if s.suite == "" {
		return nil, fmt.Errorf("envelope: HQ key has KEM %#04x, want %#04x (%s) or %#04x (%s)",
			cfg.HQKey.KEM().ID(), KEMP256, SuiteP256, KEMMLKEM768P256, SuiteMLKEM768P256)
	}
	pub, err := checkSigner(cfg.Signer)
	if err != nil {
		return nil, err
	}
	probe, err := s.seal(KindEvent, 0, nil, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("envelope: probe: %w", err)
	}
	h, l, err := parse(probe)
	if err != nil || h.Device != cfg.Device || !verify(pub, probe[:l.sig], probe[l.sig:]) {
		return nil, errors.New("envelope: probe: the signer's signature does not verify with its public key")
	}
	return s, nil
}

// Suite returns the suite the Sealer encrypts with.
func (s *Sealer) Suite() Suite { return s.suite }

// Epoch returns the key epoch of HQ's key the Sealer seals to.
func (s *Sealer) Epoch() uint32 { return s.cfg.Epoch }

// Seal returns the envelope of payload, a message of the given kind with
// sequence number seq. Seal does not keep or check seq: the caller numbers
// its messages.
func (s *Sealer) Seal(kind Kind, seq uint64, payload []byte) ([]byte, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("envelope: seal: %v is not a message kind", kind)
	}
	var created time.Time
	if s.cfg.Now != nil {
		created = s.cfg.Now()
	}
	b, err := s.seal(kind, seq, payload, created)
	if err != nil {
		return nil, fmt.Errorf("envelope: seal %s %d: %w", kind, seq, err)
	}
	return b, nil
}

func (s *Sealer) seal(kind Kind, seq uint64, payload []byte, created time.Time) ([]byte, error) {
	b := make([]byte, 0, Overhead(s.suite, s.cfg.Device, !created.IsZero())+len(payload))
	b = appendHeader(b, s.suite, kind, s.cfg.Epoch, seq, s.cfg.Device, created)
	n := len(b)
	enc, sender, err := hpke.NewSender(s.cfg.HQKey, kdf, aead, []byte(hpkeInfo))
	if err != nil {
		return nil, fmt.Errorf("hpke: %w", err)
	}
	ct, err := sender.Seal(b[:n], payload)
	if err != nil {
		return nil, fmt.Errorf("hpke: %w", err)
	}
	b = append(b, enc...)
	b = append(b, ct...)
	return sign(s.cfg.Signer, b)
}
