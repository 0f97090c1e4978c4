// Package sdnotify speaks systemd's notify protocol (sd_notify(3)): READY,
// STOPPING, STATUS and WATCHDOG datagrams to $NOTIFY_SOCKET. Outside systemd
// (no NOTIFY_SOCKET) every call does nothing.
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Notifier sends state changes to the service manager.
type Notifier struct {
	socket string
}

// FromEnv returns a notifier for $NOTIFY_SOCKET (which may be empty).
func FromEnv() *Notifier { return &Notifier{socket: os.Getenv("NOTIFY_SOCKET")} }

// Enabled reports whether a service manager listens.
func (n *Notifier) Enabled() bool { return n.socket != "" }

// Send sends one state string such as "READY=1".
func (n *Notifier) Send(state string) error {
	if n.socket == "" {
		return nil
	}
	addr := &net.UnixAddr{Name: n.socket, Net: "unixgram"}
	if addr.Name[0] == '@' {
		addr.Name = "\x00" + addr.Name[1:] // abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return fmt.Errorf("sdnotify: dial %s: %w", n.socket, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: send %q: %w", state, err)
	}
	return nil
}

// Ready says the service finished starting.
func (n *Notifier) Ready() error { return n.Send("READY=1") }

// Stopping says the service began shutting down.
func (n *Notifier) Stopping() error { return n.Send("STOPPING=1") }

// Watchdog pets the watchdog.
func (n *Notifier) Watchdog() error { return n.Send("WATCHDOG=1") }

// Status sets the one-line status systemctl shows.
func (n *Notifier) Status(s string) error { return n.Send("STATUS=" + s) }

// WatchdogInterval returns the interval systemd expects pets in ($WATCHDOG_USEC),
// or 0 when the watchdog is off or meant for another process ($WATCHDOG_PID).
func WatchdogInterval() time.Duration {
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	return time.Duration(us) * time.Microsecond
}
