package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/ctl/ctltest"
	"alprd/firmware/record"
)

func tinyJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 80, 20))
	for x := range 80 {
		img.SetGray(x, 10, color.Gray{Y: uint8(x * 3)})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"24h", now.Add(24 * time.Hour), false},
		{"90m", now.Add(90 * time.Minute), false},
		{"7d", now.Add(7 * 24 * time.Hour), false},
		{"2026-12-01T08:00:00Z", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), false},
		{"", time.Time{}, true},
		{"-1h", time.Time{}, true},
		{"0d", time.Time{}, true},
		{"tomorrow", time.Time{}, true},
	} {
		got, err := parseExpiry(tc.in, now)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("parseExpiry(%q): got %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestFmtAge(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45s"},
		{12*time.Minute + 30*time.Second, "12m"},
		{3*time.Hour + 5*time.Minute, "3h05m"},
		{52 * time.Hour, "2d04h"},
		{-time.Minute, "in the future"},
	} {
		if got := fmtAge(tc.d); got != tc.want {
			t.Errorf("fmtAge(%v): got %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestWriteEntries(t *testing.T) {
	var b bytes.Buffer
	exp := record.Millis(time.Date(2026, 12, 1, 8, 0, 0, 0, time.Local))
	writeEntries(&b, []record.HotEntry{
		{Plate: "ZZZ999", Type: "SP", Priority: 2, Reason: "plate stolen", Case: "C-2", Source: record.SourceHQ, Expires: exp},
		{Plate: "7ABC123", State: "CA", Type: "AA", Priority: 1, Reason: "AMBER\x1b[31m alert", Case: "C-1", EnteredBy: "olive", Source: record.SourceManual, Expires: exp},
	})
	want := `PLATE    STATE  TYPE  PRI  EXPIRES              CASE  SOURCE  ENTERED BY  REASON
7ABC123  CA     AA    1    2026-12-01 08:00:00  C-1   manual  olive       AMBER?[31m alert
ZZZ999   -      SP    2    2026-12-01 08:00:00  C-2   hq      -           plate stolen
2 entries
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteStatus(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.Local)
	var b bytes.Buffer
	writeStatus(&b, ctl.Status{Device: "unit-7", Firmware: "1.2.3", Time: record.Millis(now),
		HotList:  ctl.HotListStatus{Version: "v9", Loaded: record.Millis(now.Add(-90 * time.Minute)), Entries: 12, Manual: 2},
		Counters: map[string]uint64{"reads": 5, "alerts": 1}, Warnings: []string{"no GPS fix"}}, now)
	want := `device      unit-7
firmware    1.2.3
unit clock  2026-11-27 08:00:00
hot list    version v9, age 1h30m, 12 entries (2 manual)
alerts      1
reads       5
WARNING     no GPS fix
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// unit runs a control socket with a fake daemon behind it.
func unit(t *testing.T) (h *ctltest.Handler, socket, pwFile string) {
	t.Helper()
	dir := t.TempDir()
	line, err := ctl.UserLine("olive", ctl.RoleOfficer, "officer pw", 1000)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users")
	os.WriteFile(users, []byte(line+"\n"), 0o600)
	pwFile = filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("officer pw\n"), 0o600)
	h = &ctltest.Handler{}
	h.SetStatus(ctl.Status{Device: "unit-7", Firmware: "1.2.3"})
	socket = filepath.Join(dir, "ctl.sock")
	srv, err := ctl.New(ctl.Config{Socket: socket, Users: users, Device: "unit-7", Handler: h, Audit: func(record.Audit) {},
		LoginDelay: time.Nanosecond, MaxLoginDelay: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		srv.Serve(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h, socket, pwFile
}

func noTTY() (*os.File, error) { return nil, errors.New("no terminal in tests") }

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, env{out: &out, err: &errb, tty: noTTY})
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	h, socket, pw := unit(t)
	login := []string{"-socket", socket, "-user", "olive", "-purpose", "patrol", "-case", "C-77", "-password-file", pw}
	for _, tc := range []struct {
		args       []string
		code       int
		out, errs  string // substrings
		afterwards func(t *testing.T)
	}{
		{[]string{"status"}, 0, "firmware    1.2.3", "", nil},
		{[]string{"hotlist", "add", "-plate", "7abc 123", "-state", "ca", "-type", "AA", "-reason", "amber alert", "-expires", "24h"}, 0,
			"added 7ABC123 (CA): AA Amber alert, the type's default priority, case C-77", "", func(t *testing.T) {
				es, _ := h.Entries(context.Background(), ctl.Session{}, false)
				if len(es) != 1 || es[0].Case != "C-77" || es[0].EnteredBy != "olive" || time.Until(time.Time(es[0].Expires)) < 23*time.Hour {
					t.Errorf("stored: %+v", es)
				}
			}},
		{[]string{"hotlist", "add", "-plate", "8DEF456", "-type", "SV", "-priority", "3", "-case", "K-1", "-reason", "stolen", "-expires", "2099-01-01T00:00:00Z"}, 0,
			"added 8DEF456: SV stolen vehicle, priority 3, case K-1", "", nil},
		{[]string{"hotlist", "list"}, 0, "8DEF456  -      SV    3", "", nil},
		{[]string{"hotlist", "list", "-all"}, 1, "", "only a supervisor", nil},
		{[]string{"hotlist", "remove", "-plate", "7abc123", "-state", "ca", "-reason", "child found"}, 0, "removed 7ABC123 (CA)", "", func(t *testing.T) {
			if got := h.Removed(); len(got) != 1 || got[0] != "7ABC123/CA: child found" {
				t.Errorf("removed: %q", got)
			}
		}},
		{[]string{"hotlist", "add", "-plate", "X1", "-type", "SV", "-reason", "r"}, 2, "", "-expires is required", nil},
		{[]string{"hotlist", "add", "-plate", "X1", "-type", "SV", "-expires", "1h"}, 2, "", "-reason is required", nil},
		{[]string{"hotlist", "add", "-plate", "X$1", "-type", "SV", "-reason", "r", "-expires", "1h"}, 1, "", "plate", nil},
		{[]string{"hotlist", "frob"}, 2, "", "unknown command", nil},
		{[]string{"frob"}, 2, "", "unknown command", nil},
		{[]string{"status", "-h"}, 0, "", "usage: alprctl status", nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runCmd(append(login, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.errs) {
				t.Errorf("got status %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errs, tc.code, tc.out, tc.errs)
			}
			if tc.afterwards != nil {
				tc.afterwards(t)
			}
		})
	}

	for _, tc := range []struct {
		name string
		args []string
		errs string
	}{
		{"wrong password", []string{"-socket", socket, "-user", "olive", "-purpose", "p", "-password-file", os.DevNull, "status"}, "password file"},
		{"no terminal for the password", []string{"-socket", socket, "-user", "olive", "-purpose", "p", "status"}, "no terminal"},
		{"no terminal for the purpose", []string{"-socket", socket, "-user", "olive", "-password-file", pw, "status"}, "no terminal"},
		{"no daemon", []string{"-socket", filepath.Join(t.TempDir(), "none.sock"), "-user", "olive", "-purpose", "p", "-password-file", pw, "status"}, "dial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCmd(tc.args...)
			if code != 1 || !strings.Contains(errs, tc.errs) {
				t.Errorf("got status %d, stderr %q; want 1 and %q", code, errs, tc.errs)
			}
		})
	}
}

func TestPasswd(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("long enough password\r\n"), 0o600)
	code, out, errs := runCmd("-password-file", pw, "passwd", "olive", "officer")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	u, err := ctl.ParseUser(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "olive" || u.Role != ctl.RoleOfficer || u.Iterations != ctl.DefaultIterations || !u.Check("long enough password") {
		t.Errorf("line %q: got %s %s %d iterations", out, u.Name, u.Role, u.Iterations)
	}
	os.WriteFile(pw, []byte("short\n"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		errs string
	}{
		{[]string{"-password-file", pw, "passwd", "olive", "officer"}, 1, "shorter than 8"},
		{[]string{"-password-file", pw, "passwd", "olive", "chief"}, 2, "role"},
		{[]string{"passwd", "olive"}, 2, "NAME ROLE"},
		{[]string{"passwd", "olive", "officer"}, 1, "no terminal"},
	} {
		if code, _, errs := runCmd(tc.args...); code != tc.code || !strings.Contains(errs, tc.errs) {
			t.Errorf("%q: got %d, %q; want %d, %q", tc.args, code, errs, tc.code, tc.errs)
		}
	}
}
