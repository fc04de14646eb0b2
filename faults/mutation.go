package faults

import (
	"fmt"
	"strings"
	"sync"

	"github.com/brokerlab/brokerlab/topology"
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
