//go:build linux

package gps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the master side of a new pseudo-terminal and the path of
// its slave, which stands in for a serial port. It skips the test where
// there are no ptys.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ioErr error
	if err := rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr != nil {
			return
		}
		n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
	}); err != nil {
		t.Fatal(err)
	}
	if ioErr != nil {
		t.Skipf("cannot set up a pseudo-terminal: %v", ioErr)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

func TestOpenSerialRawMode(t *testing.T) {
	m, slave := openPTY(t)
	port, err := OpenSerial(slave, 9600)
	if err != nil {
		t.Fatalf("OpenSerial(%s): got error %v, want nil", slave, err)
	}
	defer port.Close()

	// In raw mode the CR comes through untranslated, the line is not held
	// back for editing and nothing is echoed.
	const line = "$GPRMC,1\r\n"
	if _, err := m.WriteString(line); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(line))
	if _, err := io.ReadFull(port, got); err != nil {
		t.Fatalf("read: got error %v, want nil", err)
	}
	if string(got) != line {
		t.Errorf("read: got %q, want %q", got, line)
	}
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var echoed int
	var ioErr error
	if err := rc.Control(func(fd uintptr) { echoed, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCINQ) }); err != nil || ioErr != nil {
		t.Fatalf("pending bytes on the master: %v %v", err, ioErr)
	}
	if echoed != 0 {
		t.Errorf("echoed bytes: got %d, want 0", echoed)
	}

	// Close from another goroutine ends a pending Read.
	done := make(chan error)
	go func() {
		_, err := port.Read(make([]byte, 16))
		done <- err
	}()
	port.Close()
	if err := <-done; err == nil {
		t.Error("Read after Close: got nil error, want one")
	}
}

func TestOpenSerialErrors(t *testing.T) {
	regular := filepath.Join(t.TempDir(), "not-a-tty")
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		device   string
		baud     int
		notExist bool
		text     string
	}{
		{"missing", "/dev/no-such-gps", 9600, true, "gps: open serial /dev/no-such-gps: no such file or directory"},
		{"not a terminal", regular, 9600, false, "gps: open serial " + regular + ": get termios: "},
		{"bad baud", "/dev/no-such-gps", 1234, false, "gps: open serial /dev/no-such-gps: baud 1234 not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, err := OpenSerial(tt.device, tt.baud)
			if err == nil {
				port.Close()
				t.Fatalf("OpenSerial(%s, %d): got nil error, want one", tt.device, tt.baud)
			}
			if got := errors.Is(err, os.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(%v, os.ErrNotExist): got %v, want %v", err, got, tt.notExist)
			}
			if !strings.HasPrefix(err.Error(), tt.text) {
				t.Errorf("error: got %q, want it to start with %q", err, tt.text)
			}
		})
	}
}

func TestSerialRunNotPresent(t *testing.T) {
	s := NewSerial("/dev/no-such-gps", 9600, nil)
	err := s.Run(context.Background())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Run: got error %v, want os.ErrNotExist", err)
	}
	if _, ok := s.Position(); ok {
		t.Error("Position: got ok true, want false")
	}
}

// TestSerialRun reads a fix through a pseudo-terminal. The pty is real I/O,
// outside what testing/synctest can fake, so the test waits for the fix by
// polling, bounded.
func TestSerialRun(t *testing.T) {
	m, slave := openPTY(t)
	s := NewSerial(slave, 9600, nil)
	if got := s.Device(); got != slave {
		t.Errorf("Device: got %s, want %s", got, slave)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		// Write until Run has opened the port and read a fix: lines written
		// before it opened the port may be lost.
		if _, err := m.WriteString(gga + "\r\n" + rmc + "\r\n"); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Position(); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Position: got no fix within 10 s, want one")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fix, _ := s.Position()
	if !near(fix.Lat, 48+7.038/60) || !near(fix.Lon, 11+31.0/60) || fix.Source != "gps" {
		t.Errorf("Position: got %+v, want 48.1173 N 11.5167 E from gps", fix)
	}

	cancel() // closes the port, ending the pending Read
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got error %v, want context.Canceled", err)
	}
}
