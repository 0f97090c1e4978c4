//go:build !linux

package v4l2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"alprd/hal/camera"
)

// Camera is a V4L2 camera. Off Linux there is none: Open always fails.
type Camera struct {
	cfg Config
}

var _ camera.Source = (*Camera)(nil)

// New returns a Camera for cfg. It does no I/O.
func New(cfg Config, log *slog.Logger) *Camera {
	if cfg.Device == "" {
		cfg.Device = DefaultDevice
	}
	return &Camera{cfg: cfg}
}

// Open returns an error wrapping errors.ErrUnsupported: V4L2 is Linux only.
func (c *Camera) Open(ctx context.Context) error {
	return fmt.Errorf("v4l2: open %s: %w", c.cfg.Device, errors.ErrUnsupported)
}

// Next returns camera.ErrClosed: the Camera never opens.
func (c *Camera) Next(ctx context.Context) (camera.Frame, error) {
	return camera.Frame{}, camera.ErrClosed
}

// Close does nothing.
func (c *Camera) Close() error { return nil }
