package faults

import (
	"fmt"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// Helpers shared by the mutations that break a node's keystore settings
// (wrong-keystore-password, wrong-key-password, truststore-empty): each
// needs a node that loads keystores, and changes the settings it loads
// them with after the PKI wrote them. The node then refuses to start, as
// a Java broker does.

// storeNode returns node when it loads keystores (tls.format jks or p12,
// or sslContext stores).
func storeNode(kind string, spec *topology.Spec, node string) (*topology.Node, error) {
	n := spec.Node(node)
	if n == nil {
		return nil, fmt.Errorf("faults: %s: no node %q in topology %q", kind, node, spec.Name)
	}
	if n.TLS == nil || !n.TLS.SSL.UsesStores() {
		return nil, fmt.Errorf("faults: %s: %s loads PEM files, which have no passwords; use a node with tls.format jks or p12 (e.g. topology hub-and-spokes-keystores)", kind, node)
	}
	return n, nil
}

// editStores changes the keystore settings node loads.
func editStores(kind string, files map[string]tlsconf.Files, node string, edit func(*tlsconf.KeyStore) error) error {
	f := files[node]
	if f.SSLContext == nil || f.SSLContext.KeyStore == nil {
		return fmt.Errorf("faults: %s: %s loads no keystores", kind, node)
	}
	c := *f.SSLContext
	ks := *c.KeyStore
	if err := edit(&ks); err != nil {
		return err
	}
	c.KeyStore = &ks
	f.SSLContext = &c
	files[node] = f
	return nil
}

// wrongPassword is what the mutations set: plainly not the real one.
const wrongPassword = "not-the-password"
