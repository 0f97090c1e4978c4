package unit

import (
	"crypto/ecdsa"
	"crypto/hpke"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"alprd/firmware/config"
	"alprd/firmware/envelope"
	"alprd/firmware/hqsign"
	"alprd/firmware/vault"
)

// unitKeys is the unit's provisioning bundle (alprprov device), loaded.
type unitKeys struct {
	device    *ecdsa.PrivateKey // TLS client key and envelope signer
	cert      tls.Certificate   // the unit's client certificate, CN = device
	ca        *x509.CertPool    // the department CA
	hqSigning *hqsign.Keyring   // HQ's keys for hot lists and commands
	hqKey     hpke.PublicKey    // HQ's encryption key of the newest epoch of the suite
	epoch     uint32
	suite     envelope.Suite // keys.suite: P-256, or the post-quantum hybrid
}

// credential returns the path of systemd credential name, or "".
func credential(name string) string {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return ""
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// loadKeys reads the bundle in keys.dir. Every problem is a configuration
// error naming the file.
func loadKeys(c config.Config) (unitKeys, error) {
	var k unitKeys
	dir := c.Keys.Dir
	keyPath := c.Keys.DeviceKey
	if keyPath == "" {
		keyPath = credential("device-key")
	}
	if keyPath == "" {
		keyPath = filepath.Join(dir, "device.key")
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return k, fmt.Errorf("keys: device key: %w", err)
	}
	if k.device, err = envelope.ParseDeviceKey(keyPEM); err != nil {
		return k, fmt.Errorf("keys: %s: %w", keyPath, err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "device.crt"))
	if err != nil {
		return k, fmt.Errorf("keys: %w", err)
	}
	if k.cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return k, fmt.Errorf("keys: device.crt and %s: %w", keyPath, err)
	}
	leaf, err := x509.ParseCertificate(k.cert.Certificate[0])
	if err != nil {
		return k, fmt.Errorf("keys: device.crt: %w", err)
	}
	if leaf.Subject.CommonName != c.Device {
		return k, fmt.Errorf("keys: device.crt is for %q, this unit is %q", leaf.Subject.CommonName, c.Device)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return k, fmt.Errorf("keys: %w", err)
	}
	k.ca = x509.NewCertPool()
	if !k.ca.AppendCertsFromPEM(caPEM) {
		return k, errors.New("keys: ca.crt: no certificate")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: k.ca, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return k, fmt.Errorf("keys: device.crt does not chain to ca.crt: %w", err)
	}
	if k.hqSigning, err = hqsign.LoadKeyring(filepath.Join(dir, "hq-signing.pub")); err != nil {
		return k, fmt.Errorf("keys: %w", err)
	}
	suite, err := envelope.ParseSuite(c.Keys.Suite)
	if err != nil {
		return k, fmt.Errorf("keys.suite: %w", err)
	}
	pubs, _ := filepath.Glob(filepath.Join(dir, "hq-epoch-*.pub"))
	for _, p := range pubs {
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "hq-epoch-"), ".pub"), 10, 32)
		if err != nil || (k.hqKey != nil && uint32(n) <= k.epoch) {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return k, fmt.Errorf("keys: %w", err)
		}
		pub, err := envelope.ParseHQPublicKey(b)
		if err != nil {
			return k, fmt.Errorf("keys: %s: %w", p, err)
		}
		if pub.KEM().ID() != suite.KEMID() {
			continue // an epoch of the other suite
		}
		k.hqKey, k.epoch = pub, uint32(n)
	}
	if k.hqKey == nil {
		return k, fmt.Errorf("keys: no HQ encryption key of suite %s (hq-epoch-N.pub) in %s", suite, dir)
	}
	k.suite = suite
	return k, nil
}

// tlsConfig is the uplink's mutual TLS: the unit's certificate, the
// department CA, TLS 1.2 or later.
func (k unitKeys) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		RootCAs:      k.ca,
		Certificates: []tls.Certificate{k.cert},
	}
}

// storageKey reads the storage key: storage.key_file, the systemd
// credential "storage-key", or else a key made once and kept in the state
// folder (a development unit; a provisioned unit has the credential).
func storageKey(c config.Storage) ([]byte, bool, error) {
	path := c.KeyFile
	if path == "" {
		path = credential("storage-key")
	}
	if path != "" {
		k, err := vault.LoadKey(path)
		return k, false, err
	}
	path = filepath.Join(c.Dir, "storage.key")
	if k, err := vault.LoadKey(path); err == nil {
		return k, true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, true, err
	}
	k := vault.NewKey()
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, true, fmt.Errorf("storage: %w", err)
	}
	if err := vault.WriteAtomic(path, k, 0o600); err != nil {
		return nil, true, err
	}
	return k, true, nil
}
