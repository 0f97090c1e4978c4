package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/record"
)

// tmuxSession is alprctl running in a detached tmux pane on a private tmux
// server.
type tmuxSession struct {
	t      *testing.T
	tmux   string
	socket string
}

func (s *tmuxSession) cmd(args ...string) (string, error) {
	c := exec.Command(s.tmux, append([]string{"-u", "-S", s.socket, "-f", os.DevNull}, args...)...)
	c.Env = tmuxEnv()
	out, err := c.CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) must(args ...string) string {
	s.t.Helper()
	out, err := s.cmd(args...)
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

// keys types literal text into the pane.
func (s *tmuxSession) keys(text string) {
	s.t.Helper()
	s.must("send-keys", "-t", "console", "-l", text)
}

// key presses a named key (Enter, Escape, Up).
func (s *tmuxSession) key(name string) { s.t.Helper(); s.must("send-keys", "-t", "console", name) }

func (s *tmuxSession) screen() string {
	s.t.Helper()
	return s.must("capture-pane", "-p", "-t", "console")
}

// quit presses q in the console and checks that alprctl exits 0 and
// leaves the terminal as it found it: cooked mode, the password (typed
// earlier) never echoed, the console's screen gone, the main screen and
// the cursor back.
func (s *tmuxSession) quit(password string) {
	t := s.t
	t.Helper()
	s.keys("q")
	scr := s.waitFor("exit status 0", "TTY-")
	if !strings.Contains(scr, "TTY-COOKED") {
		t.Errorf("terminal left in raw mode after quitting:\n%s", scr)
	}
	if strings.Contains(scr, password) {
		t.Errorf("the password was echoed:\n%s", scr)
	}
	if strings.Contains(scr, Banner) {
		t.Errorf("the console's screen is left behind:\n%s", scr)
	}
	if on := strings.TrimSpace(s.must("display-message", "-p", "-t", "console", "#{alternate_on}")); on != "0" {
		t.Errorf("alternate screen still on after quitting (%q)", on)
	}
	if cur := strings.TrimSpace(s.must("display-message", "-p", "-t", "console", "#{cursor_flag}")); cur != "1" {
		t.Errorf("cursor still hidden after quitting (cursor_flag %q)", cur)
	}
}

// waitFor polls the screen until it shows every want; the deadline is
// generous (a loaded CI machine), it is not what the test measures.
func (s *tmuxSession) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		scr := s.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(scr, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %q; it shows:\n%s", missing, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tmuxEnv is the test's environment for tmux and the pane: UTF-8, and
// nothing of the terminal the tests may run in.
func tmuxEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "TMUX", "TMUX_PANE", "KITTY_WINDOW_ID", "TERM_PROGRAM", "LANG", "LC_ALL", "LC_CTYPE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LANG=C.UTF-8", "TERM=xterm-256color")
}

func buildAlprctl(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found to build alprctl: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "alprctl")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestConsoleInTmux uses the console as an officer would: log in, see an
// alert arrive, confirm it with a note, quit.
func TestConsoleInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: the console's terminal test needs it (make deps installs it)")
	}
	bin := buildAlprctl(t)
	h, socket, _ := unit(t)
	h.SetStatus(ctl.Status{Device: "unit-7", Firmware: "1.2.3",
		HotList: ctl.HotListStatus{Version: "2026-11-27.1", Issued: record.Millis(time.Now().Add(-2 * time.Hour))}})

	s := &tmuxSession{t: t, tmux: tmux, socket: filepath.Join(t.TempDir(), "tmux.sock")}
	quote := func(p string) string { return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'" }
	script := fmt.Sprintf(`%s -socket %s -user olive -purpose 'traffic patrol' -case C-77 watch; echo "exit status $?"; `+
		`if stty -a | tr -s ' ;' '\n\n' | grep -qx -- -echo; then echo TTY-RAW; else echo TTY-COOKED; fi; sleep 600`,
		quote(bin), quote(socket))
	s.must("new-session", "-d", "-s", "console", "-x", "120", "-y", "40", script)
	t.Cleanup(func() { s.cmd("kill-server") })

	s.waitFor("Password for olive:")
	s.keys("officer pw")
	s.key("Enter")
	scr := s.waitFor("ALERTS: 0 open", "ALPR unit-7 │ olive (officer)", "hot list 2026-11-27.1 (age 2h00m)", "purpose: traffic patrol")
	if on := strings.TrimSpace(s.must("display-message", "-p", "-t", "console", "#{alternate_on}")); on != "1" {
		t.Errorf("console not on the alternate screen (alternate_on %q):\n%s", on, scr)
	}

	h.Publish(ctl.Event{Kind: ctl.KindRead, Read: &record.Read{Plate: "5XYZ789", Confidence: 77.5, Frames: 3, Time: record.Millis(time.Now())},
		CropPath: "/run/alprd/crops/r1.jpg"})
	h.Publish(ctl.Event{
		Kind: ctl.KindAlert,
		Alert: &record.Alert{V: 1, ID: "alert-1", Device: "unit-7", Time: record.Millis(time.Now()), Notice: record.Notice,
			Match: record.MatchExact, Score: 1, Matched: "7ABC123",
			Entry: record.HotEntry{Plate: "7ABC123", State: "CA", Type: "SV", Priority: 1, Reason: "stolen in a burglary", Case: "2026-0042", Source: record.SourceHQ},
			Read:  record.Read{ID: "read-1", Plate: "7ABC123", Confidence: 93.2, Frames: 6}},
		CropPath: "/run/alprd/crops/alert-1.jpg",
	})
	scr = s.waitFor("ALERTS: 1 open", Banner, "read 7ABC123 (93%, 6 frames)  vs  hot list 7ABC123 (CA)",
		"SV stolen vehicle · priority 1 · match exact, score 1.00", "reason: stolen in a burglary · case 2026-0042",
		"crop: /run/alprd/crops/alert-1.jpg", "5XYZ789", "/run/alprd/crops/r1.jpg")
	t.Logf("the console with an alert:\n%s", scr)

	s.keys("c")
	s.waitFor("7ABC123 confirmed — note (Enter to send, Esc to cancel):")
	s.keys("driver detained, VIN verified")
	s.key("Enter")
	s.waitFor("Recorded: 7ABC123 confirmed by olive", "ALERTS: 0 open")
	ds := h.Disposed()
	if len(ds) != 1 {
		t.Fatalf("handler got %d dispositions, want 1", len(ds))
	}
	if d := ds[0]; d.Alert != "alert-1" || d.Outcome != record.Confirmed || d.Note != "driver detained, VIN verified" || d.By != "olive" {
		t.Errorf("disposition: got %+v, want alert-1 confirmed by olive with the note", d)
	}
	if ss := h.Sessions(); len(ss) == 0 || ss[0] != (ctl.Session{User: "olive", Role: ctl.RoleOfficer, Purpose: "traffic patrol", Case: "C-77"}) {
		t.Errorf("handler's sessions: %+v", ss)
	}

	s.quit("officer pw")
}
