package ctl_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"alprd/firmware/ctl"
	"alprd/firmware/record"
)

func TestLogin(t *testing.T) {
	f := serve(t, nil)
	for _, tc := range []struct {
		name                    string
		user, password, purpose string
		wantErr                 error
		wantResult              string
	}{
		{"officer", "olive", "officer pw", "patrol", nil, "ok"},
		{"technician", "tess", "technician pw", "maintenance", nil, "ok"},
		{"wrong password", "olive", "officer PW", "patrol", ctl.ErrAuth, "denied: wrong password"},
		{"unknown user", "mallory", "officer pw", "patrol", ctl.ErrAuth, "denied: unknown user"},
		{"no purpose", "olive", "officer pw", "", ctl.ErrAuth, "denied: no purpose given"},
		{"blank purpose", "olive", "officer pw", "  \t", ctl.ErrAuth, "denied: no purpose given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.dial(t)
			s, err := c.Login(context.Background(), ctl.LoginArgs{User: tc.user, Password: tc.password, Purpose: tc.purpose, Case: "C-42"})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("login: got error %v, want %v", err, tc.wantErr)
			}
			a := f.audit.last(t)
			if a.Action != ctl.OpLogin || a.User != tc.user || a.Result != tc.wantResult || a.Case != "C-42" ||
				a.Purpose != strings.TrimSpace(tc.purpose) || a.Device != "unit-7" || a.V != record.Version ||
				a.ID == "" || time.Time(a.Time).IsZero() {
				t.Errorf("audit: got %+v, want login by %s with result %q", a, tc.user, tc.wantResult)
			}
			if strings.Contains(a.Result+a.Object, tc.password) {
				t.Errorf("audit %+v holds the password", a)
			}
			if err != nil {
				return
			}
			if s.User != tc.user || s.Purpose != tc.purpose || s.Case != "C-42" {
				t.Errorf("session: got %+v", s)
			}
			if _, err := c.Status(context.Background()); err != nil {
				t.Errorf("status after login: %v", err)
			}
		})
	}
}

// rawConn speaks the protocol by hand.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func rawDial(t *testing.T, socket string) *rawConn {
	t.Helper()
	nc, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.nc, line+"\n"); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// recv reads one message; nil at the end of the connection.
func (r *rawConn) recv() map[string]any {
	r.t.Helper()
	line, err := r.br.ReadBytes('\n')
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		r.t.Fatalf("recv %q: %v", line, err)
	}
	return m
}

func TestNothingBeforeLogin(t *testing.T) {
	f := serve(t, nil)
	for _, line := range []string{
		`{"id":1,"op":"status"}`,
		`{"id":1,"op":"hotlist.list","args":{"all":true}}`,
		`{"id":1,"op":"alert.list"}`,
		`{"id":1,"op":"watch"}`,
		`{"id":1,"op":"alert.dispose","args":{"alert":"a1","outcome":"confirmed"}}`,
		`{"id":1,"op":"hotlist.add","args":{"plate":"7ABC123"}}`,
		`{"id":1,"op":"no.such.op"}`,
		`not json`,
	} {
		t.Run(line, func(t *testing.T) {
			n := len(f.audit.records())
			r := rawDial(t, f.socket)
			r.send(line)
			m := r.recv()
			if m == nil || m["ok"] != false {
				t.Fatalf("got %v, want a refusal", m)
			}
			if line != "not json" && (m["code"] != ctl.CodeAuth || m["id"] != 1.0) {
				t.Errorf("got %v, want code %q for id 1", m, ctl.CodeAuth)
			}
			if m := r.recv(); m != nil {
				t.Errorf("got %v after a refusal, want the connection closed", m)
			}
			rs := f.audit.records()[n:]
			if len(rs) != 1 || rs[0].User != "" || !strings.HasPrefix(rs[0].Result, "denied") && !strings.HasPrefix(rs[0].Result, "invalid") {
				t.Errorf("audit: got %+v, want one refusal", rs)
			}
		})
	}
	if s := f.h.Sessions(); len(s) != 0 || f.h.Watchers() != 0 {
		t.Errorf("handler called before login: %v, %d watchers", s, f.h.Watchers())
	}
}

func TestLoginAfterFailure(t *testing.T) {
	f := serve(t, nil)
	c := f.dial(t)
	ctx := context.Background()
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "nope", Purpose: "patrol"}); !errors.Is(err, ctl.ErrAuth) {
		t.Fatalf("bad login: got %v, want ErrAuth", err)
	}
	if _, err := c.Status(ctx); !errors.Is(err, ctl.ErrAuth) {
		t.Fatalf("status after failed login: got %v, want ErrAuth", err)
	}
	// That refusal hung up.
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "officer pw", Purpose: "patrol"}); !errors.Is(err, ctl.ErrClosed) {
		t.Errorf("login after refusal: got %v, want ErrClosed", err)
	}

	c = f.dial(t)
	for i := range 5 {
		_, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "nope", Purpose: "patrol"})
		if !errors.Is(err, ctl.ErrAuth) {
			t.Fatalf("failure %d: got %v, want ErrAuth", i+1, err)
		}
	}
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "officer pw", Purpose: "patrol"}); !errors.Is(err, ctl.ErrClosed) {
		t.Errorf("sixth login on a connection: got %v, want ErrClosed", err)
	}
	c = f.dial(t)
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "officer pw", Purpose: "patrol"}); err != nil {
		t.Errorf("login on a new connection: %v", err)
	}
}

func TestRoles(t *testing.T) {
	f := serve(t, nil)
	future := record.Millis(time.Now().Add(time.Hour))
	ops := []struct {
		name string
		do   func(*ctl.Client) error
	}{
		{"status", func(c *ctl.Client) error { _, err := c.Status(context.Background()); return err }},
		{"hotlist.add", func(c *ctl.Client) error {
			_, err := c.AddEntry(context.Background(), record.HotEntry{Plate: "7abc123", Type: "SV", Priority: 1, Reason: "r", Case: "c", Expires: future})
			return err
		}},
		{"hotlist.remove", func(c *ctl.Client) error { return c.RemoveEntry(context.Background(), "7ABC123", "", "r") }},
		{"hotlist.list", func(c *ctl.Client) error { _, err := c.Entries(context.Background(), false); return err }},
		{"hotlist.list all", func(c *ctl.Client) error { _, err := c.Entries(context.Background(), true); return err }},
		{"alert.list", func(c *ctl.Client) error { _, err := c.OpenAlerts(context.Background()); return err }},
		{"alert.dispose", func(c *ctl.Client) error {
			_, err := c.Dispose(context.Background(), "nope", record.Dismissed, "")
			if errors.Is(err, ctl.ErrFailed) { // allowed: the fake knows no such alert
				return nil
			}
			return err
		}},
		{"watch", func(c *ctl.Client) error {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, _, err := c.Watch(ctx)
			return err
		}},
	}
	allowed := map[string][]string{
		ctl.RoleOfficer:    {"status", "hotlist.add", "hotlist.remove", "hotlist.list", "alert.list", "alert.dispose", "watch"},
		ctl.RoleTechnician: {"status"},
		ctl.RoleSupervisor: {"status", "hotlist.add", "hotlist.remove", "hotlist.list", "hotlist.list all", "alert.list", "alert.dispose", "watch"},
	}
	for _, u := range testUsers {
		c := f.login(t, u.name)
		for _, op := range ops {
			t.Run(u.role+"/"+op.name, func(t *testing.T) {
				calls := len(f.h.Sessions())
				n := len(f.audit.records())
				err := op.do(c)
				want := slices.Contains(allowed[u.role], op.name)
				if want && err != nil {
					t.Errorf("got %v, want allowed", err)
				}
				if !want {
					if !errors.Is(err, ctl.ErrDenied) {
						t.Errorf("got %v, want ErrDenied", err)
					}
					if got := len(f.h.Sessions()); got != calls {
						t.Errorf("handler called %d times for a refused request", got-calls)
					}
					if a := f.audit.last(t); len(f.audit.records()) != n+1 || !strings.HasPrefix(a.Result, "denied") || a.User != u.name {
						t.Errorf("audit: got %+v, want one denial for %s", a, u.name)
					}
				}
			})
		}
	}
}

func TestRoundTrip(t *testing.T) {
	f := serve(t, nil)
	ctx := context.Background()
	f.h.SetStatus(ctl.Status{Device: "unit-7", Firmware: "1.2.3", HotList: ctl.HotListStatus{Version: "v9", Entries: 10, Manual: 1},
		Counters: map[string]uint64{"reads": 5}, Warnings: []string{"no GPS fix"}})
	f.h.SetEntries([]record.HotEntry{{Plate: "HQ1", Type: "SV", Source: record.SourceHQ}})
	c := f.login(t, "olive")

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Firmware != "1.2.3" || st.HotList.Version != "v9" || st.Counters["reads"] != 5 || len(st.Warnings) != 1 {
		t.Errorf("status: got %+v", st)
	}

	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Millisecond)
	got, err := c.AddEntry(ctx, record.HotEntry{Plate: " 7abc-123 ", State: "ca", Type: "aa", Priority: 1,
		Reason: "amber alert", Case: "2026-1", Expires: record.Millis(exp), EnteredBy: "forged", Source: record.SourceHQ})
	if err != nil {
		t.Fatal(err)
	}
	if got.Plate != "7ABC123" || got.State != "CA" || got.Type != "AA" || got.EnteredBy != "olive" ||
		got.Source != record.SourceManual || time.Time(got.Entered).IsZero() || !time.Time(got.Expires).Equal(exp) {
		t.Errorf("added: got %+v", got)
	}
	es, err := c.Entries(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Plate != "7ABC123" {
		t.Errorf("entries: got %+v, want the manual one", es)
	}
	if err := c.RemoveEntry(ctx, "7abc123", "ca", "recovered"); err != nil {
		t.Fatal(err)
	}
	if got, want := f.h.Removed(), []string{"7ABC123/CA: recovered"}; !slices.Equal(got, want) {
		t.Errorf("removed: got %q, want %q", got, want)
	}
	if err := c.RemoveEntry(ctx, "7abc123", "ca", "again"); !errors.Is(err, ctl.ErrFailed) {
		t.Errorf("removing it again: got %v, want ErrFailed", err)
	}

	f.h.Publish(alertEvent("a1", "7XYZ999"))
	open, err := c.OpenAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Alert.ID != "a1" || open[0].CropPath != "/run/alprd/crops/a1.jpg" {
		t.Fatalf("open alerts: got %+v", open)
	}
	d, err := c.Dispose(ctx, "a1", record.Confirmed, "driver detained")
	if err != nil {
		t.Fatal(err)
	}
	hd := f.h.Disposed()
	if len(hd) != 1 || hd[0] != d || d.By != "olive" || d.Outcome != record.Confirmed || d.Note != "driver detained" ||
		d.Device != "unit-7" || d.Alert != "a1" || time.Time(d.Time).IsZero() {
		t.Errorf("disposition: got %+v, handler got %+v", d, hd)
	}
	if open, _ := c.OpenAlerts(ctx); len(open) != 0 {
		t.Errorf("open alerts after disposal: got %d, want 0", len(open))
	}

	for i, s := range f.h.Sessions() {
		if s != (ctl.Session{User: "olive", Role: ctl.RoleOfficer, Purpose: "patrol", Case: "C-1"}) {
			t.Errorf("handler call %d: session %+v", i, s)
		}
	}

	sup := f.login(t, "sue")
	all, err := sup.Entries(ctx, true)
	if err != nil || len(all) != 1 || all[0].Plate != "HQ1" {
		t.Errorf("supervisor's whole list: got %+v, %v", all, err)
	}
	if got := f.h.AllAsked(); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("all passed to Entries: got %v, want [false true]", got)
	}

	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx); !errors.Is(err, ctl.ErrAuth) {
		t.Errorf("status after logout: got %v, want ErrAuth", err)
	}
}

func TestHandlerError(t *testing.T) {
	f := serve(t, nil)
	f.h.SetErr(errors.New("store: disk full"))
	c := f.login(t, "olive")
	_, err := c.Status(context.Background())
	var e *ctl.Error
	if !errors.As(err, &e) || e.Code != ctl.CodeFailed || e.Msg != "store: disk full" {
		t.Errorf("got %v, want the handler's error", err)
	}
	if a := f.audit.last(t); a.Result != "error: store: disk full" || a.Action != ctl.OpStatus {
		t.Errorf("audit: got %+v", a)
	}
}

func TestValidation(t *testing.T) {
	f := serve(t, nil)
	c := f.login(t, "olive")
	ctx := context.Background()
	future := record.Millis(time.Now().Add(time.Hour))
	good := record.HotEntry{Plate: "7ABC123", Type: "SV", Priority: 2, Reason: "stolen", Case: "C-7", Expires: future}
	for _, tc := range []struct {
		name string
		mut  func(*record.HotEntry)
		want string
	}{
		{"no plate", func(e *record.HotEntry) { e.Plate = "" }, "plate"},
		{"plate with symbols", func(e *record.HotEntry) { e.Plate = "7AB$123" }, "plate"},
		{"long plate", func(e *record.HotEntry) { e.Plate = "ABCDEFGHIJK" }, "plate"},
		{"long reason", func(e *record.HotEntry) { e.Reason = strings.Repeat("x", 201) }, "reason"},
		{"no reason", func(e *record.HotEntry) { e.Reason = " " }, "reason"},
		{"no case", func(e *record.HotEntry) { e.Case = "" }, "case"},
		{"bad type", func(e *record.HotEntry) { e.Type = "S-V" }, "type"},
		{"priority -1", func(e *record.HotEntry) { e.Priority = -1 }, "priority"},
		{"priority 4", func(e *record.HotEntry) { e.Priority = 4 }, "priority"},
		{"no expiry", func(e *record.HotEntry) { e.Expires = record.Millis{} }, "expires"},
		{"expired", func(e *record.HotEntry) { e.Expires = record.Millis(time.Now().Add(-time.Minute)) }, "past"},
		{"control characters", func(e *record.HotEntry) { e.Reason = "a\x1b[2Jb" }, "control"},
		{"bad state", func(e *record.HotEntry) { e.State = "C-A" }, "state"},
		{"three-letter state", func(e *record.HotEntry) { e.State = "CAL" }, "state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := good
			tc.mut(&e)
			_, err := c.AddEntry(ctx, e)
			if !errors.Is(err, ctl.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrInvalid about %s", err, tc.want)
			}
			if a := f.audit.last(t); a.Action != ctl.OpHotlistAdd || !strings.HasPrefix(a.Result, "invalid: ") {
				t.Errorf("audit: got %+v", a)
			}
		})
	}
	f.h.Publish(alertEvent("a1", "7XYZ999"))
	for _, tc := range []struct{ alert, outcome, note, want string }{
		{"a1", "arrested", "", "outcome"},
		{"a1", "", "", "outcome"},
		{"", record.Confirmed, "", "alert"},
		{"a1", record.Confirmed, strings.Repeat("x", 1001), "note"},
	} {
		if _, err := c.Dispose(ctx, tc.alert, tc.outcome, tc.note); !errors.Is(err, ctl.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("dispose %q %q: got %v, want ErrInvalid about %s", tc.alert, tc.outcome, err, tc.want)
		}
	}
	if n := len(f.h.Sessions()); n != 0 {
		t.Errorf("handler called %d times with invalid requests", n)
	}
	for _, mut := range []func(*record.HotEntry){
		func(*record.HotEntry) {},
		func(e *record.HotEntry) { e.Type, e.Priority = "", 0 }, // the store's defaults
		func(e *record.HotEntry) { e.Plate, e.State = "X", "nv" },
	} {
		e := good
		mut(&e)
		if _, err := c.AddEntry(ctx, e); err != nil {
			t.Errorf("valid entry %+v: %v", e, err)
		}
	}
}

// TestAuditEveryRequest runs a session and checks its audit trail, one
// record per request.
func TestAuditEveryRequest(t *testing.T) {
	f := serve(t, nil)
	ctx := context.Background()
	f.h.Publish(alertEvent("a1", "7XYZ999"))
	c := f.dial(t)
	c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "x", Purpose: "patrol"})
	c.Login(ctx, ctl.LoginArgs{User: "olive", Password: "officer pw", Purpose: "traffic stop", Case: "C-5"})
	c.Entries(ctx, true)
	c.Entries(ctx, false)
	c.Dispose(ctx, "a1", "bogus", "")
	c.Dispose(ctx, "a1", record.Misread, "it was 7XYZ998")
	wctx, cancel := context.WithCancel(ctx)
	_, events, err := c.Watch(wctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range events {
	}
	c.Status(ctx) // also waits for the unwatch to be done
	f.stop()

	type rec struct{ user, action, object, result, purpose string }
	want := []rec{
		{"olive", "login", "", "denied: wrong password", "patrol"},
		{"olive", "login", "", "ok", "traffic stop"},
		{"olive", "hotlist.list", "hotlist:all", "denied: only a supervisor may list the whole hot list", "traffic stop"},
		{"olive", "hotlist.list", "hotlist:manual", "ok", "traffic stop"},
		{"olive", "alert.dispose", "a1", `invalid: outcome "bogus": want one of confirmed, misread, not_wanted, dismissed`, "traffic stop"},
		{"olive", "alert.dispose", "a1", "ok", "traffic stop"},
		{"olive", "watch", "reads,alerts", "ok", "traffic stop"},
		{"olive", "watch.end", "0 reads, 0 alerts, 0 dispositions delivered; 0 reads dropped", "ok", "traffic stop"},
		{"olive", "unwatch", "", "ok", "traffic stop"},
		{"olive", "status", "status", "ok", "traffic stop"},
	}
	var got []rec
	for _, a := range f.audit.records() {
		got = append(got, rec{a.User, a.Action, a.Object, a.Result, a.Purpose})
		if a.Action != "login" && a.Case != "C-5" {
			t.Errorf("audit %+v: case %q, want C-5", a, a.Case)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit trail:\ngot  %q\nwant %q", got, want)
	}
}

func TestWatch(t *testing.T) {
	f := serve(t, nil)
	ctx := context.Background()
	f.h.Publish(alertEvent("a0", "OLD1"))
	c := f.login(t, "olive")
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	open, events, err := c.Watch(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Alert.ID != "a0" {
		t.Fatalf("open: got %+v, want alert a0", open)
	}
	if _, _, err := c.Watch(wctx); err == nil {
		t.Error("second watch on a connection: no error")
	}
	f.h.Publish(readEvent("R1"))
	f.h.Publish(alertEvent("a1", "NEW1"))
	if _, err := c.Dispose(ctx, "a0", record.NotWanted, ""); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for range 3 {
		ev := <-events
		switch ev.Kind {
		case ctl.KindRead:
			kinds = append(kinds, "read "+ev.Read.Plate)
		case ctl.KindAlert:
			kinds = append(kinds, "alert "+ev.Alert.ID+" "+ev.CropPath)
		case ctl.KindDisposition:
			kinds = append(kinds, "disposition "+ev.Disposition.Alert+" "+ev.Disposition.By)
		}
	}
	if want := []string{"read R1", "alert a1 /run/alprd/crops/a1.jpg", "disposition a0 olive"}; !slices.Equal(kinds, want) {
		t.Errorf("events: got %q, want %q", kinds, want)
	}
	cancel()
	for ev := range events {
		t.Errorf("event after cancel: %+v", ev)
	}
	// The unit stops the stream: the handler loses its watcher.
	if _, err := c.Status(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.h.Watchers() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := f.h.Watchers(); n != 0 {
		t.Errorf("watchers after unwatch: got %d, want 0", n)
	}
}

func TestSocket(t *testing.T) {
	f := serve(t, nil)
	fi, err := os.Stat(f.socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != ctl.SocketMode {
		t.Errorf("socket mode: got %v, want socket %v", fi.Mode(), ctl.SocketMode)
	}
	// A second server on a live socket refuses.
	s2, _ := ctl.New(ctl.Config{Socket: f.socket, Handler: f.h, Audit: f.audit.add})
	if err := s2.Listen(); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("listen on a live socket: got %v", err)
	}
	f.stop()
	if _, err := os.Lstat(f.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after Serve returned: %v, want removed", err)
	}

	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	s3, _ := ctl.New(ctl.Config{Socket: stale, Handler: f.h, Audit: f.audit.add})
	if err := s3.Listen(); err != nil {
		t.Errorf("listen over a stale socket: %v", err)
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s3.Serve(ctx)
	}

	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("keep me"), 0o600)
	s4, _ := ctl.New(ctl.Config{Socket: plain, Handler: f.h, Audit: f.audit.add})
	if err := s4.Listen(); err == nil {
		t.Error("listen over a regular file: no error")
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep me" {
		t.Errorf("regular file: got %q, want it untouched", b)
	}
}

func TestUsersFileReloaded(t *testing.T) {
	f := serve(t, nil)
	ctx := context.Background()
	c := f.dial(t)
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "newbie", Password: "pw2", Purpose: "patrol"}); !errors.Is(err, ctl.ErrAuth) {
		t.Fatalf("unknown user: got %v", err)
	}
	line, err := ctl.UserLine("newbie", ctl.RoleOfficer, "pw2", testIterations)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.users)
	tmp := f.users + ".new"
	os.WriteFile(tmp, append(b, line+"\n"...), 0o600)
	if err := os.Rename(tmp, f.users); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, ctl.LoginArgs{User: "newbie", Password: "pw2", Purpose: "patrol"}); err != nil {
		t.Errorf("login after the users file changed: %v", err)
	}
}

func TestLongLine(t *testing.T) {
	f := serve(t, nil)
	r := rawDial(t, f.socket)
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.WriteString(r.nc, `{"id":1,"op":"login","args":{"user":"`+strings.Repeat("x", 70<<10)+`"}}`+"\n")
	}()
	defer func() { <-done }()
	if m := r.recv(); m == nil || m["code"] != ctl.CodeInvalid {
		t.Errorf("got %v, want invalid", m)
	}
	if m := r.recv(); m != nil {
		t.Errorf("got %v, want the connection closed", m)
	}
}
