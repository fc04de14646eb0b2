package faults

import (
	"fmt"
	"net"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// HostnameMismatch gives node a certificate for another name: its SANs are
// replaced by one DNS name (default "<node>.example.com", a machine's fully
// qualified name where peers dial the short one) and no IP addresses. The
// certificate is otherwise sound and still trusted, so peers dialling node
// refuse it only because the name they verify (the node name, whatever
// address they dial) is not in it.
//
// Params: node (required), name (the DNS name the certificate gets).
type HostnameMismatch struct {
	node, name string
}

func init() { RegisterMutation("hostname-mismatch", newHostnameMismatch) }

func newHostnameMismatch(p Params) (Mutation, error) {
	const kind = "hostname-mismatch"
	node, err := nodeParam(kind, p, "name")
	if err != nil {
		return nil, err
	}
	name, err := p.String(kind, "name", node+".example.com")
	if err != nil {
		return nil, err
	}
	switch {
	case name == "":
		return nil, fmt.Errorf("faults: %s: field \"name\" must not be empty", kind)
	case name == node:
		return nil, fmt.Errorf("faults: %s: field \"name\": %q is the name peers dial, so nothing would mismatch; give another name", kind, name)
	case net.ParseIP(name) != nil:
		return nil, fmt.Errorf("faults: %s: field \"name\": %q is an IP address; give a DNS name", kind, name)
	}
	return &HostnameMismatch{node: node, name: name}, nil
}

func (m *HostnameMismatch) Name() string {
	return fmt.Sprintf("%s's certificate names %s, not %s", m.node, m.name, m.node)
}

// Mutate changes nothing in the topology. Names are checked only by a
// dialler, so a node nobody dials over TLS is refused.
func (m *HostnameMismatch) Mutate(spec *topology.Spec) error {
	if _, err := certNode("hostname-mismatch", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("hostname-mismatch", spec, m.node, serverCheck)
	return err
}

func (m *HostnameMismatch) MutatePKI(o *pki.Options, _ *topology.Spec) error {
	return setNodeOptions(o, m.node, func(no *pki.NodeOptions) error {
		if no.DNSNames != nil || no.IPAddresses != nil {
			return clash("hostname-mismatch", m.node, "subject alternative names")
		}
		no.DNSNames = []string{m.name}
		// Non-nil and empty: no IP SANs either, or 127.0.0.1 would still
		// match a peer that verifies by address.
		no.IPAddresses = []net.IP{}
		return nil
	})
}
