package prov

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Validity periods of the certificates, unless the caller gives another.
const (
	CAValidity     = 20 * 365 * 24 * time.Hour
	DeviceValidity = 2 * 365 * 24 * time.Hour
	HQValidity     = 2 * 365 * 24 * time.Hour
	BrokerValidity = 2 * 365 * 24 * time.Hour
)

// Backdate is how long before its issue a certificate becomes valid, so that
// a peer whose clock runs a little slow accepts it.
const Backdate = time.Hour

// Identity is a certificate and its private key.
type Identity struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA returns a self-signed CA: CN name, path length 0 (it signs leaf
// certificates only), key usage certificate and CRL signing.
func NewCA(name string, now time.Time, validity time.Duration) (*Identity, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("prov: CA name: empty")
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	return create(tmpl, nil, now, validity)
}

// IssueDevice returns a unit's client certificate: CN id (see ValidDevice),
// extended key usage client authentication only.
func (ca *Identity) IssueDevice(id string, now time.Time, validity time.Duration) (*Identity, error) {
	if err := ValidDevice(id); err != nil {
		return nil, err
	}
	return ca.issueClient(id, now, validity)
}

// IssueHQ returns an HQ subscriber's client certificate: CN name (see
// ValidHQ), extended key usage client authentication only.
func (ca *Identity) IssueHQ(name string, now time.Time, validity time.Duration) (*Identity, error) {
	if err := ValidHQ(name); err != nil {
		return nil, err
	}
	return ca.issueClient(name, now, validity)
}

func (ca *Identity) issueClient(cn string, now time.Time, validity time.Duration) (*Identity, error) {
	return create(&x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}, ca, now, validity)
}

// IssueBroker returns the broker's server certificate for hosts (DNS names
// or IP addresses, each a subject alternative name; the first is also the
// CN), extended key usage server authentication only, so that it cannot
// serve as a client certificate.
func (ca *Identity) IssueBroker(hosts []string, now time.Time, validity time.Duration) (*Identity, error) {
	if len(hosts) == 0 {
		return nil, errors.New("prov: broker: no host names")
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: hosts[0]},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if validHost(h) {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		} else {
			return nil, fmt.Errorf("prov: broker host %q: neither an IP address nor a DNS name", h)
		}
	}
	return create(tmpl, ca, now, validity)
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// create fills in the serial, validity and key of tmpl and signs it by
// parent (nil: self-signed). A child's validity ends no later than its
// parent's.
func create(tmpl *x509.Certificate, parent *Identity, now time.Time, validity time.Duration) (*Identity, error) {
	if validity <= 0 {
		return nil, fmt.Errorf("prov: validity %v: want a positive duration", validity)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("prov: generate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-Backdate).UTC().Truncate(time.Second)
	tmpl.NotAfter = now.Add(validity).UTC().Truncate(time.Second)
	signerCert, signerKey := tmpl, crypto.Signer(key)
	if parent != nil {
		if !parent.Cert.IsCA {
			return nil, fmt.Errorf("prov: issue %q: %q is not a CA", tmpl.Subject.CommonName, parent.Cert.Subject.CommonName)
		}
		if !now.Before(parent.Cert.NotAfter) {
			return nil, fmt.Errorf("prov: issue %q: CA %q expired on %s", tmpl.Subject.CommonName, parent.Cert.Subject.CommonName, parent.Cert.NotAfter.Format(time.DateOnly))
		}
		if tmpl.NotAfter.After(parent.Cert.NotAfter) {
			tmpl.NotAfter = parent.Cert.NotAfter
		}
		signerCert, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signerKey)
	if err != nil {
		return nil, fmt.Errorf("prov: sign certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("prov: parse certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return &Identity{Cert: cert, Key: key}, nil
}

// randomSerial returns a random positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("prov: serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// CertPEM returns the certificate as PEM ("CERTIFICATE").
func (id *Identity) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Raw})
}

// KeyPEM returns the private key as PKCS#8 PEM ("PRIVATE KEY").
func (id *Identity) KeyPEM() ([]byte, error) {
	return MarshalPrivateKey(id.Key)
}

// MarshalPrivateKey returns key as PKCS#8 PEM ("PRIVATE KEY").
func MarshalPrivateKey(key any) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("prov: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseIdentity parses a PEM certificate and its PKCS#8 PEM ECDSA key, and
// checks that they belong together.
func ParseIdentity(certPEM, keyPEM []byte) (*Identity, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(keyPEM)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New(`prov: private key: want a PEM "PRIVATE KEY" block`)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("prov: private key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("prov: private key: %T, want ECDSA", k)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("prov: private key does not match the certificate %q", cert.Subject.CommonName)
	}
	return &Identity{Cert: cert, Key: key}, nil
}

// ParseCertificate parses the first PEM "CERTIFICATE" block of data.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New(`prov: certificate: want a PEM "CERTIFICATE" block`)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("prov: certificate: %w", err)
	}
	return cert, nil
}
