//go:build !linux

package v4l2

import (
	"errors"
	"testing"
)

func TestOpenUnsupported(t *testing.T) {
	if err := New(Config{}, nil).Open(t.Context()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("got %v, want errors.ErrUnsupported", err)
	}
}
