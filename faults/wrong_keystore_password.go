package faults

import (
	"fmt"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// WrongKeystorePassword gives node a keyStorePassword (or, with store:
// trustStore, a trustStorePassword) that does not open the store: the
// password typed differently in activemq.xml than at keytool -genkey.
// ActiveMQ exits at start-up ("Keystore was tampered with, or password was
// incorrect"); so does the node, with a start-failed event naming the file
// and the setting.
//
// Params: node (required), store (keyStore or trustStore, default keyStore).
type WrongKeystorePassword struct{ node, store string }

func init() { RegisterMutation("wrong-keystore-password", newWrongKeystorePassword) }

func newWrongKeystorePassword(p Params) (Mutation, error) {
	const kind = "wrong-keystore-password"
	node, err := nodeParam(kind, p, "store")
	if err != nil {
		return nil, err
	}
	store, err := p.OneOf(kind, "store", "keyStore", "keyStore", "trustStore")
	if err != nil {
		return nil, err
	}
	return &WrongKeystorePassword{node: node, store: store}, nil
}

func (m *WrongKeystorePassword) Name() string {
	return fmt.Sprintf("%s's %sPassword is wrong", m.node, m.store)
}

func (m *WrongKeystorePassword) Mutate(spec *topology.Spec) error {
	_, err := storeNode("wrong-keystore-password", spec, m.node)
	return err
}

func (m *WrongKeystorePassword) MutateMaterial(_ *pki.Material, files map[string]tlsconf.Files, _ *topology.Spec) error {
	return editStores("wrong-keystore-password", files, m.node, func(ks *tlsconf.KeyStore) error {
		if m.store == "trustStore" {
			if ks.TrustStore == "" {
				return fmt.Errorf("faults: wrong-keystore-password: %s has no trustStore", m.node)
			}
			ks.TrustStorePassword = wrongPassword
			return nil
		}
		if ks.KeyStore == "" {
			return fmt.Errorf("faults: wrong-keystore-password: %s has no keyStore", m.node)
		}
		// keyPassword unset means "the store password": keep the real
		// key password so only the store password is wrong.
		if ks.KeyPassword == "" {
			ks.KeyPassword = ks.KeyStorePassword
		}
		ks.KeyStorePassword = wrongPassword
		return nil
	})
}
