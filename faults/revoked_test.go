package faults

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestRevoked(t *testing.T) {
	dir := t.TempDir()
	m := mutate(t, caSpec(), dir, time.Time{}, mustMutation(t, "revoked", Params{"node": "server-a"}))
	// Every node with tls loads one CRL file holding every authority's
	// list, and root's lists server-a's serial.
	bundle := filepath.Join(dir, crlBundle)
	for name, f := range m.files {
		if f.CRLFile != bundle {
			t.Errorf("%s's CRLFile = %q, want %s", name, f.CRLFile, bundle)
		}
	}
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "X509 CRL" {
		t.Fatalf("%s holds no CRL", bundle)
	}
	crl, err := x509.ParseRevocationList(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(m.mat.Authorities["root"].Cert); err != nil {
		t.Errorf("the CRL is not root's: %v", err)
	}
	serial := m.mat.Nodes["server-a"].Cert.SerialNumber
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(serial) != 0 {
		t.Errorf("CRL entries = %v, want server-a's serial %X", crl.RevokedCertificateEntries, serial)
	}
	// The hub checks the CRL and says revoked; server-a hears only "bad
	// certificate".
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassBadCertificate, tlsconf.ClassRevoked)
	// server-b is untouched.
	wantClasses(t, m, "server-b", "hub", tlsconf.ClassNone, tlsconf.ClassNone)

	// The hub revoked: the spokes check it as they dial.
	m = mutate(t, caSpec(), t.TempDir(), time.Time{}, mustMutation(t, "revoked", Params{"node": "hub"}))
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassRevoked, tlsconf.ClassBadCertificate)
}

func TestRevokedTwoNodes(t *testing.T) {
	// The bundle is rewritten on each revocation, so both are in it.
	m := mutate(t, caSpec(), t.TempDir(), time.Time{},
		mustMutation(t, "revoked", Params{"node": "server-a"}), mustMutation(t, "revoked", Params{"node": "server-b"}))
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassBadCertificate, tlsconf.ClassRevoked)
	wantClasses(t, m, "server-b", "hub", tlsconf.ClassBadCertificate, tlsconf.ClassRevoked)
}
