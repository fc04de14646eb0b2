package pki

import (
	"path/filepath"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// storePasswords are the passwords node's stores are written with: its
// sslContext's where it gives them, else Options'. A keyPassword without a
// keyStorePassword protects the key only; keytool would do the same.
func (g *generator) storePasswords(node string) (store, key, trust string) {
	store, key, trust = g.o.StorePassword, g.o.KeyPassword, g.o.StorePassword
	if g.spec == nil {
		return store, key, trust
	}
	n := g.spec.Node(node)
	if n == nil || n.TLS == nil || n.TLS.SSL == nil {
		return store, key, trust
	}
	s := n.TLS.SSL
	if s.KeyStorePassword != "" {
		store = s.KeyStorePassword
		if g.o.KeyPassword == g.o.StorePassword {
			key = store
		}
	}
	if s.KeyPassword != "" {
		key = s.KeyPassword
	}
	if s.TrustStorePassword != "" {
		trust = s.TrustStorePassword
	}
	return store, key, trust
}

// sslContext is what node n loads besides PEM file names: the stores its
// tls.format picks (or its sslContext names), with their passwords, and its
// key policy. nil for a PEM node with the default policy.
func (g *generator) sslContext(spec *topology.Spec, n *topology.Node) *tlsconf.SSLContext {
	s := n.TLS.SSL
	if s == nil {
		return nil
	}
	c := &tlsconf.SSLContext{Policy: tlsconf.Policy{MinRSAKeyBits: s.MinRSAKeyBits}}
	if !s.UsesStores() {
		return c
	}
	nf := g.m.Nodes[n.Name]
	store, key, trust := g.storePasswords(n.Name)
	ks := &tlsconf.KeyStore{KeyStorePassword: store, TrustStorePassword: trust}
	if key != store {
		ks.KeyPassword = key
	}
	switch s.Format {
	case "jks":
		ks.KeyStore, ks.TrustStore = nf.KeyStoreJKSFile, nf.TrustStoreJKSFile
	case "p12":
		ks.KeyStore, ks.TrustStore = nf.KeyStoreP12File, nf.TrustStoreP12File
	}
	// Stores the topology names are the user's own, beside the topology.
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) || spec.File == "" {
			return p
		}
		return filepath.Join(filepath.Dir(spec.File), p)
	}
	if s.KeyStore != "" {
		ks.KeyStore = rel(s.KeyStore)
		ks.KeyStorePassword, ks.KeyPassword = s.KeyStorePassword, s.KeyPassword
	}
	if s.TrustStore != "" {
		ks.TrustStore = rel(s.TrustStore)
		ks.TrustStorePassword = s.TrustStorePassword
	}
	c.KeyStore = ks
	return c
}
