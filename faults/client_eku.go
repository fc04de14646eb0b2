package faults

import (
	"crypto/x509"
	"fmt"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// ClientEKU gives node a certificate whose extended key usage allows only
// clientAuth: a certificate requested from a CA's "client" or "user"
// template and then installed on a broker's listener. Peers dialling node
// refuse it as a server certificate (bad-key-usage). In a network of
// brokers every node both listens and dials, so node certificates need
// serverAuth and clientAuth.
//
// Params: node (required).
type ClientEKU struct {
	node string
}

func init() { RegisterMutation("client-eku", newClientEKU) }

func newClientEKU(p Params) (Mutation, error) {
	node, err := nodeParam("client-eku", p)
	if err != nil {
		return nil, err
	}
	return &ClientEKU{node: node}, nil
}

func (m *ClientEKU) Name() string {
	return fmt.Sprintf("%s's certificate allows only clientAuth, not serverAuth", m.node)
}

// Mutate changes nothing in the topology; the missing serverAuth matters
// only if someone dials node over TLS.
func (m *ClientEKU) Mutate(spec *topology.Spec) error {
	if _, err := certNode("client-eku", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("client-eku", spec, m.node, serverCheck)
	return err
}

func (m *ClientEKU) MutatePKI(o *pki.Options, _ *topology.Spec) error {
	return setEKU("client-eku", o, m.node, x509.ExtKeyUsageClientAuth)
}

// setEKU restricts node's certificate to one extended key usage.
func setEKU(kind string, o *pki.Options, node string, only x509.ExtKeyUsage) error {
	return setNodeOptions(o, node, func(no *pki.NodeOptions) error {
		if no.ExtKeyUsage != nil {
			return clash(kind, node, "extended key usage")
		}
		no.ExtKeyUsage = []x509.ExtKeyUsage{only}
		return nil
	})
}
