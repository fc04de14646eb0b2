package tlsconf

import (
	"crypto/tls"
	"slices"
	"testing"
)

func TestPrincipal(t *testing.T) {
	must := mustConfig(t)
	hub, spoke := node(t, "hub"), node(t, "server-a")
	o := pair(t, must(ServerConfig(material(t, hub, spoke), WantClientCert)), must(ClientConfig(material(t, spoke, hub), "hub")))
	if o.server != nil {
		t.Fatal(o.server)
	}
	dn, sans := Principal(o.serverState)
	if dn != "CN=server-a" || !slices.Equal(sans, []string{"server-a", "localhost", "127.0.0.1", "::1"}) {
		t.Errorf("Principal = %q, %q", dn, sans)
	}
	// No certificate, no principal.
	o = pair(t, must(ServerConfig(material(t, hub, spoke), WantClientCert)), must(ClientConfig(material(t, nil, hub), "hub")))
	if dn, sans := Principal(o.serverState); dn != "" || sans != nil {
		t.Errorf("anonymous client: Principal = %q, %q", dn, sans)
	}
	// A certificate nobody verified names no one.
	unverified := tls.ConnectionState{PeerCertificates: o.serverState.PeerCertificates}
	unverified.PeerCertificates = append(unverified.PeerCertificates, spoke.cert)
	if dn, _ := Principal(unverified); dn != "" {
		t.Errorf("unverified certificate: Principal = %q", dn)
	}
}
