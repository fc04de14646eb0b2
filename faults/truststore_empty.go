package faults

import (
	"fmt"

	"github.com/brokerlab/brokerlab/topology"
)

// TruststoreEmpty empties node's trust list, so the PKI writes it a
// truststore without a single entry: the truststore created by the first
// keytool -import that never ran. Java refuses to use it ("the
// trustAnchors parameter must be non-empty") and the broker does not
// start; neither does the node.
//
// Params: node (required).
type TruststoreEmpty struct{ node string }

func init() { RegisterMutation("truststore-empty", newTruststoreEmpty) }

func newTruststoreEmpty(p Params) (Mutation, error) {
	node, err := nodeParam("truststore-empty", p)
	if err != nil {
		return nil, err
	}
	return &TruststoreEmpty{node: node}, nil
}

func (m *TruststoreEmpty) Name() string { return m.node + "'s truststore is empty" }

func (m *TruststoreEmpty) Mutate(spec *topology.Spec) error {
	n, err := storeNode("truststore-empty", spec, m.node)
	if err != nil {
		return err
	}
	if n.TLS.SSL.TrustStore != "" {
		return fmt.Errorf("faults: truststore-empty: %s names its own trustStore %s, which the PKI does not write", m.node, n.TLS.SSL.TrustStore)
	}
	if len(n.TLS.Trust) == 0 {
		return fmt.Errorf("faults: truststore-empty: %s already trusts nobody; the mutation would change nothing", m.node)
	}
	n.TLS.Trust = nil
	return nil
}
