package faults

import (
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// WeakKey gives node's certificate a 1024-bit RSA key: one Go's verifier
// still accepts (it refuses only keys under 1024 bits) but a
// minimum-key-size policy refuses. Every node's tlsconf policy requires
// 2048 bits unless its sslContext says minRSAKeyBits, as Java's
// jdk.certpath.disabledAlgorithms does in hardened set-ups, so the peer
// refuses the certificate as weak-key and sends bad_certificate.
//
// Params: node (required).
type WeakKey struct{ node string }

func init() { RegisterMutation("weak-key", newWeakKey) }

func newWeakKey(p Params) (Mutation, error) {
	node, err := nodeParam("weak-key", p)
	if err != nil {
		return nil, err
	}
	return &WeakKey{node: node}, nil
}

func (m *WeakKey) Name() string { return m.node + "'s certificate has a 1024-bit RSA key" }

func (m *WeakKey) Mutate(spec *topology.Spec) error {
	if _, err := certNode("weak-key", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("weak-key", spec, m.node, anyCheck)
	return err
}

func (m *WeakKey) MutatePKI(o *pki.Options, _ *topology.Spec) error {
	return setNodeOptions(o, m.node, func(no *pki.NodeOptions) error {
		if no.KeyType != "" {
			return clash("weak-key", m.node, "key type")
		}
		no.KeyType = pki.RSA1024
		return nil
	})
}
