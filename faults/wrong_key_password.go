package faults

import (
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// WrongKeyPassword gives node a keyPassword that does not decrypt its key
// entry, while keyStorePassword opens the store: a JKS whose key was made
// with its own -keypass. Java fails at start-up with
// UnrecoverableKeyException ("Cannot recover key"); so does the node.
//
// Params: node (required).
type WrongKeyPassword struct{ node string }

func init() { RegisterMutation("wrong-key-password", newWrongKeyPassword) }

func newWrongKeyPassword(p Params) (Mutation, error) {
	node, err := nodeParam("wrong-key-password", p)
	if err != nil {
		return nil, err
	}
	return &WrongKeyPassword{node: node}, nil
}

func (m *WrongKeyPassword) Name() string { return m.node + "'s keyPassword is wrong" }

func (m *WrongKeyPassword) Mutate(spec *topology.Spec) error {
	_, err := storeNode("wrong-key-password", spec, m.node)
	return err
}

func (m *WrongKeyPassword) MutateMaterial(_ *pki.Material, files map[string]tlsconf.Files, _ *topology.Spec) error {
	return editStores("wrong-key-password", files, m.node, func(ks *tlsconf.KeyStore) error {
		ks.KeyPassword = wrongPassword
		return nil
	})
}
