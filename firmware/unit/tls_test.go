package unit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/mosquittotest"
	"alprd/firmware/record"
	"alprd/tools/alprprov/prov"
)

// TestTLSUplink runs the unit against Mosquitto as the department runs it:
// TLS with client certificates, the certificate's CN as user name, and the
// per-unit ACL made by alprprov. HQ (its own certificate) receives the
// unit's reads and opens them.
func TestTLSUplink(t *testing.T) {
	if mosquittotest.Binary() == "" {
		t.Skip("mosquitto is not installed (/usr/sbin/mosquitto): run make deps")
	}
	root := t.TempDir()
	pd, err := prov.NewDepartment(root, "test-unit")
	if err != nil {
		t.Fatal(err)
	}
	ca, bundle := pd.CA, pd.Bundles["test-unit"]
	conf, err := os.ReadFile(pd.BrokerConf())
	if err != nil {
		t.Fatal(err)
	}
	broker := mosquittotest.StartTLS(t, string(conf))
	defer func() {
		if t.Failed() {
			t.Logf("mosquitto:\n%s", broker.Logs())
		}
	}()

	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	hqDir := filepath.Join(root, prov.HQFolder, "hq-main")
	cert, err := tls.LoadX509KeyPair(filepath.Join(hqDir, prov.ClientCert), filepath.Join(hqDir, prov.ClientKey))
	if err != nil {
		t.Fatal(err)
	}
	hq := paho.NewClient(paho.NewClientOptions().AddBroker(broker.URL()).SetClientID("hq-main").
		SetTLSConfig(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	if tok := hq.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("hq connect: %v", tok.Error())
	}
	defer hq.Disconnect(50)
	opener := pd.Opener()
	var mu sync.Mutex
	var reads []record.Read
	var online bool
	hq.Subscribe("alpr/v1/test-unit/+", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(m.Topic(), "/state") {
			online = online || strings.Contains(string(m.Payload()), `"online"`)
			return
		}
		if !strings.HasSuffix(m.Topic(), "/reads") {
			return
		}
		_, p, err := opener.Open(m.Payload())
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		r, err := record.Decode(p)
		if err != nil {
			t.Error(err)
			return
		}
		reads = append(reads, r)
	}).WaitTimeout(10 * time.Second)

	frames, _ := synthFrames(t, 3, 7)
	u := testConfig(t, "unused:1", frames)
	u.cfg.MQTT.Broker = broker.URL()
	u.cfg.Keys.Dir = bundle.Dir
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := RunWith(ctx, u.cfg, testLogger(t), Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(reads)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !online || len(reads) == 0 {
		t.Errorf("over TLS: online %v, %d reads at HQ", online, len(reads))
	}
}
