package prov

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newDir(t *testing.T) Dir {
	t.Helper()
	d := Dir{Root: filepath.Join(t.TempDir(), "prov"), Now: func() time.Time { return now }}
	if _, err := d.CreateCA("Example PD ALPR CA", CAValidity); err != nil {
		t.Fatal(err)
	}
	return d
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// leftovers lists temporary or replaced folders and files under root.
func leftovers(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(e.Name(), tempPrefix) || strings.HasPrefix(e.Name(), oldPrefix) {
			found = append(found, path)
		}
		return nil
	})
	return found
}

func TestModes(t *testing.T) {
	// A strict umask must not take the read bits off public files.
	defer syscall.Umask(syscall.Umask(0o077))
	d := newDir(t)
	if _, err := d.CreateHQ("hq-main", HQValidity); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSigningKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateBroker(BrokerOptions{Hosts: []string{"localhost"}, Port: 8883, Validity: BrokerValidity}); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteHQKey(1, []byte("private"), []byte("public")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateDevice("unit-1", DeviceValidity); err != nil {
		t.Fatal(err)
	}
	secret := map[string]bool{CAKey: true, ClientKey: true, ServerKey: true, SigningPrivate: true, DeviceKey: true, "epoch-1.key": true}
	n := 0
	err := filepath.WalkDir(d.Root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		want := modePublic
		switch {
		case e.IsDir():
			want = modeDir
		case secret[e.Name()]:
			want = modeSecret
			n++
		}
		if got := mode(t, path); got != want {
			t.Errorf("%s: got mode %v, want %v", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("got %d private keys, want 6", n)
	}
	if l := leftovers(t, d.Root); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

// Every command refuses to replace a folder that holds a private key unless
// Force is set, and then replaces it whole.
func TestNoOverwrite(t *testing.T) {
	d := newDir(t)
	if _, err := d.CreateHQ("hq-main", HQValidity); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSigningKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateBroker(BrokerOptions{Hosts: []string{"localhost"}, Port: 8883, Validity: BrokerValidity}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateDevice("unit-1", DeviceValidity); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteHQKey(3, []byte("private 3"), []byte("public 3")); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		key  string
		do   func(Dir) error
	}{
		{"ca", filepath.Join(CAFolder, CAKey), func(d Dir) error { _, err := d.CreateCA("Another CA", CAValidity); return err }},
		{"hq", filepath.Join(HQFolder, "hq-main", ClientKey), func(d Dir) error { _, err := d.CreateHQ("hq-main", HQValidity); return err }},
		{"signing", filepath.Join(SigningFolder, SigningPrivate), func(d Dir) error { _, err := d.CreateSigningKey(); return err }},
		{"broker", filepath.Join(BrokerFolder, ServerKey), func(d Dir) error {
			_, err := d.CreateBroker(BrokerOptions{Hosts: []string{"localhost"}, Port: 8883, Validity: BrokerValidity})
			return err
		}},
		{"device", filepath.Join(DevicesFolder, "unit-1", DeviceKey), func(d Dir) error { _, err := d.CreateDevice("unit-1", DeviceValidity); return err }},
		{"hq-key", filepath.Join(HQKeysFolder, "epoch-3.key"), func(d Dir) error {
			return d.WriteHQKey(3, []byte("private 3 again"), []byte("public 3 again"))
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			path := filepath.Join(d.Root, s.key)
			before := read(t, path)
			if err := s.do(d); !errors.Is(err, fs.ErrExist) {
				t.Fatalf("without Force: got %v, want an error wrapping fs.ErrExist", err)
			}
			if !bytes.Equal(read(t, path), before) {
				t.Fatal("without Force: the key changed")
			}
			forced := d
			forced.Force = true
			if err := s.do(forced); err != nil {
				t.Fatalf("with Force: %v", err)
			}
			if bytes.Equal(read(t, path), before) {
				t.Error("with Force: the key did not change")
			}
		})
	}
	if l := leftovers(t, d.Root); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

func TestDeviceBundle(t *testing.T) {
	d := newDir(t)
	sk, err := d.CreateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []uint32{2, 10} {
		if err := d.WriteHQKey(e, []byte("priv"), []byte("pub of epoch "+HQKeyName(e))); err != nil {
			t.Fatal(err)
		}
	}
	b, err := d.CreateDevice("unit-0042", DeviceValidity)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{CACert, DeviceCert, DeviceKey, "hq-epoch-10.pub", "hq-epoch-2.pub", SigningPublic}
	if !slices.Equal(b.Files, wantFiles) {
		t.Errorf("files: got %v, want %v", b.Files, wantFiles)
	}
	if !slices.Equal(b.Epochs, []uint32{2, 10}) {
		t.Errorf("epochs: got %v, want [2 10]", b.Epochs)
	}
	if b.SigningKeyID != sk.KeyID() {
		t.Errorf("signing key id: got %q, want %q", b.SigningKeyID, sk.KeyID())
	}
	if got, want := b.Dir, filepath.Join(d.Root, DevicesFolder, "unit-0042"); got != want {
		t.Errorf("dir: got %s, want %s", got, want)
	}
	names, err := VerifyBundle(b.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, wantFiles) {
		t.Errorf("VerifyBundle: got %v, want %v", names, wantFiles)
	}
	id, err := ParseIdentity(read(t, filepath.Join(b.Dir, DeviceCert)), read(t, filepath.Join(b.Dir, DeviceKey)))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := d.LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	if id.Cert.Subject.CommonName != "unit-0042" || id.Cert.CheckSignatureFrom(ca.Cert) != nil {
		t.Errorf("bundle certificate: CN %q, want unit-0042 signed by the CA", id.Cert.Subject.CommonName)
	}
	if !bytes.Equal(read(t, filepath.Join(b.Dir, CACert)), ca.CertPEM()) {
		t.Error("bundle CA certificate differs from the CA's")
	}
	if got := string(read(t, filepath.Join(b.Dir, "hq-epoch-10.pub"))); got != "pub of epoch epoch-10" {
		t.Errorf("hq-epoch-10.pub: got %q", got)
	}
	if _, err := d.CreateDevice("hq-main", DeviceValidity); err == nil {
		t.Error("device named hq-main: got no error")
	}
}

func TestVerifyBundleDetects(t *testing.T) {
	tests := []struct {
		name   string
		damage func(dir string) error
	}{
		{"changed file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, DeviceCert), []byte("x"), 0o644)
		}},
		{"missing file", func(dir string) error { return os.Remove(filepath.Join(dir, CACert)) }},
		{"extra file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "extra.pem"), []byte("x"), 0o644)
		}},
		{"no manifest", func(dir string) error { return os.Remove(filepath.Join(dir, Manifest)) }},
		{"path in manifest", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, Manifest), []byte(strings.Repeat("0", 64)+"  ../ca/ca.key\n"), 0o644)
		}},
		{"bad line", func(dir string) error {
			f, err := os.OpenFile(filepath.Join(dir, Manifest), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("not a line\n")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t)
			b, err := d.CreateDevice("unit-1", DeviceValidity)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyBundle(b.Dir); err != nil {
				t.Fatalf("before the damage: %v", err)
			}
			if err := tt.damage(b.Dir); err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyBundle(b.Dir); err == nil {
				t.Error("got no error")
			}
		})
	}
}

func TestBrokerAndACL(t *testing.T) {
	d := newDir(t)
	if _, err := d.CreateBroker(BrokerOptions{Hosts: []string{"localhost"}, Port: 8883, Validity: BrokerValidity}); err == nil || !strings.Contains(err.Error(), "no HQ identity") {
		t.Errorf("broker without HQ identities: got %v, want an error", err)
	}
	for _, name := range []string{"hq-main", "hq-audit"} {
		if _, err := d.CreateHQ(name, HQValidity); err != nil {
			t.Fatal(err)
		}
	}
	if names, err := d.HQNames(); err != nil || !slices.Equal(names, []string{"hq-audit", "hq-main"}) {
		t.Errorf("HQNames: got %v, %v, want [hq-audit hq-main]", names, err)
	}
	if _, err := d.WriteACL("", nil); err == nil {
		t.Error("WriteACL before the broker: got no error")
	}
	_, err := d.CreateBroker(BrokerOptions{Hosts: []string{"mqtt.example.org"}, Port: 8884, InstallDir: "/srv/mq", Validity: BrokerValidity})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(d.Root, BrokerFolder)
	conf := string(read(t, filepath.Join(dir, BrokerConfFile)))
	for _, want := range []string{"listener 8884\n", "cafile /srv/mq/ca.crt\n", "certfile /srv/mq/server.crt\n", "keyfile /srv/mq/server.key\n", "acl_file /srv/mq/acl\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("alpr.conf lacks %q:\n%s", want, conf)
		}
	}
	wantACL, _ := ACL(DefaultPrefix, []string{"hq-audit", "hq-main"})
	if got := string(read(t, filepath.Join(dir, ACLFile))); got != wantACL {
		t.Errorf("acl:\n%s\nwant:\n%s", got, wantACL)
	}
	if _, err := ParseIdentity(read(t, filepath.Join(dir, ServerCert)), read(t, filepath.Join(dir, ServerKey))); err != nil {
		t.Errorf("server certificate and key: %v", err)
	}

	// A new HQ identity: the ACL is rewritten, the broker's key kept.
	key := read(t, filepath.Join(dir, ServerKey))
	if _, err := d.CreateHQ("hq-backup", HQValidity); err != nil {
		t.Fatal(err)
	}
	path, err := d.WriteACL("alpr/v2", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantACL, _ = ACL("alpr/v2", []string{"hq-audit", "hq-backup", "hq-main"})
	if got := string(read(t, path)); got != wantACL {
		t.Errorf("rewritten acl:\n%s\nwant:\n%s", got, wantACL)
	}
	if !bytes.Equal(read(t, filepath.Join(dir, ServerKey)), key) {
		t.Error("WriteACL changed the broker's key")
	}
	if l := leftovers(t, d.Root); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

func TestLoadCA(t *testing.T) {
	d := newDir(t)
	ca, err := d.LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	if ca.Cert.Subject.CommonName != "Example PD ALPR CA" {
		t.Errorf("CN: got %q", ca.Cert.Subject.CommonName)
	}
	// A CA kept elsewhere (e.g. offline media) through the CA field.
	elsewhere := filepath.Join(t.TempDir(), "offline-ca")
	if err := os.Rename(filepath.Join(d.Root, CAFolder), elsewhere); err != nil {
		t.Fatal(err)
	}
	if _, err := d.LoadCA(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadCA without the CA: got %v, want fs.ErrNotExist", err)
	}
	d.CA = elsewhere
	if _, err := d.CreateHQ("hq-main", HQValidity); err != nil {
		t.Errorf("CreateHQ with the CA elsewhere: %v", err)
	}
	// A leaf certificate and key in place of the CA.
	leaf := Dir{Root: d.Root, CA: filepath.Join(d.Root, HQFolder, "hq-main")}
	os.Rename(filepath.Join(leaf.CA, ClientCert), filepath.Join(leaf.CA, CACert))
	os.Rename(filepath.Join(leaf.CA, ClientKey), filepath.Join(leaf.CA, CAKey))
	if _, err := leaf.LoadCA(); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("LoadCA of a leaf: got %v, want an error", err)
	}
}
