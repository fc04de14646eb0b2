package faults

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestClientEKU(t *testing.T) {
	m := mutate(t, tutorialSpec(), t.TempDir(), time.Time{}, mustMutation(t, "client-eku", Params{"node": "hub"}))
	if got := m.mat.Nodes["hub"].Cert.ExtKeyUsage; !slices.Equal(got, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("ExtKeyUsage = %v, want clientAuth only", got)
	}
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassBadKeyUsage, tlsconf.ClassBadCertificate)
}
