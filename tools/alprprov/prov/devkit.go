package prov

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hpke"
	"fmt"
	"path/filepath"

	"alprd/firmware/envelope"
)

// Department is a whole provisioning in one folder, for tests, the demo and
// a bench: the CA, HQ's subscriber identity hq-main, HQ's signing key, HQ's
// encryption key of epoch 1 (suite p256), the broker's files (written where
// they are, so a test broker can run them in place) and one bundle per unit.
// A real department keeps its CA and HQ keys offline.
type Department struct {
	Dir     Dir
	CA      *Identity
	HQKey   hpke.PrivateKey    // epoch 1
	Signing ed25519.PrivateKey // HQ's signing key
	Bundles map[string]*Bundle // by unit id
}

// NewDepartment provisions a department in root with the given units; the
// broker's certificate names 127.0.0.1 and localhost.
func NewDepartment(root string, units ...string) (*Department, error) {
	d := Dir{Root: root}
	ca, err := d.CreateCA("Development ALPR CA", CAValidity)
	if err != nil {
		return nil, err
	}
	if _, err := d.CreateHQ("hq-main", HQValidity); err != nil {
		return nil, err
	}
	sk, err := d.CreateSigningKey()
	if err != nil {
		return nil, err
	}
	hq, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		return nil, fmt.Errorf("prov: department: %w", err)
	}
	priv, err := envelope.MarshalHQPrivateKey(hq)
	if err != nil {
		return nil, fmt.Errorf("prov: department: %w", err)
	}
	pub, err := envelope.MarshalHQPublicKey(hq.PublicKey())
	if err != nil {
		return nil, fmt.Errorf("prov: department: %w", err)
	}
	if err := d.WriteHQKey(1, priv, pub); err != nil {
		return nil, err
	}
	_, err = d.CreateBroker(BrokerOptions{
		Hosts: []string{"127.0.0.1", "localhost"}, Port: 8883,
		InstallDir: filepath.Join(root, BrokerFolder), Validity: BrokerValidity,
	})
	if err != nil {
		return nil, err
	}
	dep := &Department{Dir: d, CA: ca, HQKey: hq, Signing: sk.Private, Bundles: map[string]*Bundle{}}
	for _, u := range units {
		b, err := d.CreateDevice(u, DeviceValidity)
		if err != nil {
			return nil, err
		}
		dep.Bundles[u] = b
	}
	return dep, nil
}

// BrokerConf is the path of the broker's Mosquitto configuration.
func (dep *Department) BrokerConf() string {
	return filepath.Join(dep.Dir.Root, BrokerFolder, BrokerConfFile)
}

// Opener is HQ's opener for the units' envelopes.
func (dep *Department) Opener() *envelope.Opener {
	devices := envelope.DeviceKeyMap{}
	for id, b := range dep.Bundles {
		devices[id] = &b.Identity.Key.PublicKey
	}
	return envelope.NewOpener(envelope.HQKeyMap{1: dep.HQKey}, devices)
}

// DevKit is one development or test unit's provisioning: its bundle and
// HQ's side of it.
type DevKit struct {
	Root    string             // the provisioning folder
	Bundle  string             // the unit's bundle folder: its keys.dir
	Opener  *envelope.Opener   // HQ's opener for the unit's envelopes
	Signing ed25519.PrivateKey // HQ's signing key (hot lists, commands)
	Device  *ecdsa.PublicKey
}

// NewDevKit provisions a department in root with the one unit device.
func NewDevKit(root, device string) (*DevKit, error) {
	dep, err := NewDepartment(root, device)
	if err != nil {
		return nil, err
	}
	b := dep.Bundles[device]
	return &DevKit{
		Root:    root,
		Bundle:  filepath.Clean(b.Dir),
		Opener:  dep.Opener(),
		Signing: dep.Signing,
		Device:  &b.Identity.Key.PublicKey,
	}, nil
}
