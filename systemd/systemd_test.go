// Package systemd holds the unit's service files; its test checks them with
// systemd's own verifier.
package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerify runs systemd-analyze verify on alprd.service with the daemon's
// path pointed at an executable that exists here. Any output (an unknown key, a
// bad value) fails the test: systemd only warns and exits 0 for those.
func TestVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (make deps installs systemd)")
	}
	unit, err := os.ReadFile("alprd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Type=notify", "WatchdogSec=", "Restart=on-failure", "RestartPreventExitStatus=125",
		"User=alprd", "StateDirectory=alprd", "DevicePolicy=closed",
		"DeviceAllow=char-video4linux", "DeviceAllow=char-gpiochip", "ProtectSystem=strict",
		"LoadCredential=mqtt-password:",
	} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("alprd.service lacks %q", want)
		}
	}
	self, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alprd.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/bin/alprd", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
