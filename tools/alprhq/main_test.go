package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/envelope"
	"alprd/firmware/mosquittotest"
	"alprd/firmware/record"
	"alprd/tools/alprhq/hq"
)

func runCmd(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(t.Context(), args, &out, &errb)
	return status, out.String(), errb.String()
}

func TestUsageAndConfiguration(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hq.db")
	for _, tt := range []struct {
		name   string
		args   []string
		status int
		want   string // in stderr
	}{
		{"help", []string{"-h"}, 0, "usage: alprhq"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"missing broker", []string{"-hq-keys", dir, "-devices", dir, "-db", db}, 2, "-broker is required"},
		{"bad broker", []string{"-broker", "http://x", "-hq-keys", dir, "-devices", dir, "-db", db}, exitConfig, "tcp://host:port"},
		{"ssl without cert", []string{"-broker", "ssl://127.0.0.1:8883", "-hq-keys", dir, "-devices", dir, "-db", db}, exitConfig, "-cert and -key"},
		{"no HQ keys", []string{"-broker", "tcp://127.0.0.1:1883", "-hq-keys", dir, "-devices", dir, "-db", db}, exitConfig, "epoch-<N>.key"},
		{"stats without db", []string{"stats"}, 2, "-db is required"},
		{"stats of a missing db", []string{"stats", "-db", filepath.Join(dir, "none.db")}, 1, "no such file"},
		{"hold without case", []string{"hold", "-db", db, "-read", "x"}, 2, "-read and -case"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "hold without case" {
				s, err := hq.OpenStore(t.Context(), db)
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
			}
			status, _, stderr := runCmd(t, tt.args...)
			if status != tt.status || !strings.Contains(stderr, tt.want) {
				t.Errorf("status %d, stderr %q; want %d and %q", status, stderr, tt.status, tt.want)
			}
		})
	}
}

func TestHoldPurgeStats(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hq.db")
	s, err := hq.OpenStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reads as the receiver stores them (docs/hq.md), one old, one held,
	// one recent.
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, 0, -731).UnixMilli()
	for i, r := range []struct {
		id string
		at int64
	}{{"old", old}, {"held", old}, {"new", time.Now().UnixMilli()}} {
		if _, err := sdb.Exec(`INSERT INTO reads (device, seq, id, time, plate, confidence, json) VALUES ('unit-a', ?, ?, ?, '7ABC123', 90, '{}')`,
			i+1, r.id, r.at); err != nil {
			t.Fatal(err)
		}
		if _, err := sdb.Exec(`INSERT INTO received (device, seq, kind, at) VALUES ('unit-a', ?, 'read', 0)`, i+1); err != nil {
			t.Fatal(err)
		}
	}
	sdb.Close()

	if st, out, errs := runCmd(t, "hold", "-db", db, "-read", "held", "-case", "2026-17", "-by", "det. smith"); st != 0 || !strings.Contains(out, "held in case 2026-17") {
		t.Fatalf("hold: status %d, %q %q", st, out, errs)
	}
	if st, _, errs := runCmd(t, "hold", "-db", db, "-read", "nosuch", "-case", "2026-17"); st != 1 || !strings.Contains(errs, "no such read") {
		t.Errorf("hold of an unknown read: status %d, %q; want 1, no such read", st, errs)
	}
	if st, out, errs := runCmd(t, "purge", "-db", db); st != 0 || !strings.Contains(out, "deleted 1 reads") {
		t.Fatalf("purge: status %d, %q %q; want deleted 1 reads", st, out, errs)
	}
	st, out, errs := runCmd(t, "stats", "-db", db)
	if st != 0 {
		t.Fatalf("stats: status %d, %q", st, errs)
	}
	for _, want := range []string{"received read 3", "reads held 2", "evidence 1", "duplicates 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats output %q: missing %q", out, want)
		}
	}
}

// wait bounds the waits on the broker and the receiver: a guard against a
// hung test, not a measurement.
const wait = 20 * time.Second

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// provision writes what alprprov would: a CA, HQ's key of epoch 1 and unit
// id's certificate, and returns the unit's sealer configuration.
func provision(t *testing.T, dir, id string) envelope.SealerConfig {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	unitKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: id},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &unitKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "ca", "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	write(t, filepath.Join(dir, "devices", id, "device.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	hqKey, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		t.Fatal(err)
	}
	b, err := envelope.MarshalHQPrivateKey(hqKey)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "hq-keys", "epoch-1.key"), b)
	return envelope.SealerConfig{Device: id, Epoch: 1, HQKey: hqKey.PublicKey(), Signer: unitKey}
}

func connect(t *testing.T, url, id string, clean bool) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(clean))
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// TestRunReceives runs the command as an operator would, against a real
// broker: a read published while HQ was away (its persistent session
// queued it) is stored and acknowledged, and SIGTERM prints the counters.
func TestRunReceives(t *testing.T) {
	url := mosquittotest.Start(t).URL()
	dir := t.TempDir()
	sealer, err := envelope.NewSealer(provision(t, dir, "unit-a"))
	if err != nil {
		t.Fatal(err)
	}

	// HQ's session from an earlier run: the broker queues for it.
	hqSession := connect(t, url, "hq-e2e", false)
	if tok := hqSession.Subscribe("alpr/v1/+/reads", 1, nil); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	hqSession.Disconnect(100)

	acks := make(chan uint64, 10)
	watcher := connect(t, url, "watcher", true)
	if tok := watcher.Subscribe("alpr/v1/unit-a/ack", 1, func(_ mqtt.Client, m mqtt.Message) {
		var a struct{ V, Seq uint64 }
		if json.Unmarshal(m.Payload(), &a) == nil && a.V == 1 {
			acks <- a.Seq
		}
	}); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	unit := connect(t, url, "unit-a", true)
	rd := record.Read{V: 1, ID: record.NewID(), Device: "unit-a", Time: record.Millis(time.Now()), Plate: "7ABC123", Confidence: 90}
	payload, _ := json.Marshal(rd)
	env, err := sealer.Seal(envelope.KindRead, 1, payload)
	if err != nil {
		t.Fatal(err)
	}
	if tok := unit.Publish("alpr/v1/unit-a/reads", 1, false, env); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}

	db := filepath.Join(dir, "hq.db")
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-broker", url, "-ca", filepath.Join(dir, "ca", "ca.crt"), "-hq-keys", filepath.Join(dir, "hq-keys"),
			"-devices", filepath.Join(dir, "devices"), "-db", db, "-client-id", "hq-e2e"}, &stdout, &stderr)
	}()
	select {
	case seq := <-acks:
		if seq != 1 {
			t.Errorf("ack %d, want 1", seq)
		}
	case st := <-done:
		t.Fatalf("alprhq exited with %d: %s", st, stderr.String())
	case <-time.After(wait):
		cancel()
		<-done
		t.Fatalf("no ack within %v: %s", wait, stderr.String())
	}
	cancel() // as SIGTERM does
	if st := <-done; st != 0 {
		t.Fatalf("alprhq exited with %d: %s", st, stderr.String())
	}
	// One ack or two: the connection's re-send of the current acks may
	// follow the one the read caused.
	if out := stdout.String(); !regexp.MustCompile(`stored read +1\n(.|\n)*acks published +[12]\n`).MatchString(out) {
		t.Errorf("counters on stop %q: want one read stored and one or two acks", out)
	}
	if st, out, errs := runCmd(t, "stats", "-db", db); st != 0 || !strings.Contains(out, "device unit-a ack 1 received 1") {
		t.Errorf("stats: status %d, %q %q; want unit-a with ack 1", st, out, errs)
	}
}
