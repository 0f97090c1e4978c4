// Package mosquittotest starts Debian's Mosquitto broker for tests: the real
// broker the unit talks to in the field, on a free loopback port, stopped when
// the test ends. Start runs an open plain-TCP broker; StartTLS runs a given
// configuration (the department's TLS listener and ACL).
package mosquittotest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Broker is a running mosquitto.
type Broker struct {
	Addr   string // host:port
	scheme string // of URL: tcp or ssl
	cmd    *exec.Cmd
	done   chan struct{}
	conf   string
	logs   *syncBuffer
}

// URL returns tcp://host:port, or ssl://host:port for a broker started by
// StartTLS.
func (b *Broker) URL() string { return b.scheme + "://" + b.Addr }

// Logs returns what mosquitto has logged so far (its stderr and stdout),
// for a failing test to show.
func (b *Broker) Logs() string { return b.logs.String() }

// Binary returns the path of the mosquitto executable, or "" when it is not
// installed (Debian package mosquitto; make deps installs it). Start and
// StartTLS fail the test in that case; a test may call Binary first to skip.
func Binary() string {
	if bin, err := exec.LookPath("mosquitto"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	return ""
}

// Start starts mosquitto with anonymous access on a free loopback port and
// stops it at the end of the test. extra lines are appended to its
// configuration. It fails the test when mosquitto is not installed (make deps
// installs it) or does not start.
func Start(t testing.TB, extra ...string) *Broker {
	t.Helper()
	return startConf(t, "tcp", func(port string) (string, error) {
		return fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n%s\n", port, strings.Join(extra, "\n")), nil
	})
}

// StartTLS starts mosquitto with the configuration conf on a free loopback
// port and stops it at the end of the test; URL returns ssl://host:port.
// conf must hold exactly one "listener" line, the TLS listener, whose port
// and address StartTLS replace; the files it names (certificates, key, ACL)
// are read where they are. StartTLS adds "persistence false" and
// "log_dest stderr", and "user root" when the test runs as root: mosquitto
// started as root drops to user mosquitto before it reads certificates and
// the ACL, which tests keep in their 0700 temporary folders with 0600 keys,
// as the provisioning tool writes them. It fails the test when mosquitto is
// not installed (see Binary), when conf is not as described or when mosquitto
// does not start (Logs then tells why).
func StartTLS(t testing.TB, conf string) *Broker {
	t.Helper()
	return startConf(t, "ssl", func(port string) (string, error) {
		var out strings.Builder
		out.WriteString("persistence false\nlog_dest stderr\n")
		if os.Geteuid() == 0 {
			out.WriteString("user root\n")
		}
		n := 0
		for line := range strings.Lines(conf) {
			if f := strings.Fields(line); len(f) > 0 && f[0] == "listener" {
				n++
				line = fmt.Sprintf("listener %s 127.0.0.1\n", port)
			}
			out.WriteString(line)
		}
		if n != 1 {
			return "", fmt.Errorf("mosquittotest: configuration holds %d listener lines, want 1", n)
		}
		return out.String(), nil
	})
}

// startConf starts mosquitto with the configuration conf(port) on a free
// port, trying other ports when one is taken meanwhile.
func startConf(t testing.TB, scheme string, conf func(port string) (string, error)) *Broker {
	t.Helper()
	dir := t.TempDir()
	for attempt := 0; ; attempt++ {
		b := &Broker{Addr: freeAddr(t), scheme: scheme}
		_, port, _ := strings.Cut(b.Addr, ":")
		text, err := conf(port)
		if err != nil {
			t.Fatal(err)
		}
		b.conf = filepath.Join(dir, "mosquitto.conf")
		if err := os.WriteFile(b.conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := b.start(t); err == nil {
			t.Cleanup(b.Stop)
			return b
		} else if attempt == 3 {
			t.Fatal(err)
		}
	}
}

func (b *Broker) start(t testing.TB) error {
	bin := Binary()
	if bin == "" {
		t.Fatal("mosquitto not installed: run `make deps` (Debian package mosquitto)")
	}
	b.logs = new(syncBuffer)
	b.cmd = exec.Command(bin, "-c", b.conf)
	b.cmd.Stdout, b.cmd.Stderr = b.logs, b.logs
	if err := b.cmd.Start(); err != nil {
		return fmt.Errorf("mosquittotest: start: %w", err)
	}
	b.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(b.cmd, b.done)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return fmt.Errorf("mosquittotest: mosquitto exited:\n%s", b.logs)
		default:
		}
		if c, err := net.DialTimeout("tcp", b.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Stop()
	return fmt.Errorf("mosquittotest: mosquitto not listening on %s after 10 s:\n%s", b.Addr, b.logs)
}

// Stop kills the broker (an outage, as far as clients can tell) and waits for
// it to exit. It is safe to call more than once.
func (b *Broker) Stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	b.cmd.Process.Kill()
	<-b.done
}

// Restart starts the broker again on the same port after Stop.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	b.Stop()
	if err := b.start(t); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer (exec's copying
// goroutine) and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
