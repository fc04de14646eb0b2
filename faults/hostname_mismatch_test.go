package faults

import (
	"slices"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestHostnameMismatch(t *testing.T) {
	m := mutate(t, tutorialSpec(), t.TempDir(), time.Time{}, mustMutation(t, "hostname-mismatch", Params{"node": "hub"}))
	c := m.mat.Nodes["hub"].Cert
	if !slices.Equal(c.DNSNames, []string{"hub.example.com"}) || len(c.IPAddresses) != 0 {
		t.Errorf("SANs = %v %v, want only hub.example.com", c.DNSNames, c.IPAddresses)
	}
	if c.Subject.CommonName != "hub" {
		t.Errorf("CN = %q; only the SANs should change", c.Subject.CommonName)
	}
	if c.VerifyHostname("hub") == nil || c.VerifyHostname("127.0.0.1") == nil {
		t.Error("the certificate still matches hub or 127.0.0.1")
	}
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassHostnameMismatch, tlsconf.ClassBadCertificate)

	m = mutate(t, tutorialSpec(), t.TempDir(), time.Time{}, mustMutation(t, "hostname-mismatch", Params{"node": "hub", "name": "broker01.corp.example"}))
	if got := m.mat.Nodes["hub"].Cert.DNSNames; !slices.Equal(got, []string{"broker01.corp.example"}) {
		t.Errorf("DNSNames = %v", got)
	}
}
