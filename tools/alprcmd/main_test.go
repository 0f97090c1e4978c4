package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"alprd/firmware/command"
	"alprd/firmware/envelope"
	"alprd/firmware/hotlist"
	"alprd/firmware/hqsign"
)

// call runs the command and returns its exit status and output.
func call(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	status := run(args, &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

// memFiles is command.Files in memory.
type memFiles map[string][]byte

func (f memFiles) ReadFile(name string) ([]byte, error) {
	if b, ok := f[name]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

func (f memFiles) WriteFile(name string, data []byte) error {
	f[name] = bytes.Clone(data)
	return nil
}

// kit is HQ's signing key and the files sign reads, in a temporary folder.
type kit struct {
	dir, key, hotlist, epochPub string
	priv                        ed25519.PrivateKey
	list, epochPEM              []byte
}

func newKit(t *testing.T) *kit {
	t.Helper()
	k := &kit{dir: t.TempDir()}
	var err error
	if k.priv, err = hqsign.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	pemKey, err := hqsign.MarshalPrivateKey(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	k.list, err = hotlist.Sign(hotlist.Header{Kind: hotlist.KindSnapshot, Version: 3, Created: time.Now()},
		[]byte("op,plate,state,type,priority,reason,case,agency,entered_by,entered,expires\nadd,7ABC123,CA,SV,,stolen,,,,,\n"), k.priv)
	if err != nil {
		t.Fatal(err)
	}
	hq, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		t.Fatal(err)
	}
	if k.epochPEM, err = envelope.MarshalHQPublicKey(hq.PublicKey()); err != nil {
		t.Fatal(err)
	}
	k.key, k.hotlist, k.epochPub = k.write(t, "hq-signing.key", pemKey), k.write(t, "list.hotlist", k.list), k.write(t, "hq-epoch-2.pub", k.epochPEM)
	return k
}

func (k *kit) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(k.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (k *kit) verifier() *command.Verifier {
	return &command.Verifier{Keyring: hqsign.NewKeyring(k.priv.Public().(ed25519.PublicKey)), Device: "unit-0042", Store: memFiles{}}
}

func TestSignVerifies(t *testing.T) {
	k := newKit(t)
	for _, tc := range []struct {
		args  []string
		check func(c command.Command) error
	}{
		{[]string{"selftest"}, func(c command.Command) error {
			if c.Args != nil {
				return errors.New("args present")
			}
			return nil
		}},
		{[]string{"hotlist", k.hotlist}, func(c command.Command) error {
			var a command.HotlistArgs
			if err := c.DecodeArgs(&a); err != nil {
				return err
			}
			if !bytes.Equal(a.File, k.list) {
				return errors.New("file differs")
			}
			return nil
		}},
		{[]string{"-epoch", "2", "rotate-key", k.epochPub}, func(c command.Command) error {
			var a command.RotateKeyArgs
			if err := c.DecodeArgs(&a); err != nil {
				return err
			}
			if a.PublicKey != string(k.epochPEM) || a.Epoch != 2 {
				return errors.New("key or epoch differs")
			}
			return nil
		}},
	} {
		args := append([]string{"sign", "-key", k.key, "-device", "unit-0042", "-seq", "41", "-expires", "2h", "-issued", "2026-11-27T08:00:00Z"}, tc.args...)
		status, out, errOut := call(args...)
		if status != 0 {
			t.Errorf("%v: exit status %d: %s", tc.args, status, errOut)
			continue
		}
		name := tc.args[0]
		if name == "-epoch" {
			name = tc.args[2]
		}
		now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		c, err := k.verifier().Verify("alpr/v1/unit-0042/cmd/"+name, []byte(out), now)
		if err != nil {
			t.Errorf("%v: got %v, want verified", tc.args, err)
			continue
		}
		if c.Name != name || c.Seq != 41 || !c.Expires.Equal(now.Add(time.Hour)) {
			t.Errorf("%v: got %s seq %d expires %s, want %s seq 41 expires %s", tc.args, c.Name, c.Seq, c.Expires, name, now.Add(time.Hour))
		}
		if err := tc.check(c); err != nil {
			t.Errorf("%v: args: %v", tc.args, err)
		}
	}
}

func TestSignUsage(t *testing.T) {
	k := newKit(t)
	base := []string{"sign", "-key", k.key, "-device", "unit-0042", "-seq", "1"}
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"sign", "-device", "unit-0042", "-seq", "1", "selftest"}, 2, "-key and -device are required"},
		{[]string{"sign", "-key", k.key, "-device", "unit-0042", "selftest"}, 2, "-seq is required"},
		{append(base, "-expires", "169h", "selftest"), 2, "-expires 169h0m0s"},
		{append(base, "-issued", "yesterday", "selftest"), 2, "want an RFC 3339 time"},
		{base, 2, "no command NAME"},
		{append(base, "reboot"), 2, `unknown command "reboot"`},
		{append(base, "selftest", k.hotlist), 2, "selftest takes no ARGS-FILE"},
		{append(base, "hotlist"), 2, "hotlist needs one ARGS-FILE"},
		{append(base, "rotate-key", k.epochPub), 2, "-epoch is required"},
		{append(base, "-epoch", "2", "selftest"), 2, "-epoch is for rotate-key only"},
		{append(base, "hotlist", k.epochPub), 1, "hotlist"},                           // not a hot list file
		{append(base, "-epoch", "2", "rotate-key", k.key), 1, "hq-signing.key"},       // not a public key
		{append(base, "hotlist", filepath.Join(k.dir, "missing")), 1, "no such file"}, // absent
		{[]string{"sign", "-key", k.hotlist, "-device", "unit-0042", "-seq", "1", "selftest"}, 1, "parse private key"},
		{[]string{"sign", "-key", k.key, "-device", "unit/0042", "-seq", "1", "selftest"}, 1, "malformed: device"},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{nil, 2, "usage: alprcmd COMMAND"},
	} {
		status, out, errOut := call(tc.args...)
		if status != tc.status || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%v: got status %d, stdout %q, stderr %q; want status %d, stderr with %q", tc.args, status, out, errOut, tc.status, tc.want)
		}
	}
}

// broker starts an MQTT broker on a free local port (TLS when conf is not
// nil) and returns its address and the messages published on commands'
// topics.
func broker(t *testing.T, conf *tls.Config) (string, <-chan packets.Packet) {
	t.Helper()
	b := mochi.New(&mochi.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	if err := b.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0", TLSConfig: conf})
	if err := b.AddListener(l); err != nil {
		t.Fatal(err)
	}
	got := make(chan packets.Packet, 10)
	if err := b.Subscribe("alpr/v1/+/cmd/+", 1, func(_ *mochi.Client, _ packets.Subscription, pk packets.Packet) { got <- pk }); err != nil {
		t.Fatal(err)
	}
	if err := b.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return l.Address(), got
}

// received returns the next message the broker got; a test that waits more
// than a minute has failed.
func received(t *testing.T, got <-chan packets.Packet) packets.Packet {
	t.Helper()
	select {
	case pk := <-got:
		return pk
	case <-time.After(time.Minute):
		t.Fatal("no message reached the broker")
		return packets.Packet{}
	}
}

func TestSend(t *testing.T) {
	k := newKit(t)
	addr, got := broker(t, nil)
	sign := func(name string, args ...string) string {
		status, out, errOut := call(append([]string{"sign", "-key", k.key, "-device", "unit-0042"}, args...)...)
		if status != 0 {
			t.Fatalf("sign %v: %s", args, errOut)
		}
		return k.write(t, name, []byte(out))
	}
	file := sign("hotlist.json", "-seq", "7", "hotlist", k.hotlist)
	msg, _ := os.ReadFile(file)
	status, out, errOut := call("send", "-broker", "tcp://"+addr, "-device", "unit-0042", "-retain", file)
	if status != 0 {
		t.Fatalf("send: exit status %d: %s", status, errOut)
	}
	if !strings.Contains(out, "hotlist seq 7 for unit-0042 published on alpr/v1/unit-0042/cmd/hotlist") {
		t.Errorf("stdout: got %q", out)
	}
	pk := received(t, got)
	if pk.TopicName != "alpr/v1/unit-0042/cmd/hotlist" || !bytes.Equal(pk.Payload, msg) || pk.FixedHeader.Qos != 1 || !pk.FixedHeader.Retain {
		t.Errorf("got topic %q qos %d retain %v payload %q; want alpr/v1/unit-0042/cmd/hotlist, 1, true, the file",
			pk.TopicName, pk.FixedHeader.Qos, pk.FixedHeader.Retain, pk.Payload)
	}
	if _, err := k.verifier().Verify(pk.TopicName, pk.Payload, time.Now()); err != nil {
		t.Errorf("verify what arrived: %v", err)
	}

	// Refused before connecting.
	expired := sign("expired.json", "-seq", "8", "-issued", "2020-01-01T00:00:00Z", "selftest")
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"-device", "unit-0043", file}, 1, `for "unit-0042", not "unit-0043"`},
		{[]string{expired}, 1, "expired at 2020-01-01T01:00:00Z"},
		{[]string{k.hotlist}, 1, "malformed"},
		{[]string{}, 2, "want one FILE"},
		{[]string{"-ca", k.key, file}, 2, "need an ssl:// broker"},
	} {
		status, _, errOut := call(append([]string{"send", "-broker", "tcp://" + addr}, tc.args...)...)
		if status != tc.status || !strings.Contains(errOut, tc.want) {
			t.Errorf("send %v: got status %d, %q; want %d, %q", tc.args, status, errOut, tc.status, tc.want)
		}
	}
	select {
	case pk := <-got:
		t.Errorf("refused sends published %q", pk.TopicName)
	default:
	}
	if status, _, errOut := call("send", "-broker", "http://"+addr, file); status != 2 || !strings.Contains(errOut, "want tcp://host:port") {
		t.Errorf("http broker: got %d, %q", status, errOut)
	}
}

func TestSendTLS(t *testing.T) {
	k := newKit(t)
	ca, caKey := newCert(t, "test CA", nil, nil)
	srv, srvKey := newCert(t, "broker", ca, caKey)
	cli, cliKey := newCert(t, "hq-commands", ca, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	addr, got := broker(t, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{srv.Raw}, PrivateKey: srvKey}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	})
	caFile := k.write(t, "ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	certFile := k.write(t, "hq.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cli.Raw}))
	der, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := k.write(t, "hq.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	status, out, errOut := call("sign", "-key", k.key, "-device", "unit-0042", "-seq", "1", "selftest")
	if status != 0 {
		t.Fatal(errOut)
	}
	file := k.write(t, "cmd.json", []byte(out))

	if status, _, errOut := call("send", "-broker", "ssl://"+addr, "-ca", caFile, "-cert", certFile, "-key", keyFile, file); status != 0 {
		t.Fatalf("send: exit status %d: %s", status, errOut)
	}
	if pk := received(t, got); pk.TopicName != "alpr/v1/unit-0042/cmd/selftest" || string(pk.Payload) != out {
		t.Errorf("got %q %q, want the command on alpr/v1/unit-0042/cmd/selftest", pk.TopicName, pk.Payload)
	}
	// Without a client certificate the broker refuses the connection.
	if status, _, errOut := call("send", "-broker", "ssl://"+addr, "-ca", caFile, "-timeout", "5s", file); status != 1 || !strings.Contains(errOut, "connect") {
		t.Errorf("no client certificate: got %d, %q; want 1, a connect error", status, errOut)
	}
}

// newCert returns a certificate for 127.0.0.1 named cn, signed by parent
// (self-signed CA when parent is nil).
func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}
