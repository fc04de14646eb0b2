package faults

import (
	"fmt"
	"net"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// CNOnly gives node a certificate with no subjectAltName extension at all,
// only the node name as its Subject CN: what `keytool -genkey` makes
// without `-ext SAN=…`, and what the classic ActiveMQ tutorial's
// certificates are. Java falls back to the CN when there is no SAN and
// accepts it, even with host name verification on; Go has ignored the CN
// since 1.15 and refuses it ("certificate relies on legacy Common Name
// field"), so the same keystores that work between ActiveMQ brokers fail
// against a Go peer.
//
// Params: node (required).
type CNOnly struct {
	node string
}

func init() { RegisterMutation("cn-only", newCNOnly) }

func newCNOnly(p Params) (Mutation, error) {
	node, err := nodeParam("cn-only", p)
	if err != nil {
		return nil, err
	}
	return &CNOnly{node: node}, nil
}

func (m *CNOnly) Name() string {
	return fmt.Sprintf("%s's certificate has no subjectAltName, only a CN", m.node)
}

// Mutate changes nothing in the topology. Names are checked only by a
// dialler, so a node nobody dials over TLS is refused.
func (m *CNOnly) Mutate(spec *topology.Spec) error {
	if _, err := certNode("cn-only", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("cn-only", spec, m.node, serverCheck)
	return err
}

func (m *CNOnly) MutatePKI(o *pki.Options, _ *topology.Spec) error {
	return setNodeOptions(o, m.node, func(no *pki.NodeOptions) error {
		if no.DNSNames != nil || no.IPAddresses != nil {
			return clash("cn-only", m.node, "subject alternative names")
		}
		if no.CommonName != "" && no.CommonName != m.node {
			// With another CN even Java would refuse it, for another
			// reason: that is hostname-mismatch's scenario, not this one.
			return fmt.Errorf("faults: cn-only: %s's certificate plan has the CN %q; a CN-only certificate must carry the node name as its CN", m.node, no.CommonName)
		}
		no.DNSNames, no.IPAddresses = []string{}, []net.IP{}
		return nil
	})
}
