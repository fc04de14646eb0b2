package faults

import (
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestExpired(t *testing.T) {
	at := time.Now()
	m := mutate(t, tutorialSpec(), t.TempDir(), at, mustMutation(t, "expired", Params{"node": "hub", "ago": "2h"}))
	c := m.mat.Nodes["hub"].Cert
	if want := at.Add(-2 * time.Hour).Truncate(time.Second); !c.NotAfter.Equal(want) {
		t.Errorf("NotAfter = %s, want %s", c.NotAfter, want)
	}
	// The window keeps its usual length (24h), ending in the past.
	if d := c.NotAfter.Sub(c.NotBefore); d != 24*time.Hour {
		t.Errorf("validity = %s, want 24h", d)
	}
	if other := m.mat.Nodes["server-a"].Cert; !other.NotAfter.After(at) {
		t.Errorf("server-a's certificate changed too: NotAfter %s", other.NotAfter)
	}
	// Go checks the expiry of a pinned self-signed certificate; a Go
	// server names it in its alert.
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassExpired, tlsconf.ClassBadCertificate)

	// As a client certificate: the hub refuses it and says why.
	m = mutate(t, tutorialSpec(), t.TempDir(), time.Time{}, mustMutation(t, "expired", Params{"node": "server-a"}))
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassExpired, tlsconf.ClassExpired)
}
