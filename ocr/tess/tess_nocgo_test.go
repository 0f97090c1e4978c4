//go:build !cgo

package tess

import (
	"errors"
	"testing"
)

func TestNoCgo(t *testing.T) {
	r := New(Config{})
	if err := r.Open(); !errors.Is(err, ErrNoCgo) {
		t.Errorf("Open = %v, want ErrNoCgo", err)
	}
	if _, err := r.Read(flat(100, 50, 0)); !errors.Is(err, ErrNoCgo) {
		t.Errorf("Read = %v, want ErrNoCgo", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if v := Version(); v != "" {
		t.Errorf("Version = %q", v)
	}
}
