// Package brokertest starts Debian's Mosquitto broker for alprhq's tests. It
// is a small copy of alprd/firmware/internal/mosquittotest.Start, which
// tools/ cannot import (it is internal to firmware/).
package brokertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Start runs Debian's mosquitto, open and plain TCP, on a free loopback port
// until the test ends, and returns its tcp:// URL. It fails the test when
// mosquitto is not installed (make deps installs it) or does not start.
func Start(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("mosquitto not installed: run `make deps` (Debian package mosquitto)")
		}
	}
	dir := t.TempDir()
	for attempt := 0; ; attempt++ {
		addr := freeAddr(t)
		_, port, _ := net.SplitHostPort(addr)
		conf := filepath.Join(dir, "mosquitto.conf")
		text := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n", port)
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		logs := new(syncBuffer)
		cmd := exec.Command(bin, "-c", conf)
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		stop := func() { cmd.Process.Kill(); <-done }
		if waitListening(addr, done) {
			t.Cleanup(stop)
			return "tcp://" + addr
		}
		stop()
		if attempt == 3 {
			t.Fatalf("mosquitto did not start:\n%s", logs)
		}
	}
}

// waitListening reports whether addr accepts connections within 10 s, or
// false as soon as the broker exited.
func waitListening(addr string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond) // polling a child process's port: no event to wait on
	}
	return false
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
