package faults

import (
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func TestNotYetValid(t *testing.T) {
	at := time.Now()
	m := mutate(t, tutorialSpec(), t.TempDir(), at, mustMutation(t, "not-yet-valid", Params{"node": "hub"}))
	c := m.mat.Nodes["hub"].Cert
	if want := at.Add(time.Hour).Truncate(time.Second); !c.NotBefore.Equal(want) {
		t.Errorf("NotBefore = %s, want %s", c.NotBefore, want)
	}
	if d := c.NotAfter.Sub(c.NotBefore); d != 24*time.Hour {
		t.Errorf("validity = %s, want 24h", d)
	}
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassNotYetValid, tlsconf.ClassBadCertificate)

	// A Go server sends "expired certificate" for both ends of the
	// window, so the spoke hears expired while the hub knows better.
	m = mutate(t, tutorialSpec(), t.TempDir(), time.Time{}, mustMutation(t, "not-yet-valid", Params{"node": "server-a"}))
	wantClasses(t, m, "server-a", "hub", tlsconf.ClassExpired, tlsconf.ClassNotYetValid)
}
