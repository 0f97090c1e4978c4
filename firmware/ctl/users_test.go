package ctl_test

import (
	"strings"
	"testing"

	"alprd/firmware/ctl"
)

func TestHashPassword(t *testing.T) {
	h, err := ctl.HashPassword("s3cret", 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := "pbkdf2-sha256$600000$"; !strings.HasPrefix(h, want) {
		t.Errorf("default: got %q, want prefix %q", h, want)
	}
	u, err := ctl.ParseUser("olive:officer:" + h)
	if err != nil {
		t.Fatal(err)
	}
	if u.Iterations != ctl.DefaultIterations || len(u.Salt) != 16 || len(u.Hash) != 32 {
		t.Errorf("got %d iterations, %d-byte salt, %d-byte hash", u.Iterations, len(u.Salt), len(u.Hash))
	}

	h, _ = ctl.HashPassword("s3cret", 1000)
	u, _ = ctl.ParseUser("olive:officer:" + h)
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"s3cret", true}, {"s3cret ", false}, {"S3cret", false}, {"", false}} {
		if got := u.Check(tc.pw); got != tc.want {
			t.Errorf("Check(%q): got %v, want %v", tc.pw, got, tc.want)
		}
	}
	h2, _ := ctl.HashPassword("s3cret", 1000)
	if h2 == h || strings.Split(h2, "$")[2] == strings.Split(h, "$")[2] {
		t.Error("two hashes share a salt")
	}
}

// A line made elsewhere (Python's hashlib.pbkdf2_hmac) is read: password
// "test", salt "saltsaltsaltsalt", 1000 iterations.
func TestParseUserKnownVector(t *testing.T) {
	u, err := ctl.ParseUser("pat:supervisor:pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$4+KBqsOVLqj6E9Td14CGM3lT9IqBoXdgdB7aKUjWvVE")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Check("test") || u.Check("tes") {
		t.Error("known vector: password not recognised")
	}
}

func TestParseUsers(t *testing.T) {
	good, _ := ctl.UserLine("olive", ctl.RoleOfficer, "pw", 1000)
	cred := strings.SplitN(good, ":", 3)[2]
	for _, tc := range []struct {
		line, wantErr string
	}{
		{good, ""},
		{"olive:officer", "want name:role"},
		{"olive:admin:" + cred, "role"},
		{"ol ive:officer:" + cred, "user name"},
		{":officer:" + cred, "empty"},
		{"olive:officer:sha1$1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "credential"},
		{"olive:officer:pbkdf2-sha256$0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "iterations"},
		{"olive:officer:pbkdf2-sha256$many$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "iterations"},
		{"olive:officer:pbkdf2-sha256$1000$!!$aGFzaGhhc2hoYXNoaGFzaA", "salt"},
		{"olive:officer:pbkdf2-sha256$1000$c2FsdHNhbHQ$aGFzaA", "hash"},
	} {
		_, err := ctl.ParseUser(tc.line)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("ParseUser(%q): got %v, want error about %q", tc.line, err, tc.wantErr)
		}
	}

	sue, _ := ctl.UserLine("sue", ctl.RoleSupervisor, "pw", 1000)
	file := "# users\n\n" + good + "\nbroken line\n" + sue + "\n  # indented comment\n" + good + "\n"
	us, err := ctl.ParseUsers(strings.NewReader(file))
	if len(us) != 2 || us["olive"].Role != ctl.RoleOfficer || us["sue"].Role != ctl.RoleSupervisor {
		t.Errorf("users: got %v, want olive and sue", us)
	}
	if err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "line 7") {
		t.Errorf("error: got %v, want lines 4 and 7 named", err)
	}
}

func TestUserLine(t *testing.T) {
	for _, tc := range []struct{ name, role string }{{"a:b", "officer"}, {"x y", "officer"}, {"olive", "chief"}, {"", "officer"}} {
		if _, err := ctl.UserLine(tc.name, tc.role, "pw", 1000); err == nil {
			t.Errorf("UserLine(%q, %q): no error", tc.name, tc.role)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	h, _ := ctl.HashPassword("s3cret", ctl.DefaultIterations)
	u, _ := ctl.ParseUser("olive:officer:" + h)
	for b.Loop() {
		u.Check("s3cret")
	}
}
