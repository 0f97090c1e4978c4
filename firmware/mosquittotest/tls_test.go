package mosquittotest_test

// These tests run the department's TLS listener and ACL, as the provisioning
// library alprd/tools/alprprov/prov writes them, in a real Mosquitto with
// real TLS clients. They live here rather than in tools/alprprov because
// Go's internal rule keeps tools/ from importing this package; the
// dependency runs from this package's tests to tools/, never from firmware
// code (TestNoToolsDependency).

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"go/parser"
	"go/token"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/mosquittotest"
	"alprd/tools/alprprov/prov"
)

// patience bounds every wait for something that must happen; the tests
// never wait for something not to happen (a marker sent afterwards tells).
const patience = 10 * time.Second

// department is a provisioned directory with a broker running its
// configuration.
type department struct {
	root   string
	broker *mosquittotest.Broker
	pool   *x509.CertPool
}

func newDepartment(t *testing.T) *department {
	t.Helper()
	if mosquittotest.Binary() == "" {
		t.Skip("mosquitto is not installed (/usr/sbin/mosquitto, Debian package mosquitto): run make deps")
	}
	root := t.TempDir()
	pd, err := prov.NewDepartment(root, "unit-a", "unit-b")
	if err != nil {
		t.Fatal(err)
	}
	ca := pd.CA
	conf, err := os.ReadFile(pd.BrokerConf())
	if err != nil {
		t.Fatal(err)
	}
	dep := &department{root: root, broker: mosquittotest.StartTLS(t, string(conf)), pool: x509.NewCertPool()}
	dep.pool.AddCert(ca.Cert)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mosquitto's log:\n%s", dep.broker.Logs())
		}
	})
	return dep
}

// files returns the certificate and key files of a unit or HQ identity.
func (d *department) files(name string) (cert, key string) {
	if strings.HasPrefix(name, prov.HQPrefix) {
		dir := filepath.Join(d.root, prov.HQFolder, name)
		return filepath.Join(dir, prov.ClientCert), filepath.Join(dir, prov.ClientKey)
	}
	dir := filepath.Join(d.root, prov.DevicesFolder, name)
	return filepath.Join(dir, prov.DeviceCert), filepath.Join(dir, prov.DeviceKey)
}

// tlsConfig is a client's configuration with the identity name's
// certificate.
func (d *department) tlsConfig(t *testing.T, name string) *tls.Config {
	t.Helper()
	certFile, keyFile := d.files(name)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{RootCAs: d.pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// connect connects an MQTT client with cfg, or returns why it could not.
func connect(t *testing.T, url, clientID string, cfg *tls.Config, lost func()) (mqtt.Client, error) {
	t.Helper()
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID(clientID).SetTLSConfig(cfg).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(patience).
		SetCleanSession(true).SetKeepAlive(30 * time.Second)
	if lost != nil {
		opts.SetConnectionLostHandler(func(mqtt.Client, error) { lost() })
	}
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(patience) {
		c.Disconnect(0)
		return nil, errors.New("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

// client connects identity name (its CN is also the client id) or fails the
// test.
func (d *department) client(t *testing.T, name string) mqtt.Client {
	t.Helper()
	c, err := connect(t, d.broker.URL(), name, d.tlsConfig(t, name), nil)
	if err != nil {
		t.Fatalf("%s: connect: %v", name, err)
	}
	return c
}

// inbox collects the messages of a client's subscriptions, in order.
type inbox chan mqtt.Message

func subscribe(t *testing.T, c mqtt.Client, filters ...string) inbox {
	t.Helper()
	in := make(inbox, 100)
	subs := map[string]byte{}
	for _, f := range filters {
		subs[f] = 1
	}
	tok := c.SubscribeMultiple(subs, func(_ mqtt.Client, m mqtt.Message) { in <- m })
	if !tok.WaitTimeout(patience) || tok.Error() != nil {
		t.Fatalf("subscribe %v: %v", filters, tok.Error())
	}
	return in
}

// until returns the messages received before the marker (payload "marker"
// on topic), failing the test when the marker does not come.
func (in inbox) until(t *testing.T, topic string) []mqtt.Message {
	t.Helper()
	var before []mqtt.Message
	timeout := time.After(patience)
	for {
		select {
		case m := <-in:
			if m.Topic() == topic && string(m.Payload()) == "marker" {
				return before
			}
			before = append(before, m)
		case <-timeout:
			t.Fatalf("marker on %s not received", topic)
		}
	}
}

func publish(t *testing.T, c mqtt.Client, topic, payload string) {
	t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(patience) || tok.Error() != nil {
		t.Fatalf("publish %s: not acknowledged: %v", topic, tok.Error())
	}
}

func topics(ms []mqtt.Message) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Topic()+" "+string(m.Payload()))
	}
	return s
}

// TestUnitPublishesItsTopics: a unit publishes on each of its up topics and
// HQ receives them all, in order; HQ's down messages reach the unit.
func TestUnitPublishesItsTopics(t *testing.T) {
	t.Parallel()
	d := newDepartment(t)
	hq := d.client(t, "hq-main")
	up := subscribe(t, hq, "alpr/v1/+/#")
	a := d.client(t, "unit-a")
	down := subscribe(t, a, "alpr/v1/unit-a/cmd/#", "alpr/v1/unit-a/ack")

	for _, kind := range prov.UpTopics {
		publish(t, a, "alpr/v1/unit-a/"+kind, "payload "+kind)
	}
	publish(t, a, "alpr/v1/unit-a/events", "marker")
	var want []string
	for _, kind := range prov.UpTopics {
		want = append(want, "alpr/v1/unit-a/"+kind+" payload "+kind)
	}
	if g, w := strings.Join(topics(up.until(t, "alpr/v1/unit-a/events")), "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("HQ received:\n%s\nwant:\n%s", g, w)
	}

	publish(t, hq, "alpr/v1/unit-a/cmd/hotlist", "cmd")
	publish(t, hq, "alpr/v1/unit-a/ack", "ack")
	for _, want := range []string{"alpr/v1/unit-a/cmd/hotlist cmd", "alpr/v1/unit-a/ack ack"} {
		select {
		case m := <-down:
			if g := m.Topic() + " " + string(m.Payload()); g != want {
				t.Errorf("unit-a received %q, want %q", g, want)
			}
		case <-time.After(patience):
			t.Fatalf("unit-a did not receive %q", want)
		}
	}
}

// TestUnitCannotPublishElsewhere: what a unit publishes outside its own up
// topics (as another unit, on its own down topics, outside the prefix) is
// dropped by the broker: HQ, subscribed to all of it, receives only the
// marker the unit publishes afterwards on its own topic.
func TestUnitCannotPublishElsewhere(t *testing.T) {
	t.Parallel()
	d := newDepartment(t)
	hq := d.client(t, "hq-main")
	forged := []string{
		"alpr/v1/unit-b/reads",
		"alpr/v1/unit-b/state",
		"alpr/v1/hq-main/reads",
		"alpr/v1/unit-a/cmd/hotlist",
		"alpr/v1/unit-a/ack",
		"alpr/v1/unit-a",
		"alpr/v1/unit-a/reads/extra",
		"alpr/v2/unit-a/reads",
	}
	in := subscribe(t, hq, "alpr/v1/+/#", "alpr/v1/unit-b/reads", "alpr/v1/+", "alpr/v2/+/reads")
	a := d.client(t, "unit-a")
	for _, topic := range forged {
		// QoS 1: the broker has routed (or dropped) the message before it
		// acknowledges it, and A sends the marker only after that.
		publish(t, a, topic, "forged by unit-a")
	}
	publish(t, a, "alpr/v1/unit-a/reads", "marker")
	if got := in.until(t, "alpr/v1/unit-a/reads"); len(got) > 0 {
		t.Errorf("HQ received what unit-a may not publish:\n%s", strings.Join(topics(got), "\n"))
	}
}

// TestUnitCannotReadOthers: a unit subscribed to another unit's command
// topic never receives its commands (HQ sends B's command first, then a
// marker to A); B does receive its own.
func TestUnitCannotReadOthers(t *testing.T) {
	t.Parallel()
	d := newDepartment(t)
	hq := d.client(t, "hq-main")
	a := d.client(t, "unit-a")
	b := d.client(t, "unit-b")
	// The broker may refuse A's subscription to B's topics in its SUBACK or
	// accept it and filter each message: either way nothing must arrive.
	aIn := subscribe(t, a, "alpr/v1/unit-a/cmd/#", "alpr/v1/unit-b/cmd/#", "alpr/v1/unit-b/ack", "alpr/v1/unit-b/reads")
	bIn := subscribe(t, b, "alpr/v1/unit-b/cmd/#")

	publish(t, b, "alpr/v1/unit-b/reads", "B's read")
	publish(t, hq, "alpr/v1/unit-b/cmd/x", "for B only")
	publish(t, hq, "alpr/v1/unit-b/ack", "for B only")
	publish(t, hq, "alpr/v1/unit-a/cmd/x", "marker")
	if got := aIn.until(t, "alpr/v1/unit-a/cmd/x"); len(got) > 0 {
		t.Errorf("unit-a received unit-b's messages:\n%s", strings.Join(topics(got), "\n"))
	}
	select {
	case m := <-bIn:
		if got, want := m.Topic()+" "+string(m.Payload()), "alpr/v1/unit-b/cmd/x for B only"; got != want {
			t.Errorf("unit-b received %q, want %q", got, want)
		}
	case <-time.After(patience):
		t.Fatal("unit-b did not receive its command")
	}
}

// TestClientIDTakeover: a unit connecting with another unit's client id
// does not disconnect it (the broker uses the certificate's CN as the
// client id).
func TestClientIDTakeover(t *testing.T) {
	t.Parallel()
	d := newDepartment(t)
	hq := d.client(t, "hq-main")
	var mu sync.Mutex
	lost := false
	b, err := connect(t, d.broker.URL(), "unit-b", d.tlsConfig(t, "unit-b"), func() { mu.Lock(); lost = true; mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	bIn := subscribe(t, b, "alpr/v1/unit-b/cmd/#")
	if _, err := connect(t, d.broker.URL(), "unit-b", d.tlsConfig(t, "unit-a"), nil); err != nil {
		t.Fatalf("unit-a with client id unit-b: %v", err)
	}
	publish(t, hq, "alpr/v1/unit-b/cmd/x", "marker")
	bIn.until(t, "alpr/v1/unit-b/cmd/x")
	mu.Lock()
	defer mu.Unlock()
	if lost || !b.IsConnectionOpen() {
		t.Errorf("unit-b lost its connection when unit-a connected with client id unit-b")
	}
}

// TestRefusedClients: only a client with a certificate of the department's
// CA, for client authentication, still valid, over TLS 1.2 or later, gets
// in.
func TestRefusedClients(t *testing.T) {
	t.Parallel()
	d := newDepartment(t)

	// Another CA issuing the same names.
	other := prov.Dir{Root: t.TempDir()}
	if _, err := other.CreateCA("Other PD ALPR CA", prov.CAValidity); err != nil {
		t.Fatal(err)
	}
	if _, err := other.CreateDevice("unit-a", prov.DeviceValidity); err != nil {
		t.Fatal(err)
	}
	if _, err := other.CreateHQ("hq-main", prov.HQValidity); err != nil {
		t.Fatal(err)
	}
	// The department's CA issuing a certificate that expired last year.
	expired := prov.Dir{Root: d.root, Now: func() time.Time { return time.Now().AddDate(-3, 0, 0) }}
	if _, err := expired.CreateDevice("unit-old", prov.DeviceValidity); err != nil {
		t.Fatal(err)
	}
	load := func(dir, cert, key string) []tls.Certificate {
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, cert), filepath.Join(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		return []tls.Certificate{c}
	}
	dev := func(root, id string) []tls.Certificate {
		return load(filepath.Join(root, prov.DevicesFolder, id), prov.DeviceCert, prov.DeviceKey)
	}
	// With TLS 1.2 the broker refuses a client certificate during the
	// handshake, and its alert (reason) is what the client sees; with TLS
	// 1.3 the client's handshake ends first and the refusal may come as a
	// reset connection, so only the refusal is checked.
	tests := []struct {
		name    string
		certs   []tls.Certificate
		max     uint16
		refused bool
		reason  string
	}{
		{"department unit, TLS 1.2", dev(d.root, "unit-a"), tls.VersionTLS12, false, ""},
		{"department unit, TLS 1.3", dev(d.root, "unit-a"), tls.VersionTLS13, false, ""},
		{"department unit, TLS 1.1", dev(d.root, "unit-a"), tls.VersionTLS11, true, "protocol version"},
		{"no certificate", nil, tls.VersionTLS12, true, "handshake failure"},
		{"no certificate, TLS 1.3", nil, tls.VersionTLS13, true, ""},
		{"other CA's unit", dev(other.Root, "unit-a"), tls.VersionTLS12, true, "unknown certificate authority"},
		{"other CA's unit, TLS 1.3", dev(other.Root, "unit-a"), tls.VersionTLS13, true, ""},
		{"other CA's HQ", load(filepath.Join(other.Root, prov.HQFolder, "hq-main"), prov.ClientCert, prov.ClientKey), tls.VersionTLS12, true, "unknown certificate authority"},
		{"expired unit", dev(d.root, "unit-old"), tls.VersionTLS12, true, "expired certificate"},
		{"expired unit, TLS 1.3", dev(d.root, "unit-old"), tls.VersionTLS13, true, ""},
		{"broker's server certificate", load(filepath.Join(d.root, prov.BrokerFolder), prov.ServerCert, prov.ServerKey), tls.VersionTLS12, true, "unsupported certificate"},
		{"broker's server certificate, TLS 1.3", load(filepath.Join(d.root, prov.BrokerFolder), prov.ServerCert, prov.ServerKey), tls.VersionTLS13, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: d.pool, Certificates: tt.certs, MinVersion: tt.max, MaxVersion: tt.max}
			c, err := connect(t, d.broker.URL(), "client", cfg, nil)
			switch {
			case !tt.refused && err != nil:
				t.Fatalf("connect: %v", err)
			case !tt.refused:
				// A connected client may also use the session.
				publish(t, c, "alpr/v1/unit-a/health", "ok")
			case err == nil:
				t.Errorf("connect: got no error, want a refusal")
			case !strings.Contains(err.Error(), tt.reason):
				t.Errorf("connect: got %v, want a refusal for %q", err, tt.reason)
			}
		})
	}

	t.Run("plain TCP", func(t *testing.T) {
		if _, err := connect(t, "tcp://"+d.broker.Addr, "unit-a", nil, nil); err == nil {
			t.Error("connect without TLS: got no error, want one")
		}
	})
}

// TestTLS11Client shows that the client configuration of the TLS 1.1 case
// above can complete a TLS 1.1 handshake with a server that allows it, so
// that the refusal there is the broker's.
func TestTLS11Client(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d := prov.Dir{Root: root}
	ca, err := d.CreateCA("Test CA", prov.CAValidity)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.IssueBroker([]string{"127.0.0.1"}, time.Now(), prov.BrokerValidity)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{srv.Cert.Raw}, PrivateKey: srv.Key}},
		MinVersion:   tls.VersionTLS10,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: patience}, "tcp", l.Addr().String(),
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11})
	if err != nil {
		t.Fatalf("TLS 1.1 handshake with a server that allows it: %v", err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS11 {
		t.Errorf("got TLS version %x, want %x", v, tls.VersionTLS11)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Errorf("server side: %v", err)
	}
}

// TestNoToolsDependency: package mosquittotest itself (not its tests)
// imports nothing from tools/.
func TestNoToolsDependency(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, "alprd/") {
				t.Errorf("%s imports %s, want the standard library only", name, p)
			}
		}
	}
	if n == 0 {
		t.Error("no source file of package mosquittotest found")
	}
}
