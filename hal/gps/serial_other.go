//go:build !linux

package gps

import (
	"errors"
	"fmt"
	"io"
)

// OpenSerial is only implemented on Linux; elsewhere it returns an error
// wrapping errors.ErrUnsupported.
func OpenSerial(device string, baud int) (io.ReadCloser, error) {
	return nil, fmt.Errorf("gps: open serial %s: %w", device, errors.ErrUnsupported)
}
