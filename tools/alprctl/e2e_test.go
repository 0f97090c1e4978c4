package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/record"
	"alprd/tools/alprprov/prov"
	"alprd/tools/platesynth/synth"
)

// e2eSeed picks the synthesized frames; any seed whose first plate the OCR
// reads (exactly or tolerantly) will do.
const e2eSeed = 4

// TestConsoleEndToEnd is the officer's console against the real daemon: a
// provisioned unit replays synthesized frames, an officer's manual entry
// names one of their plates, the officer logs in to `alprctl watch` in a
// terminal, sees the alert, confirms it with a note and quits; the unit's
// alert book no longer holds the alert open, and the disposition carries
// the officer and the note.
func TestConsoleEndToEnd(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: the console's end-to-end test needs it (make deps installs it)")
	}
	// Every folder first: t.TempDir's removal then runs after the cleanups
	// below that stop the processes using them.
	bin, pki, frames, state := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	tmuxSock := filepath.Join(t.TempDir(), "tmux.sock")

	alprd, alprctl := buildE2E(t, bin)

	kit, err := prov.NewDevKit(pki, "e2e-unit")
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	plates := writeFrames(t, frames, e2eSeed, 3)
	plate := plates[0]
	t.Logf("frames: %v; the hot list names %s", plates, plate)

	line, err := ctl.UserLine("officer7", ctl.RoleOfficer, "pw-e2e", 1000)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(state, "users")
	if err := os.WriteFile(users, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(state, "ctl.sock")
	cfg := map[string]any{
		"version": 1,
		"device":  "e2e-unit",
		"board":   "sim",
		"camera":  map[string]any{"replay": frames, "fps": 1, "loop": true},
		"ocr":     map[string]any{"min_confidence": 0},
		// No broker: the unit spools and runs on. Its final flush waits
		// timeout_s for the broker at SIGTERM: 2 s, not the default 10.
		"mqtt":    map[string]any{"broker": "tcp://127.0.0.1:1", "timeout_s": 2},
		"keys":    map[string]any{"dir": kit.Bundle},
		"storage": map[string]any{"dir": filepath.Join(state, "lib")},
		"console": map[string]any{"socket": socket, "users": users, "crop_dir": filepath.Join(state, "crops")},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(state, "alprd.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	exited := startDaemon(t, alprd, cfgFile, filepath.Join(state, "alprd.log"))

	// HQ's side of the test: an officer's manual entry through the control
	// socket, and a second session that checks what the unit recorded.
	ctx, cancel := context.WithTimeout(t.Context(), 80*time.Second)
	defer cancel()
	c := dialUnit(ctx, t, socket, exited)
	defer c.Close()
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "officer7", Password: "pw-e2e", Purpose: "e2e check", Case: "SHIFT-1"}); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.AddEntry(ctx, record.HotEntry{Plate: plate, Type: "AA", Reason: "Amber alert, e2e", Case: "AA-1",
		Expires: record.Millis(time.Now().Add(time.Hour))}); err != nil {
		t.Fatalf("add entry %s: %v", plate, err)
	}

	// The officer's console.
	s := &tmuxSession{t: t, tmux: tmux, socket: tmuxSock}
	quote := func(p string) string { return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'" }
	script := fmt.Sprintf(`%s -socket %s -user officer7 -purpose patrol -case SHIFT-1 watch; echo "exit status $?"; `+
		`if stty -a | tr -s ' ;' '\n\n' | grep -qx -- -echo; then echo TTY-RAW; else echo TTY-COOKED; fi; sleep 600`,
		quote(alprctl), quote(socket))
	s.must("new-session", "-d", "-s", "console", "-x", "120", "-y", "40", script)
	t.Cleanup(func() { s.cmd("kill-server") })

	s.waitFor("Password for officer7:")
	s.keys("pw-e2e")
	s.key("Enter")
	s.waitFor("ALPR e2e-unit │ officer7 (officer)", "purpose: patrol │ case SHIFT-1")
	scr := s.waitFor(Banner, "vs  hot list "+plate)

	// The selected alert: its time of day, and the plate as read.
	sel := regexp.MustCompile(`▶ (\d\d:\d\d:\d\d)  ` + regexp.QuoteMeta(Banner) + ` *\n\s+read (\S+) \(`).FindStringSubmatch(scr)
	if sel == nil {
		t.Fatalf("no selected alert on the screen:\n%s", scr)
	}
	selTime, readPlate := sel[1], sel[2]
	t.Logf("the console with the alert (read %s at %s) selected:\n%s", readPlate, selTime, scr)

	_, events, err := c.Watch(ctx)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	before, err := c.OpenAlerts(ctx)
	if err != nil {
		t.Fatalf("open alerts: %v", err)
	}

	s.keys("c")
	s.waitFor(readPlate + " confirmed — note (Enter to send, Esc to cancel):")
	const note = "stopped, child safe"
	s.keys(note)
	s.key("Enter")
	scr = s.waitFor("Recorded: " + readPlate + " confirmed by officer7")

	// The unit says who disposed of which alert, with the note...
	var d *record.Disposition
	for d == nil {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("watch ended before a disposition: %v", c.Err())
			}
			if ev.Kind == ctl.KindDisposition {
				d = ev.Disposition
			}
		case <-ctx.Done():
			t.Fatalf("no disposition on the watch stream; the console shows:\n%s", scr)
		}
	}
	if d.By != "officer7" || d.Outcome != record.Confirmed || d.Note != note {
		t.Errorf("disposition: got by %q, outcome %q, note %q; want officer7, %s, %q", d.By, d.Outcome, d.Note, record.Confirmed, note)
	}
	// ...the alert was open, for the plate, and the one the officer had
	// selected...
	i := slices.IndexFunc(before, func(ev ctl.Event) bool { return ev.Alert != nil && ev.Alert.ID == d.Alert })
	if i < 0 {
		t.Fatalf("disposed alert %s was not open before", d.Alert)
	}
	a := before[i].Alert
	if a.Entry.Plate != plate || a.Read.Plate != readPlate {
		t.Errorf("disposed alert: got entry %s, read %s; want entry %s, read %s", a.Entry.Plate, a.Read.Plate, plate, readPlate)
	}
	if got := time.Time(a.Time).Local().Format(timeOfDay); got != selTime {
		t.Errorf("disposed alert raised at %s, want the selected one of %s", got, selTime)
	}
	// ...and it is open no more.
	after, err := c.OpenAlerts(ctx)
	if err != nil {
		t.Fatalf("open alerts: %v", err)
	}
	if slices.ContainsFunc(after, func(ev ctl.Event) bool { return ev.Alert != nil && ev.Alert.ID == d.Alert }) {
		t.Errorf("alert %s still open after the officer confirmed it", d.Alert)
	}

	s.quit("pw-e2e")
}

// buildE2E builds the daemon and the console into dir.
func buildE2E(t *testing.T, dir string) (alprd, alprctl string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found to build the daemon and the console: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", dir+string(filepath.Separator), "alprd/firmware/cmd/alprd", "alprd/tools/alprctl")
	cmd.Dir = filepath.Join("..", "..") // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "alprd"), filepath.Join(dir, "alprctl")
}

// writeFrames writes n synthesized day frames into dir and returns their
// plates in replay order.
func writeFrames(t *testing.T, dir string, seed uint64, n int) []string {
	t.Helper()
	opts := synth.DefaultOptions()
	opts.Seed, opts.IR = seed, 0
	opts.MinPlateWidth, opts.MaxPlateWidth = 150, 240
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var samples []synth.Sample
	var plates []string
	for range n {
		s := g.Next()
		samples = append(samples, s)
		plates = append(plates, s.Plate)
	}
	if err := synth.WriteEndToEnd(dir, samples...); err != nil {
		t.Fatal(err)
	}
	return plates
}

// startDaemon runs alprd -config cfg, its output in logFile; the returned
// channel is closed when it exits. Cleanup stops it with SIGTERM and
// prints its log when the test failed.
func startDaemon(t *testing.T, alprd, cfg, logFile string) <-chan struct{} {
	t.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(alprd, "-config", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CREDENTIALS_DIRECTORY=") { // no systemd credentials of the machine's
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start alprd: %v", err)
	}
	exited := make(chan struct{})
	var werr error
	go func() { werr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		defer log.Close()
		select {
		case <-exited:
			t.Errorf("alprd exited before the test ended: %v", werr)
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if werr != nil && !t.Failed() {
				t.Errorf("alprd after SIGTERM: %v", werr)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("alprd still running 30 s after SIGTERM: killed")
		}
		if t.Failed() {
			out, _ := os.ReadFile(logFile)
			t.Logf("alprd's log:\n%s", out)
		}
	})
	return exited
}

// dialUnit connects to the daemon's control socket once it listens.
func dialUnit(ctx context.Context, t *testing.T, socket string, exited <-chan struct{}) *ctl.Client {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := ctl.Dial(ctx, socket)
		if err == nil {
			return c
		}
		select {
		case <-exited:
			t.Fatalf("alprd exited before its control socket listened")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial %s: %v", socket, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
