package envelope

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"fmt"
)

// HQKeys gives HQ's private keys by key epoch.
type HQKeys interface {
	// HQKey returns HQ's private key of epoch, or false when there is none.
	// It is called once per Open, from any goroutine, and must not block.
	HQKey(epoch uint32) (hpke.PrivateKey, bool)
}

// DeviceKeys gives the devices' signature keys by device id.
type DeviceKeys interface {
	// DeviceKey returns the public key of device's signing key (the key of
	// its client certificate), or false when the device is unknown or
	// revoked. It is called once per Open, from any goroutine, and must not
	// block.
	DeviceKey(device string) (*ecdsa.PublicKey, bool)
}

// HQKeyMap is an HQKeys held in a map. Do not change it while an Opener
// uses it.
type HQKeyMap map[uint32]hpke.PrivateKey

// HQKey implements HQKeys.
func (m HQKeyMap) HQKey(epoch uint32) (hpke.PrivateKey, bool) { k, ok := m[epoch]; return k, ok }

// DeviceKeyMap is a DeviceKeys held in a map. Do not change it while an
// Opener uses it.
type DeviceKeyMap map[string]*ecdsa.PublicKey

// DeviceKey implements DeviceKeys.
func (m DeviceKeyMap) DeviceKey(device string) (*ecdsa.PublicKey, bool) {
	k, ok := m[device]
	return k, ok
}

// Opener opens envelopes at HQ. It is safe for concurrent use if its
// HQKeys and DeviceKeys are.
type Opener struct {
	hq      HQKeys
	devices DeviceKeys
}

// NewOpener returns an Opener that decrypts with hq's keys and checks
// signatures with devices' keys. Neither may be nil.
func NewOpener(hq HQKeys, devices DeviceKeys) *Opener {
	return &Opener{hq: hq, devices: devices}
}

// Open checks b and returns its header and payload. It parses the header,
// looks up the device's key, verifies the signature over everything before
// it, and only then decrypts the payload with HQ's key of the header's
// epoch, the header as associated data. A refusal wraps exactly one of
// ErrFormat, ErrUnknownDevice, ErrSignature, ErrUnknownEpoch, ErrDecrypt.
// Open does not detect replays: see the package documentation.
func (o *Opener) Open(b []byte) (Header, []byte, error) {
	h, l, err := parse(b)
	if err != nil {
		return Header{}, nil, err
	}
	pub, ok := o.devices.DeviceKey(h.Device)
	if !ok || pub == nil {
		return Header{}, nil, fmt.Errorf("%w: %q", ErrUnknownDevice, h.Device)
	}
	if pub.Curve != elliptic.P256() {
		return Header{}, nil, fmt.Errorf("%w: %q has a key that is not ECDSA P-256", ErrUnknownDevice, h.Device)
	}
	if !verify(pub, b[:l.sig], b[l.sig:]) {
		return Header{}, nil, fmt.Errorf("%w: device %q, %s %d", ErrSignature, h.Device, h.Kind, h.Seq)
	}
	priv, ok := o.hq.HQKey(h.Epoch)
	if !ok || priv == nil {
		return Header{}, nil, fmt.Errorf("%w: %d (device %q)", ErrUnknownEpoch, h.Epoch, h.Device)
	}
	if id := priv.KEM().ID(); id != h.KEM {
		return Header{}, nil, fmt.Errorf("%w: %d has a %#04x key, device %q used %#04x", ErrUnknownEpoch, h.Epoch, id, h.Device, h.KEM)
	}
	r, err := hpke.NewRecipient(b[l.header:l.enc], priv, kdf, aead, []byte(hpkeInfo))
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: device %q, %s %d: %w", ErrDecrypt, h.Device, h.Kind, h.Seq, err)
	}
	payload, err := r.Open(b[:l.header], b[l.enc:l.sig])
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: device %q, %s %d: %w", ErrDecrypt, h.Device, h.Kind, h.Seq, err)
	}
	return h, payload, nil
}
