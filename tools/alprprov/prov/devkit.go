package prov

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"time"

	"alprd/firmware/envelope"
)

// DevKit is a development or test unit's provisioning: everything a unit
// needs in one bundle, and HQ's side of it.
type DevKit struct {
	Root    string             // the provisioning folder
	Bundle  string             // the unit's bundle folder: its keys.dir
	Opener  *envelope.Opener   // HQ's opener for the unit's envelopes
	Signing ed25519.PrivateKey // HQ's signing key (hot lists, commands)
	Device  *ecdsa.PublicKey
}

// NewDevKit provisions, in root, a CA, HQ's signing key, HQ's encryption key
// of epoch 1 (suite p256) and the bundle of unit device. For the demo and
// tests: a real department keeps its CA and HQ keys offline.
func NewDevKit(root, device string) (*DevKit, error) {
	d := Dir{Root: root}
	if _, err := d.CreateCA("Development ALPR CA", 24*time.Hour); err != nil {
		return nil, err
	}
	sk, err := d.CreateSigningKey()
	if err != nil {
		return nil, err
	}
	hq, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		return nil, fmt.Errorf("prov: dev kit: %w", err)
	}
	priv, err := envelope.MarshalHQPrivateKey(hq)
	if err != nil {
		return nil, fmt.Errorf("prov: dev kit: %w", err)
	}
	pub, err := envelope.MarshalHQPublicKey(hq.PublicKey())
	if err != nil {
		return nil, fmt.Errorf("prov: dev kit: %w", err)
	}
	if err := d.WriteHQKey(1, priv, pub); err != nil {
		return nil, err
	}
	b, err := d.CreateDevice(device, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	devPub := &b.Identity.Key.PublicKey
	return &DevKit{
		Root:    root,
		Bundle:  filepath.Clean(b.Dir),
		Opener:  envelope.NewOpener(envelope.HQKeyMap{1: hq}, envelope.DeviceKeyMap{device: devPub}),
		Signing: sk.Private,
		Device:  devPub,
	}, nil
}
