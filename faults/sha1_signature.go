package faults

import (
	"crypto/x509"
	"fmt"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// SHA1Signature has node's authority sign its certificate with SHA-1
// (ECDSA or RSA, after the authority's key): a certificate from an old CA
// or an old script. Go refuses SHA-1 signatures ("insecure algorithm"),
// as Java does for certificates chaining to its own CAs
// (jdk.certpath.disabledAlgorithms: SHA1 jdkCA).
//
// Only a CA-signed certificate will do: the signature of a self-signed
// certificate pinned in a truststore is never checked (it is the trust
// anchor itself), so the scenario would test nothing.
//
// Params: node (required).
type SHA1Signature struct{ node string }

func init() { RegisterMutation("sha1-signature", newSHA1Signature) }

func newSHA1Signature(p Params) (Mutation, error) {
	node, err := nodeParam("sha1-signature", p)
	if err != nil {
		return nil, err
	}
	return &SHA1Signature{node: node}, nil
}

func (m *SHA1Signature) Name() string { return m.node + "'s certificate is signed with SHA-1" }

func (m *SHA1Signature) Mutate(spec *topology.Spec) error {
	n, err := certNode("sha1-signature", spec, m.node)
	if err != nil {
		return err
	}
	if n.TLS.Identity.SelfSigned {
		return fmt.Errorf("faults: sha1-signature: %s's certificate is self-signed: its peers pin it, and a pinned certificate's own signature is never checked; use a CA-signed node (identity: {issuer: …})", m.node)
	}
	_, err = requireChecks("sha1-signature", spec, m.node, anyCheck)
	return err
}

func (m *SHA1Signature) MutatePKI(o *pki.Options, spec *topology.Spec) error {
	alg := x509.ECDSAWithSHA1
	issuer := spec.Node(m.node).TLS.Identity.Issuer
	switch o.Authorities[issuer].KeyType {
	case pki.RSA2048, pki.RSA3072, pki.RSA4096:
		alg = x509.SHA1WithRSA
	case pki.Ed25519:
		return fmt.Errorf("faults: sha1-signature: %s's authority %s has an Ed25519 key, which has no SHA-1 signature; give it an RSA or ECDSA key", m.node, issuer)
	}
	return setNodeOptions(o, m.node, func(no *pki.NodeOptions) error {
		if no.SignatureAlgorithm != 0 {
			return clash("sha1-signature", m.node, "signature algorithm")
		}
		no.SignatureAlgorithm = alg
		return nil
	})
}
