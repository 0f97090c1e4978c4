package prov

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of what Dir writes.
const (
	modeDir    fs.FileMode = 0o700
	modeSecret fs.FileMode = 0o600
	modePublic fs.FileMode = 0o644
	tempPrefix             = ".tmp-"
	oldPrefix              = ".old-"
)

// file is one file of a folder written by writeDir.
type file struct {
	name string
	data []byte
	mode fs.FileMode
}

// writeDir writes files as the folder dir, whole or not at all: it builds
// them in a temporary sibling folder (each file fsynced, then the folder),
// renames it to dir and fsyncs the parent. An existing dir is an error
// wrapping fs.ErrExist unless replace is set, when it is swapped out and
// removed.
func writeDir(dir string, files []file, replace bool) (err error) {
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, modeDir); err != nil {
		return fmt.Errorf("prov: %w", err)
	}
	if _, err := os.Lstat(dir); err == nil && !replace {
		return fmt.Errorf("prov: %s exists (it holds a private key; -force replaces it): %w", dir, fs.ErrExist)
	}
	tmp, err := os.MkdirTemp(parent, tempPrefix+base+"-")
	if err != nil {
		return fmt.Errorf("prov: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, modeDir); err != nil {
		return fmt.Errorf("prov: %w", err)
	}
	for _, f := range files {
		if err := writeNew(filepath.Join(tmp, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	var old string
	if replace {
		old = filepath.Join(parent, oldPrefix+base+"-"+randomHex())
		if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("prov: %w", err)
		} else if err != nil {
			old = ""
		}
	}
	// rename(2) replaces an empty folder but fails on one that holds files,
	// so a folder that appeared meanwhile is not overwritten.
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return fmt.Errorf("prov: %w", err)
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("prov: remove the replaced folder: %w", err)
		}
	}
	return nil
}

// writeNew creates path (which must not exist) with data and mode, and
// fsyncs it.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("prov: %w", err)
	}
	if err := f.Chmod(mode); err != nil { // the umask may have cleared bits
		f.Close()
		return fmt.Errorf("prov: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("prov: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("prov: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("prov: %w", err)
	}
	return nil
}

// writeFile replaces path atomically with data and mode: a temporary file in
// the same folder, fsync, rename, fsync of the folder.
func writeFile(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, tempPrefix+filepath.Base(path)+"-"+randomHex())
	if err := writeNew(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("prov: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("prov: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("prov: sync %s: %w", dir, err)
	}
	return nil
}

func randomHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
