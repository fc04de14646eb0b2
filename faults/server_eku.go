package faults

import (
	"crypto/x509"
	"fmt"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// ServerEKU gives node a certificate whose extended key usage allows only
// serverAuth: a CA's "web server" template, fine for a listener, refused
// when node presents it as a client to a listener that asks for client
// certificates (the listener reports bad-key-usage).
//
// Params: node (required).
type ServerEKU struct {
	node string
}

func init() { RegisterMutation("server-eku", newServerEKU) }

func newServerEKU(p Params) (Mutation, error) {
	node, err := nodeParam("server-eku", p)
	if err != nil {
		return nil, err
	}
	return &ServerEKU{node: node}, nil
}

func (m *ServerEKU) Name() string {
	return fmt.Sprintf("%s's certificate allows only serverAuth, not clientAuth", m.node)
}

// Mutate changes nothing in the topology; the missing clientAuth matters
// only if node dials a listener that checks client certificates.
func (m *ServerEKU) Mutate(spec *topology.Spec) error {
	if _, err := certNode("server-eku", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("server-eku", spec, m.node, clientCheck)
	return err
}

func (m *ServerEKU) MutatePKI(o *pki.Options, _ *topology.Spec) error {
	return setEKU("server-eku", o, m.node, x509.ExtKeyUsageServerAuth)
}
