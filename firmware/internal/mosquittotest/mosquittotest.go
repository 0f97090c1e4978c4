// Package mosquittotest starts Debian's Mosquitto broker for tests: the real
// broker the unit talks to in the field, on a free loopback port, stopped when
// the test ends.
package mosquittotest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Broker is a running mosquitto.
type Broker struct {
	Addr string // host:port
	cmd  *exec.Cmd
	done chan struct{}
	conf string
	logs *bytes.Buffer
}

// URL returns tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.Addr }

// Start starts mosquitto with anonymous access on a free loopback port and
// stops it at the end of the test. extra lines are appended to its
// configuration. It fails the test when mosquitto is not installed (make deps
// installs it) or does not start.
func Start(t testing.TB, extra ...string) *Broker {
	t.Helper()
	for attempt := 0; ; attempt++ {
		b := &Broker{Addr: freeAddr(t)}
		_, port, _ := strings.Cut(b.Addr, ":")
		b.conf = filepath.Join(t.TempDir(), "mosquitto.conf")
		conf := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n%s\n", port, strings.Join(extra, "\n"))
		if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
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
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("mosquitto not installed: run `make deps` (Debian package mosquitto)")
		}
	}
	b.logs = new(bytes.Buffer)
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

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
