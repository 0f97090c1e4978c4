// Package vault keeps the unit's small state files encrypted at rest: hot
// lists, manual entries, alerts and their dispositions.
//
// Each file is sealed with AES-256-GCM under the unit's storage key (a
// systemd credential, which systemd can keep sealed to the board's TPM), with
// the file's name as associated data, so a file cannot be read without the key
// nor swapped for another file unnoticed. Writes are atomic and durable: a
// temporary file, fsync, rename, fsync of the directory.
//
// File layout: "AV01" | 12-byte nonce | ciphertext and 16-byte tag.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the storage key's length in bytes.
const KeySize = 32

const magic = "AV01"

// ErrTampered reports a file that does not open under the unit's key: it was
// modified, swapped for another file, or written under another key.
var ErrTampered = errors.New("vault: file does not open under the storage key (tampered or foreign)")

// Vault is a directory of sealed files. It is safe for concurrent use on
// different names; writes to one name are last-writer-wins.
type Vault struct {
	dir  string
	aead cipher.AEAD
}

// Open returns the vault in dir (created 0700 if missing) under key.
func Open(dir string, key []byte) (*Vault, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("vault: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return &Vault{dir: dir, aead: aead}, nil
}

// LoadKey reads a storage key file: exactly KeySize bytes, or their hex.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault: storage key: %w", err)
	}
	if len(b) == KeySize {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	if len(s) == 2*KeySize {
		k := make([]byte, KeySize)
		if _, err := fmt.Sscanf(s, "%x", &k); err == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("vault: storage key %s: want %d raw bytes or %d hex digits", path, KeySize, 2*KeySize)
}

// NewKey returns a fresh random storage key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

func (v *Vault) path(name string) (string, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("vault: bad file name %q", name)
	}
	return filepath.Join(v.dir, name), nil
}

// ReadFile returns the plain content of name. A missing file is an error
// wrapping fs.ErrNotExist; one that does not open wraps ErrTampered.
func (v *Vault) ReadFile(name string) ([]byte, error) {
	p, err := v.path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	ns := v.aead.NonceSize()
	if len(b) < len(magic)+ns+v.aead.Overhead() || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("vault: %s: %w", name, ErrTampered)
	}
	nonce := b[len(magic) : len(magic)+ns]
	plain, err := v.aead.Open(nil, nonce, b[len(magic)+ns:], []byte(name))
	if err != nil {
		return nil, fmt.Errorf("vault: %s: %w", name, ErrTampered)
	}
	return plain, nil
}

// WriteFile seals data into name atomically and durably: after it returns,
// a power cut leaves either the old or the new content, never a mix.
func (v *Vault) WriteFile(name string, data []byte) error {
	p, err := v.path(name)
	if err != nil {
		return err
	}
	ns := v.aead.NonceSize()
	out := make([]byte, len(magic)+ns, len(magic)+ns+len(data)+v.aead.Overhead())
	copy(out, magic)
	rand.Read(out[len(magic):])
	out = v.aead.Seal(out, out[len(magic):], data, []byte(name))
	return WriteAtomic(p, out, 0o600)
}

// Remove deletes name; a missing file is not an error.
func (v *Vault) Remove(name string) error {
	p, err := v.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vault: %w", err)
	}
	return syncDir(v.dir)
}

// WriteAtomic writes data to path through a temporary file in the same
// directory: write, fsync, rename, fsync the directory.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("vault: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("vault: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("vault: sync %s: %w", dir, err)
	}
	return nil
}
