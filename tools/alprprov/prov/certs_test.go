package prov

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newCA(t *testing.T) *Identity {
	t.Helper()
	ca, err := NewCA("Example PD ALPR CA", now, CAValidity)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func verify(ca, leaf *Identity, at time.Time, usage x509.ExtKeyUsage, dnsName string) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{usage}, DNSName: dnsName})
	return err
}

func TestCA(t *testing.T) {
	ca := newCA(t)
	c := ca.Cert
	if c.Subject.CommonName != "Example PD ALPR CA" {
		t.Errorf("CN: got %q, want %q", c.Subject.CommonName, "Example PD ALPR CA")
	}
	if !c.IsCA || !c.BasicConstraintsValid {
		t.Errorf("basic constraints: got CA %v valid %v, want a CA", c.IsCA, c.BasicConstraintsValid)
	}
	if c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("path length: got %d (zero set %v), want 0", c.MaxPathLen, c.MaxPathLenZero)
	}
	if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("key usage: got %b, want cert sign and CRL sign", c.KeyUsage)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("self-signature: %v", err)
	}
	if got, want := c.NotAfter, now.Add(CAValidity); !got.Equal(want) {
		t.Errorf("not after: got %v, want %v", got, want)
	}
	if k, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("public key: got %T, want ECDSA P-256", c.PublicKey)
	}
	if len(c.SubjectKeyId) == 0 {
		t.Error("CA has no subject key id")
	}
	if _, err := NewCA(" ", now, CAValidity); err == nil {
		t.Error("NewCA with an empty name: got no error")
	}
}

func TestClientCerts(t *testing.T) {
	ca := newCA(t)
	dev, err := ca.IssueDevice("unit-0042", now, DeviceValidity)
	if err != nil {
		t.Fatal(err)
	}
	hq, err := ca.IssueHQ("hq-main", now, HQValidity)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id *Identity
		cn string
	}{{dev, "unit-0042"}, {hq, "hq-main"}} {
		c := tt.id.Cert
		if c.Subject.CommonName != tt.cn {
			t.Errorf("CN: got %q, want %q", c.Subject.CommonName, tt.cn)
		}
		if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
			t.Errorf("%s: extended key usage: got %v, want client auth only", tt.cn, c.ExtKeyUsage)
		}
		if c.KeyUsage != x509.KeyUsageDigitalSignature {
			t.Errorf("%s: key usage: got %b, want digital signature", tt.cn, c.KeyUsage)
		}
		if c.IsCA {
			t.Errorf("%s: is a CA", tt.cn)
		}
		if !c.NotBefore.Equal(now.Add(-Backdate)) || !c.NotAfter.Equal(now.Add(2*365*24*time.Hour)) {
			t.Errorf("%s: validity: got %v to %v, want %v to %v", tt.cn, c.NotBefore, c.NotAfter, now.Add(-Backdate), now.Add(2*365*24*time.Hour))
		}
		if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
			t.Errorf("%s: serial %x: want positive, at most 128 bits", tt.cn, c.SerialNumber)
		}
		if !slices.Equal(c.AuthorityKeyId, ca.Cert.SubjectKeyId) {
			t.Errorf("%s: authority key id %x, want the CA's %x", tt.cn, c.AuthorityKeyId, ca.Cert.SubjectKeyId)
		}
		if err := verify(ca, tt.id, now, x509.ExtKeyUsageClientAuth, ""); err != nil {
			t.Errorf("%s: chain for client auth: %v", tt.cn, err)
		}
		if err := verify(ca, tt.id, now, x509.ExtKeyUsageServerAuth, ""); err == nil {
			t.Errorf("%s: chain verifies for server auth, want a client-only certificate", tt.cn)
		}
		if err := verify(ca, tt.id, c.NotAfter.Add(time.Second), x509.ExtKeyUsageClientAuth, ""); err == nil {
			t.Errorf("%s: verifies after its expiry", tt.cn)
		}
		if err := verify(newCA(t), tt.id, now, x509.ExtKeyUsageClientAuth, ""); err == nil {
			t.Errorf("%s: verifies under another CA", tt.cn)
		}
	}
	if dev.Cert.SerialNumber.Cmp(hq.Cert.SerialNumber) == 0 {
		t.Errorf("two certificates share serial %x", dev.Cert.SerialNumber)
	}
}

func TestIssueRefusesNames(t *testing.T) {
	ca := newCA(t)
	for _, id := range []string{"", "hq-main", "a/b", "a+", "#", "HQ-x"} {
		if _, err := ca.IssueDevice(id, now, DeviceValidity); err == nil {
			t.Errorf("IssueDevice(%q): got no error", id)
		}
	}
	for _, name := range []string{"", "main", "unit-1", "hq-", "hq-a/b"} {
		if _, err := ca.IssueHQ(name, now, HQValidity); err == nil {
			t.Errorf("IssueHQ(%q): got no error", name)
		}
	}
}

func TestBrokerCert(t *testing.T) {
	ca := newCA(t)
	b, err := ca.IssueBroker([]string{"mqtt.example.org", "localhost", "10.0.0.5", "::1"}, now, BrokerValidity)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Cert
	if !slices.Equal(c.DNSNames, []string{"mqtt.example.org", "localhost"}) {
		t.Errorf("DNS names: got %v", c.DNSNames)
	}
	if len(c.IPAddresses) != 2 || !c.IPAddresses[0].Equal(net.ParseIP("10.0.0.5")) || !c.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("IP addresses: got %v, want [10.0.0.5 ::1]", c.IPAddresses)
	}
	if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("extended key usage: got %v, want server auth only", c.ExtKeyUsage)
	}
	for _, host := range []string{"mqtt.example.org", "localhost", "10.0.0.5"} {
		if err := verify(ca, b, now, x509.ExtKeyUsageServerAuth, host); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if err := verify(ca, b, now, x509.ExtKeyUsageServerAuth, "evil.example.org"); err == nil {
		t.Error("verifies for a host it was not issued for")
	}
	if err := verify(ca, b, now, x509.ExtKeyUsageClientAuth, ""); err == nil {
		t.Error("broker certificate verifies as a client certificate")
	}
	for _, hosts := range [][]string{nil, {"bad host"}, {"-x.org"}, {"a..b"}} {
		if _, err := ca.IssueBroker(hosts, now, BrokerValidity); err == nil {
			t.Errorf("IssueBroker(%q): got no error", hosts)
		}
	}
}

func TestIssueLimits(t *testing.T) {
	ca, err := NewCA("short CA", now, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ca.IssueDevice("unit-1", now, DeviceValidity)
	if err != nil {
		t.Fatal(err)
	}
	if !dev.Cert.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("not after: got %v, want the CA's %v", dev.Cert.NotAfter, ca.Cert.NotAfter)
	}
	if _, err := ca.IssueDevice("unit-1", now.Add(31*24*time.Hour), DeviceValidity); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("issue from an expired CA: got %v, want an error saying it expired", err)
	}
	if _, err := dev.IssueDevice("unit-2", now, DeviceValidity); err == nil {
		t.Error("a unit's certificate issued another: got no error")
	}
	if _, err := ca.IssueDevice("unit-1", now, 0); err == nil {
		t.Error("validity 0: got no error")
	}
}

func TestParseIdentity(t *testing.T) {
	ca := newCA(t)
	dev, err := ca.IssueDevice("unit-1", now, DeviceValidity)
	if err != nil {
		t.Fatal(err)
	}
	devKey, err := dev.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(devKey), "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("key PEM: got %.30q, want a PKCS#8 PRIVATE KEY block", devKey)
	}
	got, err := ParseIdentity(dev.CertPEM(), devKey)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Key.Equal(dev.Key) || !got.Cert.Equal(dev.Cert) {
		t.Error("parsed identity differs from the written one")
	}
	caKey, _ := ca.KeyPEM()
	if _, err := ParseIdentity(dev.CertPEM(), caKey); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched key: got %v, want an error", err)
	}
	if _, err := ParseIdentity(devKey, devKey); err == nil {
		t.Error("key as certificate: got no error")
	}
	if _, err := ParseIdentity(dev.CertPEM(), dev.CertPEM()); err == nil {
		t.Error("certificate as key: got no error")
	}
	sk, _ := NewSigningKey()
	skPEM, _ := sk.PrivatePEM()
	if _, err := ParseIdentity(dev.CertPEM(), skPEM); err == nil || !strings.Contains(err.Error(), "want ECDSA") {
		t.Errorf("Ed25519 key as ECDSA key: got %v, want an error", err)
	}
}
