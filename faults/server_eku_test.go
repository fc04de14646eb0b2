package faults

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestServerEKU(t *testing.T) {
	m := mutate(t, tutorialSpec(), t.TempDir(), time.Time{}, mustMutation(t, "server-eku", Params{"node": "server-a"}))
	if got := m.mat.Nodes["server-a"].Cert.ExtKeyUsage; !slices.Equal(got, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("ExtKeyUsage = %v, want serverAuth only", got)
	}
	// The hub refuses it as a client certificate; a Go server's alert for
	// that is the vague "bad certificate".
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassBadCertificate, tlsconf.ClassBadKeyUsage)
}
