package ctl_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/ctl/ctltest"
	"alprd/firmware/record"
)

// Test users: name, role, password. Few iterations keep the tests fast;
// the hashing itself is the same.
var testUsers = []struct{ name, role, password string }{
	{"olive", ctl.RoleOfficer, "officer pw"},
	{"tess", ctl.RoleTechnician, "technician pw"},
	{"sue", ctl.RoleSupervisor, "supervisor pw"},
}

const testIterations = 1000

func password(name string) string {
	for _, u := range testUsers {
		if u.name == name {
			return u.password
		}
	}
	return ""
}

func writeUsers(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test users\n\n")
	for _, u := range testUsers {
		line, err := ctl.UserLine(u.name, u.role, u.password, testIterations)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	path := filepath.Join(dir, "users")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// auditLog collects audit records.
type auditLog struct {
	mu sync.Mutex
	rs []record.Audit
}

func (l *auditLog) add(a record.Audit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rs = append(l.rs, a)
}

func (l *auditLog) records() []record.Audit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]record.Audit(nil), l.rs...)
}

func (l *auditLog) last(t *testing.T) record.Audit {
	t.Helper()
	rs := l.records()
	if len(rs) == 0 {
		t.Fatal("no audit record")
	}
	return rs[len(rs)-1]
}

type fixture struct {
	h      *ctltest.Handler
	audit  *auditLog
	socket string
	users  string
	srv    *ctl.Server
	stop   func() // stops the server and waits for it
}

// serve runs a server on a socket in a temporary folder until the test
// ends. Failed logins wait only a nanosecond.
func serve(t testing.TB, mut func(*ctl.Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{h: &ctltest.Handler{}, audit: &auditLog{}, socket: filepath.Join(dir, "ctl.sock"), users: writeUsers(t, dir)}
	cfg := ctl.Config{
		Socket:        f.socket,
		Users:         f.users,
		Device:        "unit-7",
		Handler:       f.h,
		Audit:         f.audit.add,
		LoginDelay:    time.Nanosecond,
		MaxLoginDelay: time.Nanosecond,
	}
	if mut != nil {
		mut(&cfg)
	}
	srv, err := ctl.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	f.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) dial(t *testing.T) *ctl.Client {
	t.Helper()
	c, err := ctl.Dial(context.Background(), f.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// login dials and logs in as user.
func (f *fixture) login(t *testing.T, user string) *ctl.Client {
	t.Helper()
	c := f.dial(t)
	if _, err := c.Login(context.Background(), ctl.LoginArgs{User: user, Password: password(user), Purpose: "patrol", Case: "C-1"}); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

func alertEvent(id, plate string) ctl.Event {
	return ctl.Event{
		Kind: ctl.KindAlert,
		Alert: &record.Alert{
			V: 1, ID: id, Device: "unit-7", Notice: record.Notice, Match: record.MatchExact, Score: 1, Matched: plate,
			Entry: record.HotEntry{Plate: plate, State: "CA", Type: "SV", Priority: 1, Reason: "stolen", Case: "K-9", Source: record.SourceHQ},
			Read:  record.Read{ID: "r-" + id, Plate: plate, Confidence: 90, Frames: 4},
		},
		CropPath: "/run/alprd/crops/" + id + ".jpg",
	}
}

func readEvent(plate string) ctl.Event {
	return ctl.Event{Kind: ctl.KindRead, Read: &record.Read{ID: record.NewID(), Plate: plate, Confidence: 80, Frames: 3}}
}

// serveB runs a server for a benchmark.
func serveB(b *testing.B) *fixture { return serve(b, nil) }
