//go:build linux

package v4l2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"alprd/hal/camera"
)

func TestOpenErrors(t *testing.T) {
	notV4L2 := filepath.Join(t.TempDir(), "video0")
	if err := os.WriteFile(notV4L2, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		cfg      Config
		notExist bool
	}{
		{"missing device", Config{Device: "/dev/video-does-not-exist"}, true},
		{"not a video device", Config{Device: notV4L2}, false},
		{"bad config", Config{Device: "/dev/video-does-not-exist", Format: "h264"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.cfg, nil)
			err := c.Open(t.Context())
			if err == nil {
				c.Close()
				t.Fatal("got nil error, want one")
			}
			if got := errors.Is(err, os.ErrNotExist); got != tc.notExist {
				t.Errorf("got errors.Is(%v, os.ErrNotExist) = %v, want %v", err, got, tc.notExist)
			}
			if _, err := c.Next(t.Context()); !errors.Is(err, camera.ErrClosed) {
				t.Errorf("next after failed open: got %v, want camera.ErrClosed", err)
			}
		})
	}
}

func TestCloseUnopened(t *testing.T) {
	c := New(Config{}, nil)
	for i := range 2 {
		if err := c.Close(); err != nil {
			t.Errorf("close %d: got %v, want nil", i+1, err)
		}
	}
	if _, err := c.Next(t.Context()); !errors.Is(err, camera.ErrClosed) {
		t.Errorf("next: got %v, want camera.ErrClosed", err)
	}
}
