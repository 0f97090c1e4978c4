package prov

import (
	"strings"
	"testing"
)

func TestACL(t *testing.T) {
	got, err := ACL("dept/alpr/v1", []string{"hq-main", "hq-audit", "hq-main"})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for line := range strings.Lines(got) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			rules = append(rules, line)
		}
	}
	want := []string{
		"pattern write dept/alpr/v1/%u/state",
		"pattern write dept/alpr/v1/%u/health",
		"pattern write dept/alpr/v1/%u/selftest",
		"pattern write dept/alpr/v1/%u/reads",
		"pattern write dept/alpr/v1/%u/alerts",
		"pattern write dept/alpr/v1/%u/audit",
		"pattern write dept/alpr/v1/%u/events",
		"pattern read dept/alpr/v1/%u/cmd/#",
		"pattern read dept/alpr/v1/%u/ack",
		"user hq-audit",
		"topic read dept/alpr/v1/+/#",
		"topic write dept/alpr/v1/+/cmd/#",
		"topic write dept/alpr/v1/+/ack",
		"user hq-main",
		"topic read dept/alpr/v1/+/#",
		"topic write dept/alpr/v1/+/cmd/#",
		"topic write dept/alpr/v1/+/ack",
	}
	if g, w := strings.Join(rules, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("ACL rules:\n%s\nwant:\n%s", g, w)
	}
	if strings.Contains(got, "%c") {
		t.Errorf("ACL uses %s, the client id, which the client chooses", "%c")
	}
	// Before the first user line, a topic line would apply to anonymous
	// clients; only pattern lines may come first.
	for _, r := range rules {
		if strings.HasPrefix(r, "user ") {
			break
		}
		if !strings.HasPrefix(r, "pattern ") {
			t.Errorf("rule %q comes before any user line", r)
		}
	}
}

func TestACLRefuses(t *testing.T) {
	tests := []struct {
		prefix string
		hq     []string
	}{
		{"alpr/v1", []string{"unit-1"}},
		{"alpr/v1", []string{"hq-a/b"}},
		{"alpr/v1", []string{"hq-+"}},
		{"alpr/v1", []string{""}},
		{"alpr/+", []string{"hq-main"}},
		{"", []string{"hq-main"}},
	}
	for _, tt := range tests {
		if _, err := ACL(tt.prefix, tt.hq); err == nil {
			t.Errorf("ACL(%q, %q): got no error", tt.prefix, tt.hq)
		}
	}
}

func TestBrokerConf(t *testing.T) {
	c := BrokerConf{Port: 8883, CAFile: "/etc/mosquitto/alpr/ca.crt", CertFile: "/etc/mosquitto/alpr/server.crt",
		KeyFile: "/etc/mosquitto/alpr/server.key", ACLFile: "/etc/mosquitto/alpr/acl"}
	text, err := c.Text()
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	var order []string
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if _, dup := settings[f[0]]; dup {
			t.Errorf("%s set twice", f[0])
		}
		settings[f[0]] = strings.Join(f[1:], " ")
		order = append(order, f[0])
	}
	want := map[string]string{
		"allow_anonymous":          "false",
		"acl_file":                 "/etc/mosquitto/alpr/acl",
		"listener":                 "8883",
		"cafile":                   "/etc/mosquitto/alpr/ca.crt",
		"certfile":                 "/etc/mosquitto/alpr/server.crt",
		"keyfile":                  "/etc/mosquitto/alpr/server.key",
		"tls_version":              "tlsv1.2",
		"require_certificate":      "true",
		"use_identity_as_username": "true",
		"use_username_as_clientid": "true",
	}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("%s: got %q, want %q", k, settings[k], v)
		}
	}
	if len(settings) != len(want) {
		t.Errorf("settings: got %v, want exactly %v", order, want)
	}
	// Listener options apply to the listener line before them.
	listener := strings.Index(text, "\nlistener ")
	for _, k := range []string{"cafile", "certfile", "keyfile", "tls_version", "require_certificate", "use_identity_as_username", "use_username_as_clientid"} {
		if strings.Index(text, "\n"+k+" ") < listener {
			t.Errorf("%s comes before the listener line", k)
		}
	}

	bad := []BrokerConf{
		{Port: 0, CAFile: "a", CertFile: "b", KeyFile: "c", ACLFile: "d"},
		{Port: 70000, CAFile: "a", CertFile: "b", KeyFile: "c", ACLFile: "d"},
		{Port: 8883, CAFile: "", CertFile: "b", KeyFile: "c", ACLFile: "d"},
		{Port: 8883, CAFile: "a", CertFile: "b\nlistener 1883", KeyFile: "c", ACLFile: "d"},
	}
	for _, c := range bad {
		if _, err := c.Text(); err == nil {
			t.Errorf("%+v: got no error", c)
		}
	}
}
