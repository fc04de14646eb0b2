package faults

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// diagnoseLab is a real broker "hub" with a mutual-TLS listener and a
// plaintext one, and the PKI of three identities: hub, a client it trusts,
// and a stranger nobody trusts.
type diagnoseLab struct {
	m             *pki.Material
	tlsAddr, addr string
}

func newDiagnoseLab(t *testing.T) *diagnoseLab {
	t.Helper()
	spec := &topology.Spec{Name: "diagnose", Nodes: []*topology.Node{
		{Name: "hub", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"client"}}},
		{Name: "client", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"hub"}}},
		{Name: "stranger", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"stranger"}}},
	}}
	m, err := pki.Generate(spec, t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub := m.Nodes["hub"]
	b := brokertest.NewBroker(t, broker.Options{
		Name:   "hub",
		Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true", "stomp://127.0.0.1:0"},
		TLS:    tlsconf.Files{CertFile: hub.CertFile, KeyFile: hub.KeyFile, TrustFile: hub.TrustFile},
	})
	ls := b.Listeners()
	return &diagnoseLab{m: m, tlsAddr: ls[0].Addr, addr: ls[1].Addr}
}

// client is the options of a correctly configured client; cases break one
// thing each.
func (l *diagnoseLab) client() DiagnoseOptions {
	c := l.m.Nodes["client"]
	return DiagnoseOptions{Addr: l.tlsAddr, ServerName: "hub", CAFile: c.TrustFile, CertFile: c.CertFile, KeyFile: c.KeyFile}
}

func TestDiagnose(t *testing.T) {
	l := newDiagnoseLab(t)
	stranger, client := l.m.Nodes["stranger"], l.m.Nodes["client"]
	tests := []struct {
		name     string
		change   func(o *DiagnoseOptions)
		class    tlsconf.Class
		stage    string
		remote   bool
		findings string // a text one finding must contain
	}{
		{"all well", func(o *DiagnoseOptions) {}, tlsconf.ClassNone, "ok", false, ""},
		{"server not in truststore", func(o *DiagnoseOptions) { o.CAFile = stranger.TrustFile },
			tlsconf.ClassUnknownAuthority, "handshake", false, "chain ends at CN=hub"},
		{"hostname mismatch", func(o *DiagnoseOptions) { o.ServerName = "broker.example.com" },
			tlsconf.ClassHostnameMismatch, "handshake", false, `not for "broker.example.com"`},
		// TLS 1.3: the handshake succeeds, the refusal is the first read.
		{"no client certificate", func(o *DiagnoseOptions) { o.CertFile, o.KeyFile = "", "" },
			tlsconf.ClassClientCertRequired, "first read", true, "none was given"},
		{"no client certificate, TLS 1.2", func(o *DiagnoseOptions) {
			o.CertFile, o.KeyFile = "", ""
			o.MaxVersion = tls.VersionTLS12
		}, tlsconf.ClassClientCertRequired, "handshake", true, ""},
		{"client certificate the server does not trust", func(o *DiagnoseOptions) { o.CertFile, o.KeyFile = stranger.CertFile, stranger.KeyFile },
			tlsconf.ClassUnknownAuthority, "first read", true, "refused after seeing this client's certificate"},
		{"TLS client on the plaintext port", func(o *DiagnoseOptions) { o.Addr = l.addr },
			tlsconf.ClassNotTLS, "handshake", false, ""},
		{"TLS 1.1 only", func(o *DiagnoseOptions) { o.MinVersion, o.MaxVersion = tls.VersionTLS11, tls.VersionTLS11 },
			tlsconf.ClassProtocolVersion, "handshake", true, ""},
		{"keystore with the wrong password", func(o *DiagnoseOptions) {
			o.CertFile, o.KeyFile = "", ""
			o.KeyStore, o.KeyStorePassword = client.KeyStoreP12File, "wrong"
		}, tlsconf.ClassBadKeystorePassword, "load", false, ""},
		{"JKS keystore and truststore", func(o *DiagnoseOptions) {
			o.CertFile, o.KeyFile, o.CAFile = "", "", ""
			o.KeyStore, o.KeyStorePassword = client.KeyStoreJKSFile, l.m.StorePassword
			o.TrustStore, o.TrustStorePassword = client.TrustStoreJKSFile, l.m.StorePassword
		}, tlsconf.ClassNone, "ok", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := l.client()
			tt.change(&o)
			d, err := Diagnose(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if d.Class != tt.class || d.Stage != tt.stage || d.Remote != tt.remote {
				t.Fatalf("class %q stage %q remote %v (err %v), want %q %q %v", d.Class, d.Stage, d.Remote, d.Err, tt.class, tt.stage, tt.remote)
			}
			if tt.findings != "" && !strings.Contains(strings.Join(d.Findings, "\n"), tt.findings) {
				t.Errorf("findings lack %q:\n%s", tt.findings, strings.Join(d.Findings, "\n"))
			}
			if tt.stage == "ok" {
				if !strings.HasPrefix(d.Reply, "CONNECTED") || d.Version != "TLS 1.3" || !d.Requested || len(d.PeerChain) == 0 {
					t.Errorf("reply %q version %q requested %v chain %d", d.Reply, d.Version, d.Requested, len(d.PeerChain))
				}
				if d.PeerChain[0].Subject.CommonName != "hub" {
					t.Errorf("peer %s", d.PeerChain[0].Subject)
				}
			}
		})
	}
}

func TestDiagnoseOptionErrors(t *testing.T) {
	for _, o := range []DiagnoseOptions{
		{Addr: "nohost"},
		{Addr: "a:1", CAFile: "x", TrustStore: "y"},
		{Addr: "a:1", CertFile: "x"},
		{Addr: "a:1", CertFile: "x", KeyFile: "y", KeyStore: "z"},
		{Addr: "a:1", MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS12},
		{Addr: "a:1", Probe: "http"},
	} {
		if _, err := Diagnose(context.Background(), o); err == nil || !strings.HasPrefix(err.Error(), "faults: diagnose: ") {
			t.Errorf("%+v: err %v", o, err)
		}
	}
}
