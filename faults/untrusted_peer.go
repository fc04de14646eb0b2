package faults

import (
	"fmt"
	"slices"

	"github.com/brokerlab/brokerlab/topology"
)

// UntrustedPeer removes peer from node's trust list: the classic mistake of
// forgetting one `keytool -import` on one machine. Peer may name a node
// (its self-signed certificate) or an authority.
//
// Params: node, peer (both required).
type UntrustedPeer struct {
	node, peer string
}

func init() { RegisterMutation("untrusted-peer", newUntrustedPeer) }

func newUntrustedPeer(p Params) (Mutation, error) {
	const kind = "untrusted-peer"
	if err := p.Check(kind, "node", "peer"); err != nil {
		return nil, err
	}
	if err := p.Require(kind, "node", "peer"); err != nil {
		return nil, err
	}
	m := &UntrustedPeer{}
	var err error
	if m.node, err = p.String(kind, "node", ""); err != nil {
		return nil, err
	}
	if m.peer, err = p.String(kind, "peer", ""); err != nil {
		return nil, err
	}
	if m.node == "" || m.peer == "" {
		return nil, fmt.Errorf("faults: %s: fields \"node\" and \"peer\" must not be empty", kind)
	}
	return m, nil
}

func (m *UntrustedPeer) Name() string { return m.node + "'s truststore lacks " + m.peer }

func (m *UntrustedPeer) Mutate(spec *topology.Spec) error {
	n := spec.Node(m.node)
	if n == nil {
		return fmt.Errorf("faults: untrusted-peer: no node %q in topology %q", m.node, spec.Name)
	}
	if n.TLS == nil {
		return fmt.Errorf("faults: untrusted-peer: %s has no TLS settings, so there is no truststore to remove %s from", m.node, m.peer)
	}
	i := slices.Index(n.TLS.Trust, m.peer)
	if i < 0 {
		if ca := signer(spec, m.peer); ca != "" && slices.Contains(n.TLS.Trust, ca) {
			return fmt.Errorf("faults: untrusted-peer: %s trusts %s only through %s, the authority that signed %s's certificate; use peer: %s", m.node, m.peer, ca, m.peer, ca)
		}
		return fmt.Errorf("faults: untrusted-peer: %s does not trust %s to begin with; nothing to remove", m.node, m.peer)
	}
	// If another entry still vouches for the peer, removing this one
	// changes nothing on the wire and the scenario would test nothing.
	if ca := signer(spec, m.peer); ca != "" && slices.Contains(n.TLS.Trust, ca) {
		return fmt.Errorf("faults: untrusted-peer: %s would still trust %s through %s, the authority that signed %s's certificate; remove %s too", m.node, m.peer, ca, m.peer, ca)
	}
	n.TLS.Trust = slices.Delete(n.TLS.Trust, i, i+1)
	return nil
}

// signer is the authority that signed node's certificate, "" when the node
// is self-signed, has no TLS or does not exist.
func signer(spec *topology.Spec, node string) string {
	if spec == nil {
		return ""
	}
	n := spec.Node(node)
	if n == nil || n.TLS == nil || n.TLS.Identity.SelfSigned {
		return ""
	}
	return n.TLS.Identity.Issuer
}
