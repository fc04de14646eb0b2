package main

import (
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// The binary against a real broker: one success and one case per class the
// issue names for diagnose.
func TestDiagnoseCommand(t *testing.T) {
	spec := &topology.Spec{Name: "diagnose", Nodes: []*topology.Node{
		{Name: "hub", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"client"}}},
		{Name: "client", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"hub"}}},
		{Name: "stranger", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"stranger"}}},
	}}
	m, err := pki.Generate(spec, t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub, client, stranger := m.Nodes["hub"], m.Nodes["client"], m.Nodes["stranger"]
	b := brokertest.NewBroker(t, broker.Options{
		Name:   "hub",
		Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true", "stomp://127.0.0.1:0"},
		TLS:    tlsconf.Files{CertFile: hub.CertFile, KeyFile: hub.KeyFile, TrustFile: hub.TrustFile},
	})
	tlsAddr, plain := b.Listeners()[0].Addr, b.Listeners()[1].Addr
	good := []string{"--server-name", "hub", "--ca", client.TrustFile, "--cert", client.CertFile, "--key", client.KeyFile}

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"ok", append([]string{tlsAddr}, good...), exitOK,
			[]string{"agreed:     TLS 1.3", "subject:  CN=hub", "SHA-256:  ", "answered:   CONNECTED", "result: ok"}},
		{"keystores", []string{tlsAddr, "--server-name", "hub", "--truststore", client.TrustStoreJKSFile, "--truststore-password", m.StorePassword,
			"--keystore", client.KeyStoreP12File, "--keystore-password", m.StorePassword}, exitOK, []string{"result: ok"}},
		{"unknown authority", []string{tlsAddr, "--server-name", "hub", "--ca", stranger.TrustFile, "--cert", client.CertFile, "--key", client.KeyFile}, exitFail,
			[]string{"result: FAILED at handshake: unknown-authority", "verified:   NO", "subject:  CN=hub", "Fix: Import the peer's certificate"}},
		{"hostname mismatch", []string{tlsAddr, "--server-name", "broker.example.com", "--ca", client.TrustFile, "--cert", client.CertFile, "--key", client.KeyFile}, exitFail,
			[]string{"FAILED at handshake: hostname-mismatch", `not for "broker.example.com"`}},
		{"client cert required", []string{tlsAddr, "--server-name", "hub", "--ca", client.TrustFile}, exitFail,
			[]string{"identity:   none", "asked for a client certificate", "FAILED at first read: client-cert-required", "sent this as a TLS alert"}},
		{"not tls", append([]string{plain}, good...), exitFail, []string{"FAILED at handshake: not-tls"}},
		{"protocol version", append([]string{tlsAddr, "--tls-version", "1.1"}, good...), exitFail, []string{"FAILED at handshake: protocol-version", "offered:    TLS 1.1"}},
		{"wrong keystore password", []string{tlsAddr, "--server-name", "hub", "--ca", client.TrustFile, "--keystore", client.KeyStoreJKSFile, "--keystore-password", "not-it"}, exitFail,
			[]string{"FAILED at load: bad-keystore-password"}},
		{"bad version list", []string{tlsAddr, "--tls-version", "1.1,1.3"}, exitUsage, nil},
		{"no address", nil, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := brokerlab(t, append([]string{"diagnose"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
			if strings.Contains(r.stdout+r.stderr, m.StorePassword) || strings.Contains(r.stdout+r.stderr, "not-it") {
				t.Errorf("a password was printed:\n%s%s", r.stdout, r.stderr)
			}
		})
	}
}
