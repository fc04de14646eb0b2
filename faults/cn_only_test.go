package faults

import (
	"crypto/x509"
	"encoding/asn1"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestCNOnly(t *testing.T) {
	m := mutate(t, tutorialSpec(), t.TempDir(), time.Time{}, mustMutation(t, "cn-only", Params{"node": "hub"}))
	c := m.mat.Nodes["hub"].Cert
	if c.Subject.CommonName != "hub" {
		t.Errorf("CN = %q, want hub", c.Subject.CommonName)
	}
	// No subjectAltName extension at all, as keytool -genkey without -ext
	// makes it — not an empty one.
	san := asn1.ObjectIdentifier{2, 5, 29, 17}
	for _, e := range c.Extensions {
		if e.Id.Equal(san) {
			t.Fatalf("the certificate has a subjectAltName extension: %v %v", c.DNSNames, c.IPAddresses)
		}
	}
	err := c.VerifyHostname("hub")
	if _, ok := err.(x509.HostnameError); !ok || !strings.Contains(err.Error(), "legacy Common Name") {
		t.Errorf("VerifyHostname(hub) = %v, want Go's legacy Common Name refusal", err)
	}
	cerr, _ := handshake(t, m.files, "server-a", "hub")
	if !strings.Contains(cerr.Error(), "relies on legacy Common Name field") {
		t.Errorf("server-a saw %v", cerr)
	}
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassHostnameMismatch, tlsconf.ClassBadCertificate)
}
