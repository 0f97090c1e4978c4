package prov

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// File and folder names of a provisioning directory (see the package
// documentation).
const (
	CAFolder      = "ca"
	SigningFolder = "signing"
	HQKeysFolder  = "hq-keys"
	HQFolder      = "hq"
	BrokerFolder  = "broker"
	DevicesFolder = "devices"

	CACert         = "ca.crt"
	CAKey          = "ca.key"
	SigningPrivate = "hq-signing.key"
	SigningPublic  = "hq-signing.pub"
	ClientCert     = "client.crt"
	ClientKey      = "client.key"
	ServerCert     = "server.crt"
	ServerKey      = "server.key"
	BrokerConfFile = "alpr.conf"
	ACLFile        = "acl"
	DeviceCert     = "device.crt"
	DeviceKey      = "device.key"
	Manifest       = "SHA256SUMS"
)

// DefaultInstallDir is where the broker's files go on the broker's host.
const DefaultInstallDir = "/etc/mosquitto/alpr"

// Dir is a provisioning directory. Its methods write what the package
// documentation lists; each refuses to replace a folder that holds a private
// key unless Force is set.
type Dir struct {
	Root  string           // the provisioning directory
	CA    string           // the CA's folder; "" means Root/ca
	Force bool             // replace existing keys
	Now   func() time.Time // nil means time.Now
}

func (d Dir) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d Dir) caDir() string {
	if d.CA != "" {
		return d.CA
	}
	return filepath.Join(d.Root, CAFolder)
}

// CreateCA creates the department CA in Root/ca (not the CA field's folder,
// which names the CA to issue from).
func (d Dir) CreateCA(name string, validity time.Duration) (*Identity, error) {
	ca, err := NewCA(name, d.now(), validity)
	if err != nil {
		return nil, err
	}
	key, err := ca.KeyPEM()
	if err != nil {
		return nil, err
	}
	err = writeDir(filepath.Join(d.Root, CAFolder), []file{
		{CAKey, key, modeSecret},
		{CACert, ca.CertPEM(), modePublic},
	}, d.Force)
	if err != nil {
		return nil, err
	}
	return ca, nil
}

// LoadCA reads the CA's certificate and key from its folder.
func (d Dir) LoadCA() (*Identity, error) {
	dir := d.caDir()
	certPEM, err := os.ReadFile(filepath.Join(dir, CACert))
	if err != nil {
		return nil, fmt.Errorf("prov: load CA: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, CAKey))
	if err != nil {
		return nil, fmt.Errorf("prov: load CA: %w", err)
	}
	ca, err := ParseIdentity(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("prov: load CA from %s: %w", dir, err)
	}
	if !ca.Cert.IsCA {
		return nil, fmt.Errorf("prov: load CA from %s: %q is not a CA certificate", dir, ca.Cert.Subject.CommonName)
	}
	return ca, nil
}

// CreateHQ issues the client certificate of HQ subscriber name (see
// ValidHQ) into Root/hq/<name>, with the CA certificate.
func (d Dir) CreateHQ(name string, validity time.Duration) (*Identity, error) {
	if err := ValidHQ(name); err != nil {
		return nil, err
	}
	dir := filepath.Join(d.Root, HQFolder, name)
	if err := d.refuseExisting(dir); err != nil {
		return nil, err
	}
	id, files, err := d.issued(ClientKey, ClientCert, func(ca *Identity) (*Identity, error) {
		return ca.IssueHQ(name, d.now(), validity)
	})
	if err != nil {
		return nil, err
	}
	if err := writeDir(dir, files, d.Force); err != nil {
		return nil, err
	}
	return id, nil
}

// issued loads the CA, issues an identity with it, and returns the identity
// and the files of its key, its certificate and the CA's certificate, named
// keyName, certName and CACert.
func (d Dir) issued(keyName, certName string, issue func(ca *Identity) (*Identity, error)) (*Identity, []file, error) {
	ca, err := d.LoadCA()
	if err != nil {
		return nil, nil, err
	}
	id, err := issue(ca)
	if err != nil {
		return nil, nil, err
	}
	key, err := id.KeyPEM()
	if err != nil {
		return nil, nil, err
	}
	return id, []file{
		{keyName, key, modeSecret},
		{certName, id.CertPEM(), modePublic},
		{CACert, ca.CertPEM(), modePublic},
	}, nil
}

// HQNames returns the HQ identities issued in Root/hq (the CNs of their
// certificates), sorted.
func (d Dir) HQNames() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(d.Root, HQFolder))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("prov: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d.Root, HQFolder, e.Name(), ClientCert))
		if err != nil {
			return nil, fmt.Errorf("prov: HQ identity %s: %w", e.Name(), err)
		}
		cert, err := ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("prov: HQ identity %s: %w", e.Name(), err)
		}
		if err := ValidHQ(cert.Subject.CommonName); err != nil {
			return nil, err
		}
		names = append(names, cert.Subject.CommonName)
	}
	slices.Sort(names)
	return names, nil
}

// BrokerOptions configures CreateBroker.
type BrokerOptions struct {
	Hosts      []string      // DNS names and IP addresses the units dial
	Port       int           // TLS listener port, e.g. 8883
	Prefix     string        // topic prefix; "" means DefaultPrefix
	HQ         []string      // HQ identities; nil means HQNames
	InstallDir string        // where the files go on the broker; "" means DefaultInstallDir
	Validity   time.Duration // of the server certificate
}

// CreateBroker issues the broker's server certificate into Root/broker and
// writes there the CA certificate, the Mosquitto configuration (alpr.conf,
// naming the files as they will be in InstallDir) and the ACL.
func (d Dir) CreateBroker(o BrokerOptions) (*Identity, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.InstallDir == "" {
		o.InstallDir = DefaultInstallDir
	}
	dir := filepath.Join(d.Root, BrokerFolder)
	if err := d.refuseExisting(dir); err != nil {
		return nil, err
	}
	acl, err := d.acl(o.Prefix, o.HQ)
	if err != nil {
		return nil, err
	}
	conf, err := BrokerConf{
		Port:     o.Port,
		CAFile:   filepath.Join(o.InstallDir, CACert),
		CertFile: filepath.Join(o.InstallDir, ServerCert),
		KeyFile:  filepath.Join(o.InstallDir, ServerKey),
		ACLFile:  filepath.Join(o.InstallDir, ACLFile),
	}.Text()
	if err != nil {
		return nil, err
	}
	id, files, err := d.issued(ServerKey, ServerCert, func(ca *Identity) (*Identity, error) {
		return ca.IssueBroker(o.Hosts, d.now(), o.Validity)
	})
	if err != nil {
		return nil, err
	}
	files = append(files, file{BrokerConfFile, []byte(conf), modePublic}, file{ACLFile, []byte(acl), modePublic})
	if err := writeDir(dir, files, d.Force); err != nil {
		return nil, err
	}
	return id, nil
}

// WriteACL rewrites Root/broker/acl (after an HQ identity was added) and
// returns its path; hq nil means HQNames. The broker rereads it on SIGHUP.
func (d Dir) WriteACL(prefix string, hq []string) (string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	acl, err := d.acl(prefix, hq)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(d.Root, BrokerFolder)
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("prov: write ACL: %w (create the broker first)", err)
	}
	path := filepath.Join(dir, ACLFile)
	return path, writeFile(path, []byte(acl), modePublic)
}

func (d Dir) acl(prefix string, hq []string) (string, error) {
	if hq == nil {
		var err error
		if hq, err = d.HQNames(); err != nil {
			return "", err
		}
	}
	if len(hq) == 0 {
		return "", fmt.Errorf("prov: ACL: no HQ identity in %s: create one first (alprprov hq)", filepath.Join(d.Root, HQFolder))
	}
	return ACL(prefix, hq)
}

// CreateSigningKey creates HQ's Ed25519 signing key in Root/signing.
func (d Dir) CreateSigningKey() (*SigningKey, error) {
	dir := filepath.Join(d.Root, SigningFolder)
	if err := d.refuseExisting(dir); err != nil {
		return nil, err
	}
	k, err := NewSigningKey()
	if err != nil {
		return nil, err
	}
	priv, err := k.PrivatePEM()
	if err != nil {
		return nil, err
	}
	pub, err := k.PublicPEM()
	if err != nil {
		return nil, err
	}
	err = writeDir(dir, []file{
		{SigningPrivate, priv, modeSecret},
		{SigningPublic, pub, modePublic},
	}, d.Force)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// HQKeyName returns the base name of epoch's HQ key files in Root/hq-keys:
// epoch-<N>.key and epoch-<N>.pub.
func HQKeyName(epoch uint32) string { return "epoch-" + strconv.FormatUint(uint64(epoch), 10) }

// WriteHQKey stores HQ's encryption key pair of epoch in Root/hq-keys as
// epoch-<N>.key (mode 0600) and epoch-<N>.pub, refusing to replace an
// existing epoch-<N>.key unless Force is set. priv and pub are the key's
// encodings (package alprd/firmware/envelope).
func (d Dir) WriteHQKey(epoch uint32, priv, pub []byte) error {
	dir := filepath.Join(d.Root, HQKeysFolder)
	if err := os.MkdirAll(dir, modeDir); err != nil {
		return fmt.Errorf("prov: %w", err)
	}
	keyPath := filepath.Join(dir, HQKeyName(epoch)+".key")
	if _, err := os.Lstat(keyPath); err == nil && !d.Force {
		return fmt.Errorf("prov: %s exists (-force replaces it): %w", keyPath, fs.ErrExist)
	}
	// The public key first: a private key without its public half is the
	// worse leftover of a crash.
	if err := writeFile(filepath.Join(dir, HQKeyName(epoch)+".pub"), pub, modePublic); err != nil {
		return err
	}
	return writeFile(keyPath, priv, modeSecret)
}

// HQPublicKey is one epoch's HQ public key file.
type HQPublicKey struct {
	Epoch uint32
	Data  []byte
}

// HQPublicKeys returns the HQ public keys in Root/hq-keys, by epoch.
func (d Dir) HQPublicKeys() ([]HQPublicKey, error) {
	dir := filepath.Join(d.Root, HQKeysFolder)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("prov: %w", err)
	}
	var keys []HQPublicKey
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "epoch-")
		num, ok2 := strings.CutSuffix(num, ".pub")
		if !ok || !ok2 {
			continue
		}
		n, err := strconv.ParseUint(num, 10, 32)
		if err != nil || HQKeyName(uint32(n))+".pub" != e.Name() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("prov: %w", err)
		}
		keys = append(keys, HQPublicKey{Epoch: uint32(n), Data: data})
	}
	slices.SortFunc(keys, func(a, b HQPublicKey) int { return int(int64(a.Epoch) - int64(b.Epoch)) })
	return keys, nil
}

// refuseExisting is the early check, before any key is generated, of what
// writeDir checks again when it renames.
func (d Dir) refuseExisting(dir string) error {
	if _, err := os.Lstat(dir); err == nil && !d.Force {
		return fmt.Errorf("prov: %s exists (it holds a private key; -force replaces it): %w", dir, fs.ErrExist)
	}
	return nil
}
