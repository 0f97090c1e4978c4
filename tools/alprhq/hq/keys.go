package hq

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"alprd/firmware/envelope"
)

// LoadHQKeys reads HQ's HPKE private keys from dir: one file per key epoch
// named epoch-<N>.key (N in decimal, 1 to 4294967295, no leading zero), as
// alprprov hq-key writes them into its hq-keys folder. Other files (the
// epoch-<N>.pub public halves) are ignored; a *.key file with another name
// is an error, so that a misnamed key is not silently unused.
func LoadHQKeys(dir string) (envelope.HQKeyMap, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("hq: HQ keys: %w", err)
	}
	keys := make(envelope.HQKeyMap)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".key") {
			continue
		}
		epoch, err := keyEpoch(name)
		if err != nil {
			return nil, fmt.Errorf("hq: HQ key %s: %w", filepath.Join(dir, name), err)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("hq: HQ key: %w", err)
		}
		k, err := envelope.ParseHQPrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("hq: HQ key %s: %w", filepath.Join(dir, name), err)
		}
		keys[epoch] = k
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("hq: HQ keys: no epoch-<N>.key file in %s", dir)
	}
	return keys, nil
}

// keyEpoch returns N of "epoch-N.key".
func keyEpoch(name string) (uint32, error) {
	digits, ok := strings.CutPrefix(strings.TrimSuffix(name, ".key"), "epoch-")
	if !ok {
		return 0, errors.New("want a name epoch-<N>.key")
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != digits {
		return 0, fmt.Errorf("epoch %q: want 1 to 4294967295 in decimal", digits)
	}
	return uint32(n), nil
}

// LoadDevices reads the units' client certificates from dir and its
// subfolders: every *.crt file holding a CERTIFICATE PEM block, such as the
// devices/<id>/device.crt files of alprprov's provisioning folder. The
// device id is the certificate's common name. CA certificates (the ca.crt
// next to each bundle) are skipped. When roots is not nil, a certificate
// must chain to it for client authentication at now; one that does not, or
// whose CN is not a valid device id, is logged and skipped, so that one
// expired or foreign certificate does not keep HQ from starting. When a
// device has several certificates (a renewal), the latest issued wins. It
// fails when no device is left.
func LoadDevices(dir string, roots *x509.CertPool, now time.Time, log *slog.Logger) (envelope.DeviceKeyMap, error) {
	type found struct {
		key       *ecdsa.PublicKey
		notBefore time.Time
	}
	devs := make(map[string]found)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".crt") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		cert, err := firstCert(data)
		if err != nil {
			log.Warn("hq: device certificate skipped", "file", path, "err", err)
			return nil
		}
		if cert.IsCA {
			return nil
		}
		id := cert.Subject.CommonName
		if err := validDevice(id); err != nil {
			log.Warn("hq: device certificate skipped", "file", path, "err", err)
			return nil
		}
		if roots != nil {
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				log.Warn("hq: device certificate skipped", "file", path, "device", id, "err", err)
				return nil
			}
		}
		key, err := envelope.ParseDevicePublicKey(data)
		if err != nil {
			log.Warn("hq: device certificate skipped", "file", path, "device", id, "err", err)
			return nil
		}
		if prev, ok := devs[id]; ok {
			log.Warn("hq: several certificates for one device: the latest issued is used", "device", id, "file", path)
			if !cert.NotBefore.After(prev.notBefore) {
				return nil
			}
		}
		devs[id] = found{key, cert.NotBefore}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hq: devices: %w", err)
	}
	if len(devs) == 0 {
		return nil, fmt.Errorf("hq: devices: no usable device certificate (*.crt) in %s", dir)
	}
	keys := make(envelope.DeviceKeyMap, len(devs))
	for id, f := range devs {
		keys[id] = f.key
	}
	return keys, nil
}

func firstCert(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no CERTIFICATE PEM block")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// hqPrefix starts the names of HQ identities, never a unit's (alprprov).
const hqPrefix = "hq-"

// validDevice checks a certificate's CN as a unit id: 1 to 64 letters,
// digits, '-', '_' or '.', starting with a letter or digit, and not an HQ
// identity's name.
func validDevice(id string) error {
	if id == "" || len(id) > envelope.MaxDeviceLen {
		return fmt.Errorf("common name %q: want 1 to %d characters", id, envelope.MaxDeviceLen)
	}
	for i, r := range id {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || r != '-' && r != '_' && r != '.') {
			return fmt.Errorf("common name %q: want letters, digits, '-', '_' and '.', starting with a letter or digit", id)
		}
	}
	if len(id) >= len(hqPrefix) && strings.EqualFold(id[:len(hqPrefix)], hqPrefix) {
		return fmt.Errorf("common name %q: an HQ identity, not a unit", id)
	}
	return nil
}
