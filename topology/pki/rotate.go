package pki

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/brokerlab/brokerlab/topology"
)

// Reissue renews node's identity in place: a new key and a new
// certificate from the same authority, with the default names and usages,
// valid from now, written over the node's cert.pem, key.pem and keystores
// (each file replaced whole by a rename, so a reader never sees half of
// one). The node's truststores are left alone, so peers that trust its
// authority trust the new certificate at once: a certificate rotation.
//
// A self-signed node cannot be rotated this way: its peers pin the old
// certificate, and every one of their truststores would have to change
// with it.
func (m *Material) Reissue(spec *topology.Spec, node string) (*x509.Certificate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := spec.Node(node)
	nf := m.Nodes[node]
	switch {
	case n == nil || nf == nil || nf.Cert == nil:
		return nil, fmt.Errorf("pki: reissue: %q is not a node with a certificate", node)
	case nf.Issuer == "":
		return nil, fmt.Errorf("pki: reissue: %s's certificate is self-signed and pinned by its peers; a rotation would need every peer's truststore changed too: rotate a CA-signed node", node)
	}
	af := m.Authorities[nf.Issuer]
	caKey, err := readKey(af.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("pki: reissue %s: %w", node, err)
	}
	validity := m.validity
	if validity == 0 {
		validity = 24 * time.Hour
	}
	g := &generator{
		o: Options{Now: time.Now(), Validity: validity, StorePassword: m.StorePassword, KeyPassword: m.KeyPassword,
			Nodes: map[string]NodeOptions{node: {KeyType: nf.KeyType}}},
		m: m, spec: spec, keys: map[string]crypto.Signer{nf.Issuer: caKey},
	}
	// leaf writes the files at the node's usual paths; the trust side of
	// NodeFiles is kept.
	fresh := &NodeFiles{TrustedNames: nf.TrustedNames}
	if err := g.leaf(n, fresh); err != nil {
		return nil, err
	}
	repl := *nf
	repl.Cert, repl.Chain, repl.Issuer, repl.KeyType = fresh.Cert, fresh.Chain, fresh.Issuer, fresh.KeyType
	m.Nodes[node] = &repl
	return fresh.Cert, nil
}
