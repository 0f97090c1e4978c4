package prov

import (
	"fmt"
	"slices"
	"strings"
)

// ACL returns the text of the Mosquitto ACL file for the units below prefix
// (see ValidPrefix) and the HQ identities hq (each checked by ValidHQ):
//
//   - every client (the rules are "pattern" rules on %u, the user name the
//     broker took from the certificate's CN) may write its own up topics
//     <prefix>/%u/<UpTopics> and read its own down topics
//     <prefix>/%u/<DownTopics>, and nothing else;
//   - each HQ identity may also read <prefix>/+/# and write <prefix>/+/cmd/#
//     and <prefix>/+/ack.
//
// The rules allow nothing else: with an acl_file, Mosquitto denies what no
// rule grants, and drops a denied publish silently.
func ACL(prefix string, hq []string) (string, error) {
	if err := ValidPrefix(prefix); err != nil {
		return "", err
	}
	hq = slices.Clone(hq)
	slices.Sort(hq)
	hq = slices.Compact(hq)
	for _, h := range hq {
		if err := ValidHQ(h); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	b.WriteString("# Mosquitto ACL for ALPR units, written by alprprov.\n")
	b.WriteString("# The MQTT user name is the client certificate's CN (use_identity_as_username).\n")
	b.WriteString("# Anything not granted here is denied; a denied publish is dropped silently.\n\n")
	b.WriteString("# Units: their own topics only.\n")
	for _, t := range UpTopics {
		fmt.Fprintf(&b, "pattern write %s/%%u/%s\n", prefix, t)
	}
	for _, t := range DownTopics {
		fmt.Fprintf(&b, "pattern read %s/%%u/%s\n", prefix, t)
	}
	for _, h := range hq {
		fmt.Fprintf(&b, "\n# HQ subscriber %s: reads every unit, commands and acknowledges every unit.\n", h)
		fmt.Fprintf(&b, "user %s\n", h)
		fmt.Fprintf(&b, "topic read %s/+/#\n", prefix)
		for _, t := range DownTopics {
			fmt.Fprintf(&b, "topic write %s/+/%s\n", prefix, t)
		}
	}
	return b.String(), nil
}

// BrokerConf describes the ALPR listener of a Mosquitto broker.
type BrokerConf struct {
	Port     int    // TCP port of the TLS listener, e.g. 8883
	CAFile   string // the department CA, which client certificates must chain to
	CertFile string // the broker's certificate
	KeyFile  string // the broker's private key
	ACLFile  string // the file ACL returned
}

// Text returns the Mosquitto configuration: a TLS listener on Port (all
// addresses) that requires a client certificate from the department CA,
// takes its CN as the user name and the client id (so one unit cannot take
// over another's session), accepts TLS 1.2 and later only, no anonymous
// clients, and the ACL file. It holds a single "listener" line and no
// persistence or logging options, so that it can go in Debian's
// /etc/mosquitto/conf.d/ next to the main mosquitto.conf.
func (c BrokerConf) Text() (string, error) {
	if c.Port < 1 || c.Port > 65535 {
		return "", fmt.Errorf("prov: broker port %d: want 1 to 65535", c.Port)
	}
	for _, f := range []struct{ name, path string }{{"CA file", c.CAFile}, {"certificate file", c.CertFile}, {"key file", c.KeyFile}, {"ACL file", c.ACLFile}} {
		if f.path == "" || strings.ContainsAny(f.path, "\r\n") {
			return "", fmt.Errorf("prov: broker %s %q: want a path on one line", f.name, f.path)
		}
	}
	return fmt.Sprintf(`# Mosquitto configuration for ALPR units, written by alprprov.
# Debian: install as /etc/mosquitto/conf.d/alpr.conf; mosquitto drops root
# before reading the files below, so user mosquitto must be able to read them.
allow_anonymous false
acl_file %s

listener %d
cafile %s
certfile %s
keyfile %s
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
use_username_as_clientid true
`, c.ACLFile, c.Port, c.CAFile, c.CertFile, c.KeyFile), nil
}
