package faults

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// KeyMismatch points node's KeyFile at a fresh private key that is not
// its certificate's: the key.pem of an earlier attempt, or of another
// machine. The certificate is fine; the node cannot prove it owns it, and
// refuses to start, as ActiveMQ does with a keystore whose entry was
// assembled wrongly.
//
// Params: node (required). The node must load PEM files; a keystore keeps
// key and certificate together as one entry.
type KeyMismatch struct{ node string }

func init() { RegisterMutation("key-mismatch", newKeyMismatch) }

func newKeyMismatch(p Params) (Mutation, error) {
	node, err := nodeParam("key-mismatch", p)
	if err != nil {
		return nil, err
	}
	return &KeyMismatch{node: node}, nil
}

func (m *KeyMismatch) Name() string { return m.node + "'s key file does not match its certificate" }

func (m *KeyMismatch) Mutate(spec *topology.Spec) error {
	n, err := certNode("key-mismatch", spec, m.node)
	if err != nil {
		return err
	}
	if n.TLS.SSL.UsesStores() {
		return fmt.Errorf("faults: key-mismatch: %s loads keystores, which keep key and certificate as one entry; use a node with format pem", m.node)
	}
	return nil
}

func (m *KeyMismatch) MutateMaterial(mat *pki.Material, files map[string]tlsconf.Files, _ *topology.Spec) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("faults: key-mismatch: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("faults: key-mismatch: %w", err)
	}
	path := filepath.Join(mat.Dir, "_key-mismatch", m.node, pki.KeyFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("faults: key-mismatch: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("faults: key-mismatch: %w", err)
	}
	f := files[m.node]
	f.KeyFile = path
	files[m.node] = f
	return nil
}
