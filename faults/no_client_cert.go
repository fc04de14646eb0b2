package faults

import (
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// NoClientCert leaves node without a certificate to present, keeping its
// truststore: a connector configured with a truststore only (ActiveMQ: an
// <sslContext> with trustStore and no keyStore). Against a listener with
// needClientAuth the server refuses it; under TLS 1.3 the client's
// handshake completes first and the refusal ("certificate required")
// arrives on its first read.
//
// Params: node (required).
type NoClientCert struct{ node string }

func init() { RegisterMutation("no-client-cert", newNoClientCert) }

func newNoClientCert(p Params) (Mutation, error) {
	node, err := nodeParam("no-client-cert", p)
	if err != nil {
		return nil, err
	}
	return &NoClientCert{node: node}, nil
}

func (m *NoClientCert) Name() string { return m.node + " has no client certificate" }

func (m *NoClientCert) Mutate(spec *topology.Spec) error {
	if _, err := certNode("no-client-cert", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("no-client-cert", spec, m.node, clientCheck)
	return err
}

func (m *NoClientCert) MutateMaterial(_ *pki.Material, files map[string]tlsconf.Files, _ *topology.Spec) error {
	f := files[m.node]
	f.CertFile, f.KeyFile = "", ""
	if f.SSLContext != nil && f.SSLContext.KeyStore != nil {
		c := *f.SSLContext
		ks := *c.KeyStore
		ks.KeyStore, ks.KeyStorePassword, ks.KeyPassword = "", "", ""
		c.KeyStore = &ks
		f.SSLContext = &c
	}
	files[m.node] = f
	return nil
}
