package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/mosquittotest"
	"alprd/firmware/uplink"
	"alprd/tools/alprprov/prov"
	"alprd/tools/platesynth/synth"
)

// daemon builds alprd once for the package's tests.
var daemon = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "alprd-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "alprd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := daemon(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

func build(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the daemon with")
	}
	bin, err := daemon()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestCheckConfig(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"version":1,"device":"u1","camera":{"replay":"/frames"}}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"version":1,"device":"u1","camera":{"replay":"/frames","fsp":3}}`), 0o600)
	missing := filepath.Join(dir, "missing.json")
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		out    string
	}{
		{"good", []string{"-check-config", good}, 0, good + ": configuration is valid\n"},
		{"unknown key", []string{"-check-config", bad}, 125, "alprd: config: " + bad + `: unknown key "camera.fsp" (did you mean "camera.fps"?)` + "\n"},
		{"missing file", []string{"-check-config", missing}, 125, "alprd: config: open " + missing + ": no such file or directory\n"},
		{"run with a bad config", []string{"-config", bad}, 125, "alprd: config: " + bad + `: unknown key "camera.fsp" (did you mean "camera.fps"?)` + "\n"},
		{"stray argument", []string{"-config", good, "extra"}, 2, "alprd: unexpected argument \"extra\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(bin, tc.args...).CombinedOutput()
			status := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || string(out) != tc.out {
				t.Errorf("got status %d, output %q; want %d, %q", status, out, tc.status, tc.out)
			}
		})
	}
}

// TestDaemon runs the real binary as systemd would: it says READY on
// NOTIFY_SOCKET, pets the watchdog while frames flow, publishes reads, and on
// SIGTERM drains, says offline and exits 0.
func TestDaemon(t *testing.T) {
	bin := build(t)
	broker := mosquittotest.Start(t)
	dir := t.TempDir()
	frames := filepath.Join(dir, "frames")
	opts := synth.DefaultOptions()
	opts.Seed, opts.IR, opts.MinPlateWidth, opts.MaxPlateWidth = 5, 0, 150, 220
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteDataset(frames, synth.LayoutEndToEnd, 3, g); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "alprd.json")
	os.WriteFile(cfg, fmt.Appendf(nil, `{"version":1,"device":"bin-unit","camera":{"replay":%q,"fps":5},"ocr":{"min_confidence":0},"mqtt":{"broker":%q},%s}`, frames, broker.URL(), provisioned(t, "bin-unit")), 0o600)

	sock := filepath.Join(dir, "notify")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	notes := make(chan string, 100)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := notify.Read(buf)
			if err != nil {
				close(notes)
				return
			}
			notes <- string(buf[:n])
		}
	}()

	var mu sync.Mutex
	var reads int
	var states []string
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(broker.URL()).SetClientID("hq"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(50)
	sub.Subscribe("alpr/v1/bin-unit/#", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(m.Topic(), "/reads") {
			reads++
		} else if strings.HasSuffix(m.Topic(), "/state") {
			var s uplink.StateMessage
			json.Unmarshal(m.Payload(), &s)
			states = append(states, s.State)
		}
	}).WaitTimeout(10 * time.Second)

	var logs bytes.Buffer
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=1000000", "WATCHDOG_PID=")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	}()

	want := map[string]bool{"READY=1": false, "WATCHDOG=1": false}
	deadline := time.After(60 * time.Second)
	for !want["READY=1"] || !want["WATCHDOG=1"] {
		select {
		case n := <-notes:
			if _, ok := want[n]; ok {
				want[n] = true
			}
		case err := <-exited:
			t.Fatalf("daemon exited early: %v", err)
		case <-deadline:
			t.Fatalf("notifications: got %v, want READY=1 and WATCHDOG=1", want)
		}
	}
	for {
		mu.Lock()
		n := reads
		mu.Unlock()
		if n > 0 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("daemon exited early: %v", err)
		case <-deadline:
			t.Fatal("no read within 60 s")
		case <-time.After(50 * time.Millisecond):
		}
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: got %v, want status 0", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("daemon still running 30 s after SIGTERM")
	}
	stopping := false
	for len(notes) > 0 {
		if <-notes == "STOPPING=1" {
			stopping = true
		}
	}
	if !stopping {
		t.Error("no STOPPING=1 notification")
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(states) == 0 || states[0] != "online" || states[len(states)-1] != "offline" {
		t.Errorf("state: got %v, want online ... offline", states)
	}
	if !strings.Contains(logs.String(), "alprd stopping") {
		t.Errorf("log lacks the shutdown summary:\n%s", logs.String())
	}
}

// provisioned returns the configuration keys a unit needs beyond its camera
// and broker: a provisioning bundle made for device, and state and console
// paths, all in a temporary folder.
func provisioned(t testing.TB, device string) string {
	t.Helper()
	dir := t.TempDir()
	kit, err := prov.NewDevKit(filepath.Join(dir, "pki"), device)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`"keys":{"dir":%q},"storage":{"dir":%q},"console":{"socket":%q,"users":%q,"crop_dir":%q}`,
		kit.Bundle, filepath.Join(dir, "state"), filepath.Join(dir, "ctl.sock"), filepath.Join(dir, "users"), filepath.Join(dir, "crops"))
}
