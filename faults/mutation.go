package faults

import (
	"fmt"
	"strings"
	"sync"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Mutation is a deliberate mistake in a topology's certificates or TLS
// settings (a peer missing from a truststore, an expired certificate, …).
// The scenario runner applies it to its own clone of the topology before
// the PKI is generated, so the mistake is real — in the files the nodes
// load — rather than simulated.
type Mutation interface {
	// Name describes the mistake, e.g. "server-a's truststore lacks hub".
	Name() string
	// Mutate changes spec in place. It refuses mutations that would not
	// change anything, so a scenario cannot pass by testing nothing.
	Mutate(spec *topology.Spec) error
}

// MutationFactory validates a mutation's params and builds it.
type MutationFactory func(p Params) (Mutation, error)

var (
	mutationsMu sync.RWMutex
	mutations   = map[string]MutationFactory{}
)

// RegisterMutation makes a mutation kind available to NewMutation. Like
// Register, it panics on a duplicate kind.
func RegisterMutation(kind string, f MutationFactory) {
	if kind == "" || f == nil {
		panic("faults: RegisterMutation needs a kind and a factory")
	}
	mutationsMu.Lock()
	defer mutationsMu.Unlock()
	if _, dup := mutations[kind]; dup {
		panic(fmt.Sprintf("faults: RegisterMutation called twice for kind %q", kind))
	}
	mutations[kind] = f
}

// NewMutation builds a mutation of the given kind.
func NewMutation(kind string, p Params) (Mutation, error) {
	mutationsMu.RLock()
	f, ok := mutations[kind]
	mutationsMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("faults: unknown mutation kind %q; known: %s", kind, strings.Join(MutationKinds(), ", "))
	}
	return f(p)
}

// MutationKinds lists the registered mutation kinds, sorted.
func MutationKinds() []string {
	mutationsMu.RLock()
	defer mutationsMu.RUnlock()
	return sortedKeys(mutations)
}

// PKIMutation is a Mutation that changes how certificates are made rather
// than the topology: a node's validity window, names or key usage. It is a
// capability found by type assertion, so mutations that only edit the spec
// (untrusted-peer) need not implement it. The runner calls Mutate on its
// clone of the spec first, for every mutation, then MutatePKI on the
// pki.Options it passes to pki.Generate: the certificate the node loads is
// then really expired, really CN-only, really for the wrong usage.
type PKIMutation interface {
	MutatePKI(o *pki.Options, spec *topology.Spec) error
}

// MaterialMutation is a Mutation that acts on what pki.Generate made, and
// on which files each node loads: revoking a certificate and pointing the
// nodes at the CRL, or giving a node a new identity its peers' truststores
// do not hold. Some mistakes cannot be planned before generation: a CRL
// needs the certificate's serial, and a stale truststore needs the
// certificate it pins to exist before the node's is replaced. files maps
// every node with tls to the files it will load; the runner hands them to
// the nodes after every MaterialMutation ran.
type MaterialMutation interface {
	MutateMaterial(m *pki.Material, files map[string]tlsconf.Files, spec *topology.Spec) error
}

// ApplyMutations applies ms to spec (a clone the caller owns) and to the
// certificate plan o, in the order the runner needs: every Mutate first, so
// that MutatePKI sees the final topology, then every MutatePKI. Errors name
// the mutation.
func ApplyMutations(spec *topology.Spec, o *pki.Options, ms []Mutation) error {
	for _, m := range ms {
		if err := m.Mutate(spec); err != nil {
			return fmt.Errorf("mutation %s: %w", m.Name(), err)
		}
	}
	for _, m := range ms {
		if pm, ok := m.(PKIMutation); ok {
			if err := pm.MutatePKI(o, spec); err != nil {
				return fmt.Errorf("mutation %s: %w", m.Name(), err)
			}
		}
	}
	return nil
}

// ApplyMaterialMutations runs every MaterialMutation of ms, in order, after
// pki.Generate made m from the spec ApplyMutations changed.
func ApplyMaterialMutations(m *pki.Material, files map[string]tlsconf.Files, spec *topology.Spec, ms []Mutation) error {
	for _, mu := range ms {
		if mm, ok := mu.(MaterialMutation); ok {
			if err := mm.MutateMaterial(m, files, spec); err != nil {
				return fmt.Errorf("mutation %s: %w", mu.Name(), err)
			}
		}
	}
	return nil
}

// NodeFiles are the files each node with tls loads, as pki.Generate wrote
// them: what ApplyMaterialMutations starts from.
func NodeFiles(m *pki.Material) map[string]tlsconf.Files {
	files := make(map[string]tlsconf.Files, len(m.Nodes))
	for name, nf := range m.Nodes {
		f := tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile}
		if nf.SSLContext != nil {
			// A copy: mutations change a node's passwords or clock in
			// place, never the PKI's record.
			c := *nf.SSLContext
			if c.KeyStore != nil {
				ks := *c.KeyStore
				c.KeyStore = &ks
				f.CertFile, f.KeyFile, f.TrustFile = "", "", ""
			}
			f.SSLContext = &c
		}
		files[name] = f
	}
	return files
}
