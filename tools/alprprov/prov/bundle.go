package prov

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Bundle is a unit's provisioning folder, Root/devices/<id>: what the
// technician copies to the unit.
type Bundle struct {
	Dir          string    // the folder
	Identity     *Identity // the unit's certificate and key
	Files        []string  // the files SHA256SUMS lists, sorted
	SigningKeyID string    // HQ's signing key id; "" when it is missing
	Epochs       []uint32  // epochs of the HQ public keys it holds
}

// HQEpochFile returns the bundle's file name of epoch's HQ public key.
func HQEpochFile(epoch uint32) string { return "hq-" + HQKeyName(epoch) + ".pub" }

// CreateDevice issues unit id's client certificate (see ValidDevice) and
// writes its bundle into Root/devices/<id>: device.key, device.crt, ca.crt,
// hq-signing.pub and hq-epoch-<N>.pub when Root has them, and SHA256SUMS.
// Check Bundle.SigningKeyID and Bundle.Epochs for what was missing.
func (d Dir) CreateDevice(id string, validity time.Duration) (*Bundle, error) {
	if err := ValidDevice(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(d.Root, DevicesFolder, id)
	if err := d.refuseExisting(dir); err != nil {
		return nil, err
	}
	b := &Bundle{Dir: dir}
	var files []file
	signing, err := os.ReadFile(filepath.Join(d.Root, SigningFolder, SigningPublic))
	switch {
	case err == nil:
		if _, b.SigningKeyID, err = ParseSigningPublicKey(signing); err != nil {
			return nil, err
		}
		files = append(files, file{SigningPublic, signing, modePublic})
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("prov: %w", err)
	}
	hqKeys, err := d.HQPublicKeys()
	if err != nil {
		return nil, err
	}
	for _, k := range hqKeys {
		files = append(files, file{HQEpochFile(k.Epoch), k.Data, modePublic})
		b.Epochs = append(b.Epochs, k.Epoch)
	}
	var idFiles []file
	b.Identity, idFiles, err = d.issued(DeviceKey, DeviceCert, func(ca *Identity) (*Identity, error) {
		return ca.IssueDevice(id, d.now(), validity)
	})
	if err != nil {
		return nil, err
	}
	files = append(files, idFiles...)
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	var sums bytes.Buffer
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), f.name)
		b.Files = append(b.Files, f.name)
	}
	files = append(files, file{Manifest, sums.Bytes(), modePublic})
	if err := writeDir(dir, files, d.Force); err != nil {
		return nil, err
	}
	return b, nil
}

// VerifyBundle checks a copied bundle folder against its SHA256SUMS (the
// format of sha256sum(1)): every listed file is there with its digest, and
// no other file is. It returns the listed names. The manifest catches a
// damaged or incomplete copy, not a forgery: it is not signed.
func VerifyBundle(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, Manifest))
	if err != nil {
		return nil, fmt.Errorf("prov: verify bundle: %w", err)
	}
	listed := map[string]bool{}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		want, err := hex.DecodeString(sum)
		if !ok || err != nil || len(want) != sha256.Size || name == "" || strings.ContainsAny(name, `/\`) || name == Manifest || listed[name] {
			return nil, fmt.Errorf("prov: verify bundle: %s line %d: want \"<sha-256 hex>  <file name>\" once per file", Manifest, line)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("prov: verify bundle: %w", err)
		}
		if sum := sha256.Sum256(got); !bytes.Equal(sum[:], want) {
			return nil, fmt.Errorf("prov: verify bundle: %s: SHA-256 %x, want %x", name, sum, want)
		}
		listed[name] = true
		names = append(names, name)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("prov: verify bundle: %w", err)
	}
	for _, e := range entries {
		if e.Name() != Manifest && !listed[e.Name()] {
			return nil, fmt.Errorf("prov: verify bundle: %s is not in %s", e.Name(), Manifest)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("prov: verify bundle: %s lists no file", Manifest)
	}
	return names, nil
}
