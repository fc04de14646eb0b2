package tlsconf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// certSpec describes one test certificate. Zero validity means "valid now".
type certSpec struct {
	cn        string
	dns       []string
	ips       []net.IP
	notBefore time.Time
	notAfter  time.Time
	eku       []x509.ExtKeyUsage
	isCA      bool
	issuer    *testCert // nil: self-signed
	key       crypto.Signer
}

type testCert struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
	keyPEM  []byte
}

var serial int64

func newKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCert(t *testing.T, s certSpec) *testCert {
	t.Helper()
	key := s.key
	if key == nil {
		key = newKey(t)
	}
	now := time.Now()
	if s.notBefore.IsZero() {
		s.notBefore = now.Add(-time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = now.Add(24 * time.Hour)
	}
	if s.eku == nil {
		s.eku = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: s.cn},
		DNSNames:              s.dns,
		IPAddresses:           s.ips,
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           s.eku,
		BasicConstraintsValid: true,
		IsCA:                  s.isCA,
	}
	if s.isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	parent, signer := tmpl, key
	if s.issuer != nil {
		parent, signer = s.issuer.cert, s.issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}),
	}
}

// node is a self-signed node certificate as in the classic tutorial.
func node(t *testing.T, name string) *testCert {
	t.Helper()
	return newCert(t, certSpec{cn: name, dns: []string{name, "localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// material writes id (may be nil) and the trusted certificates to files and
// loads them, so every handshake test also goes through Load.
func material(t *testing.T, id *testCert, trusted ...*testCert) *Material {
	t.Helper()
	dir := t.TempDir()
	var f Files
	if id != nil {
		f.CertFile = writeFile(t, dir, "cert.pem", id.certPEM)
		f.KeyFile = writeFile(t, dir, "key.pem", id.keyPEM)
	}
	var bundle []byte
	for _, c := range trusted {
		bundle = append(bundle, c.certPEM...)
	}
	f.TrustFile = writeFile(t, dir, "trust.pem", bundle)
	m, err := Load(f)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return m
}
