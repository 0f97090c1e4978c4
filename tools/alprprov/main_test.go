package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"alprd/firmware/envelope"
	"alprd/tools/alprprov/prov"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if got := run(args, &stdout, &stderr); got != 0 {
		t.Fatalf("alprprov %s: got exit status %d, want 0; stderr:\n%s", strings.Join(args, " "), got, stderr.String())
	}
	return stdout.String()
}

func TestUsageErrors(t *testing.T) {
	d := filepath.Join(t.TempDir(), "prov")
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{nil, "usage: alprprov COMMAND"},
		{[]string{"mint"}, `unknown command "mint"`},
		{[]string{"ca", "-name", "X"}, "-dir is required"},
		{[]string{"ca", "-dir", d}, "-name is required"},
		{[]string{"ca", "-dir", d, "-name", "X", "-days", "0"}, "-days 0: want 1 to"},
		{[]string{"ca", "-dir", d, "-name", "X", "extra"}, "unexpected arguments: extra"},
		{[]string{"ca", "-dir", d, "-colour"}, "flag provided but not defined: -colour"},
		{[]string{"device", "-dir", d}, "-name is required"},
		{[]string{"device", "-dir", d, "-name", "unit/1"}, `holds '/'`},
		{[]string{"device", "-dir", d, "-name", "unit+1"}, `holds '+'`},
		{[]string{"device", "-dir", d, "-name", "#"}, `starts with '#'`},
		{[]string{"device", "-dir", d, "-name", "hq-main"}, `must not start with "hq-"`},
		{[]string{"hq", "-dir", d, "-name", "main"}, `want "hq-" followed by a name`},
		{[]string{"broker", "-dir", d}, "-host is required"},
		{[]string{"broker", "-dir", d, "-host", "localhost", "-port", "0"}, "-port 0: want 1 to 65535"},
		{[]string{"broker", "-dir", d, "-host", "localhost", "-prefix", "alpr/#"}, "-prefix"},
		{[]string{"broker", "-dir", d, "-host", "localhost", "-install-dir", "etc"}, "want an absolute path"},
		{[]string{"broker", "-dir", d, "-host", "localhost", "-hq", "hq-a,unit-1"}, `-hq: prov: HQ name "unit-1"`},
		{[]string{"acl", "-dir", d, "-hq", "hq-a/b"}, "-hq"},
		{[]string{"hq-key", "-dir", d}, "-epoch 0: want 1 to 4294967295"},
		{[]string{"hq-key", "-dir", d, "-epoch", "4294967296"}, "-epoch 4294967296"},
		{[]string{"hq-key", "-dir", d, "-epoch", "1", "-suite", "x25519"}, `suite "x25519"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.args, &stdout, &stderr); got != 2 {
				t.Fatalf("got exit status %d, want 2 (stderr %q)", got, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", stderr.String(), tt.want)
			}
		})
	}
	if _, err := os.Stat(d); !os.IsNotExist(err) {
		t.Errorf("usage errors created %s (stat: %v)", d, err)
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := run([]string{"-h"}, &stdout, &stderr); got != 0 {
		t.Fatalf("-h: got exit status %d, want 0", got)
	}
	for _, cmd := range commands() {
		if !strings.Contains(stdout.String(), "  "+cmd.Name+" ") {
			t.Errorf("-h does not list %s:\n%s", cmd.Name, stdout.String())
		}
		stderr.Reset()
		if got := run([]string{cmd.Name, "-h"}, &stdout, &stderr); got != 0 {
			t.Errorf("%s -h: got exit status %d, want 0", cmd.Name, got)
		}
		if !strings.Contains(stderr.String(), "usage: "+cmd.Synopsis) {
			t.Errorf("%s -h: got %q, want the usage line", cmd.Name, stderr.String())
		}
	}
}

// TestProvision runs the commands in order, as an administrator would, and
// checks the unit's bundle against package envelope: a message sealed with
// the bundle's keys opens with HQ's.
func TestProvision(t *testing.T) {
	d := filepath.Join(t.TempDir(), "prov")
	runOK(t, "ca", "-dir", d, "-name", "Example PD ALPR CA")
	out := runOK(t, "signing-key", "-dir", d)
	keyID := regexp.MustCompile(`key id ([0-9a-f]{16})\n`).FindStringSubmatch(out)
	if keyID == nil {
		t.Fatalf("signing-key output %q: want a line \"key id <16 hex digits>\"", out)
	}
	runOK(t, "hq-key", "-dir", d, "-epoch", "7")
	runOK(t, "hq-key", "-dir", d, "-epoch", "8", "-suite", "mlkem768-p256")
	runOK(t, "hq", "-dir", d, "-name", "hq-main")
	runOK(t, "broker", "-dir", d, "-host", "mqtt.example.org,10.0.0.5", "-port", "8884")
	out = runOK(t, "device", "-dir", d, "-name", "unit-0042")
	if !strings.Contains(out, "HQ signing key id "+keyID[1]) {
		t.Errorf("device output %q: want the signing key id %s", out, keyID[1])
	}

	bundle := filepath.Join(d, prov.DevicesFolder, "unit-0042")
	names, err := prov.VerifyBundle(bundle)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ca.crt", "device.crt", "device.key", "hq-epoch-7.pub", "hq-epoch-8.pub", "hq-signing.pub"}
	if !slices.Equal(names, want) {
		t.Errorf("bundle: got %v, want %v", names, want)
	}
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if _, id, err := prov.ParseSigningPublicKey(read(filepath.Join(bundle, prov.SigningPublic))); err != nil || id != keyID[1] {
		t.Errorf("bundle signing key: id %q, %v; want %s", id, err, keyID[1])
	}
	for _, epoch := range []uint32{7, 8} {
		hqPub, err := envelope.ParseHQPublicKey(read(filepath.Join(bundle, prov.HQEpochFile(epoch))))
		if err != nil {
			t.Fatal(err)
		}
		signer, err := envelope.ParseDeviceKey(read(filepath.Join(bundle, prov.DeviceKey)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := envelope.NewSealer(envelope.SealerConfig{Device: "unit-0042", Epoch: epoch, HQKey: hqPub, Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		msg, err := s.Seal(envelope.KindRead, 1, []byte(`{"plate":"7ABC123"}`))
		if err != nil {
			t.Fatal(err)
		}
		hqPriv, err := envelope.ParseHQPrivateKey(read(filepath.Join(d, prov.HQKeysFolder, prov.HQKeyName(epoch)+".key")))
		if err != nil {
			t.Fatal(err)
		}
		devPub, err := envelope.ParseDevicePublicKey(read(filepath.Join(bundle, prov.DeviceCert)))
		if err != nil {
			t.Fatal(err)
		}
		_, payload, err := envelope.NewOpener(envelope.HQKeyMap{epoch: hqPriv}, envelope.DeviceKeyMap{"unit-0042": devPub}).Open(msg)
		if err != nil || string(payload) != `{"plate":"7ABC123"}` {
			t.Errorf("epoch %d: open: got %q, %v; want the sealed payload", epoch, payload, err)
		}
	}
	conf := string(read(filepath.Join(d, prov.BrokerFolder, prov.BrokerConfFile)))
	if !strings.Contains(conf, "listener 8884\n") || !strings.Contains(conf, "cafile "+prov.DefaultInstallDir+"/ca.crt\n") {
		t.Errorf("alpr.conf:\n%s\nwant listener 8884 and files in %s", conf, prov.DefaultInstallDir)
	}
	if acl := string(read(filepath.Join(d, prov.BrokerFolder, prov.ACLFile))); !strings.Contains(acl, "\nuser hq-main\n") {
		t.Errorf("acl lacks hq-main:\n%s", acl)
	}
}

func TestRefusals(t *testing.T) {
	d := filepath.Join(t.TempDir(), "prov")
	runOK(t, "ca", "-dir", d, "-name", "Example PD ALPR CA")
	caKey, _ := os.ReadFile(filepath.Join(d, prov.CAFolder, prov.CAKey))
	fail := func(want string, args ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if got := run(args, &stdout, &stderr); got != 1 {
			t.Fatalf("alprprov %s: got exit status %d, want 1 (stderr %q)", strings.Join(args, " "), got, stderr.String())
		}
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("alprprov %s: got stderr %q, want it to contain %q", strings.Join(args, " "), stderr.String(), want)
		}
	}
	fail("-force replaces it", "ca", "-dir", d, "-name", "Another CA")
	if now, _ := os.ReadFile(filepath.Join(d, prov.CAFolder, prov.CAKey)); !bytes.Equal(now, caKey) {
		t.Error("the refused ca command changed the CA key")
	}
	fail("run 'alprprov signing-key' first", "device", "-dir", d, "-name", "unit-1")
	runOK(t, "signing-key", "-dir", d)
	fail("run 'alprprov hq-key' first", "device", "-dir", d, "-name", "unit-1")
	out := runOK(t, "device", "-dir", d, "-name", "unit-1", "-partial")
	if !strings.Contains(out, "warning: no HQ encryption key") {
		t.Errorf("partial bundle: got %q, want a warning", out)
	}
	fail("-force replaces it", "device", "-dir", d, "-name", "unit-1", "-partial")
	runOK(t, "device", "-dir", d, "-name", "unit-1", "-partial", "-force")
	fail("no HQ identity", "broker", "-dir", d, "-host", "localhost")
	fail("create the broker first", "acl", "-dir", d, "-hq", "hq-main")
	fail("load CA", "hq", "-dir", d, "-ca", filepath.Join(d, "nowhere"), "-name", "hq-main")
	runOK(t, "ca", "-dir", d, "-name", "Another CA", "-force")
	if now, _ := os.ReadFile(filepath.Join(d, prov.CAFolder, prov.CAKey)); bytes.Equal(now, caKey) {
		t.Error("ca -force kept the old CA key")
	}
}
