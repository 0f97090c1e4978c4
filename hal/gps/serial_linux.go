//go:build linux

package gps

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// bauds maps the supported line speeds to their termios codes.
var bauds = map[int]uint32{
	4800:   unix.B4800,
	9600:   unix.B9600,
	19200:  unix.B19200,
	38400:  unix.B38400,
	57600:  unix.B57600,
	115200: unix.B115200,
	230400: unix.B230400,
}

// OpenSerial opens a serial device for reading NMEA: raw mode (no echo, no
// line editing, no CR/LF translation), 8 data bits, no parity, one stop bit,
// no flow control, at baud bits per second (4800 to 230400). The returned
// file is non-blocking under the hood, so closing it from another goroutine
// makes a pending Read return.
//
// A device that is not there (no such file, or a USB receiver unplugged)
// gives an error wrapping os.ErrNotExist. A device that is there but unusable
// (not a terminal, permission denied) gives another error.
func OpenSerial(device string, baud int) (io.ReadCloser, error) {
	speed, ok := bauds[baud]
	if !ok {
		return nil, fmt.Errorf("gps: open serial %s: baud %d not supported", device, baud)
	}
	fd, err := unix.Open(device, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("gps: open serial %s: %w (%w)", device, os.ErrNotExist, err)
		}
		return nil, fmt.Errorf("gps: open serial %s: %w", device, err)
	}
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("gps: open serial %s: get termios: %w", device, err)
	}
	// As cfmakeraw(3), then the line settings.
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
	t.Ispeed, t.Ospeed = speed, speed
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("gps: open serial %s: set termios %d baud raw: %w", device, baud, err)
	}
	// The fd is non-blocking, so os.NewFile hands it to the runtime poller:
	// Read waits without a thread and Close wakes it.
	return os.NewFile(uintptr(fd), device), nil
}
