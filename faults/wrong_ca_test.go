package faults

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestWrongCASelfSigned(t *testing.T) {
	dir := t.TempDir()
	m := mutate(t, tutorialSpec(), dir, time.Time{}, mustMutation(t, "wrong-ca", Params{"node": "hub"}))
	fresh := m.mat.Nodes["hub"].Cert
	pinned := readCerts(m.files["server-a"].TrustFile)
	var old *x509.Certificate
	for _, c := range pinned {
		if c.Subject.CommonName == "hub" {
			old = c
		}
	}
	if old == nil {
		t.Fatal("server-a's truststore no longer pins hub")
	}
	// A new key, self-signed, with the same names, usages and dates: only
	// trust can fail.
	if bytes.Equal(old.RawSubjectPublicKeyInfo, fresh.RawSubjectPublicKeyInfo) {
		t.Error("hub's new certificate has the pinned key")
	}
	if !bytes.Equal(fresh.RawIssuer, fresh.RawSubject) {
		t.Errorf("hub's new certificate is issued by %s, want self-signed", fresh.Issuer)
	}
	if !slices.Equal(fresh.DNSNames, old.DNSNames) || !slices.Equal(fresh.ExtKeyUsage, old.ExtKeyUsage) || !fresh.NotAfter.Equal(old.NotAfter) {
		t.Errorf("the new certificate differs in more than its key: %v %v %s", fresh.DNSNames, fresh.ExtKeyUsage, fresh.NotAfter)
	}
	// The node loads the new files; its truststore is the old one.
	f := m.files["hub"]
	if !strings.HasPrefix(f.CertFile, filepath.Join(dir, wrongCADir)) || f.TrustFile != filepath.Join(dir, "hub", "trust.pem") {
		t.Errorf("hub's files = %+v", f)
	}
	if got := readCerts(f.CertFile); len(got) != 1 || !got[0].Equal(fresh) {
		t.Error("hub's certificate file does not hold the new certificate")
	}
	if _, err := os.Stat(m.mat.Nodes["hub"].KeyStoreP12File); err != nil {
		t.Errorf("the new identity's keystore: %v", err)
	}
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassUnknownAuthority, tlsconf.ClassBadCertificate)
}

func TestWrongCAIssuedByAnotherAuthority(t *testing.T) {
	m := mutate(t, caSpec(), t.TempDir(), time.Time{}, mustMutation(t, "wrong-ca", Params{"node": "hub"}))
	hub := m.mat.Nodes["hub"]
	other := m.mat.Authorities["other-ca"]
	if other == nil || hub.Issuer != "other-ca" || hub.Cert.CheckSignatureFrom(other.Cert) != nil {
		t.Fatalf("hub's certificate is not issued by other-ca: issuer %s", hub.Cert.Issuer)
	}
	if hub.Cert.CheckSignatureFrom(m.mat.Authorities["root"].Cert) == nil {
		t.Error("root still signed hub's certificate")
	}
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassUnknownAuthority, tlsconf.ClassBadCertificate)

	// As a client certificate: the hub does not trust the spoke's new
	// issuer and says so in its alert.
	m = mutate(t, caSpec(), t.TempDir(), time.Time{}, mustMutation(t, "wrong-ca", Params{"node": "server-a", "issuer": "acme"}))
	if m.mat.Nodes["server-a"].Issuer != "acme" {
		t.Errorf("issuer = %q, want acme", m.mat.Nodes["server-a"].Issuer)
	}
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassUnknownAuthority, tlsconf.ClassUnknownAuthority)
}

func TestWrongCATwice(t *testing.T) {
	ms := []Mutation{mustMutation(t, "wrong-ca", Params{"node": "hub"}), mustMutation(t, "wrong-ca", Params{"node": "hub"})}
	spec := tutorialSpec()
	dir := t.TempDir()
	m := mutate(t, spec, dir, time.Time{})
	err := ApplyMaterialMutations(m.mat, m.files, m.spec, ms)
	if err == nil || !strings.Contains(err.Error(), "another mutation already changed hub's identity") {
		t.Errorf("got %v", err)
	}
}
