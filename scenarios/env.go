package scenarios

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Env is one running scenario: its own copy of the topology (mutated), its
// PKI, its fault network, its nodes and everything observed.
type Env struct {
	Ctx      context.Context
	Scenario *Scenario
	Spec     *topology.Spec
	Dir      string
	Events   *events.Recorder
	History  *History
	Nodes    driver.Nodes
	Links    *faults.Network
	Seed     int64

	files      map[string]tlsconf.Files
	pki        *pki.Material // what the nodes' files were made from; rotate reissues from it
	trustFiles map[string]string
	certFiles  map[string]string

	squat squatters // ports held for stopped nodes (step_node.go)

	mu    sync.Mutex
	rng   *rand.Rand
	undos []pendingUndo
}

type pendingUndo struct {
	fault faults.Fault
	undo  faults.Undo
}

// Harness events: faults are recorded in the same stream as the brokers'
// events, so reports show them on one timeline.
const (
	FaultApplied events.Kind = "fault-applied"
	FaultHealed  events.Kind = "fault-healed"
)

// payload returns size bytes from the scenario's seeded source, so a
// replay with the same seed sends the same bytes.
func (env *Env) payload(size int) []byte {
	env.mu.Lock()
	defer env.mu.Unlock()
	b := make([]byte, size)
	for i := range b {
		b[i] = byte('a' + env.rng.IntN(26))
	}
	return b
}

// applyFault is the one wrapper every fault goes through: apply, record
// the start in the event stream; undoFault records the end.
func (env *Env) applyFault(f faults.Fault) (faults.Undo, error) {
	undo, err := f.Apply(env.Ctx, env.Links)
	if err != nil {
		return nil, err
	}
	env.Events.Emit(events.Event{Node: "brokerlab", Kind: FaultApplied, Reason: f.Name()})
	return undo, nil
}

func (env *Env) undoFault(ctx context.Context, f faults.Fault, undo faults.Undo) error {
	err := undo(ctx)
	env.Events.Emit(events.Event{Node: "brokerlab", Kind: FaultHealed, Reason: f.Name()})
	return err
}

// deferUndo heals a fault when the scenario ends.
func (env *Env) deferUndo(f faults.Fault, undo faults.Undo) {
	env.mu.Lock()
	env.undos = append(env.undos, pendingUndo{f, undo})
	env.mu.Unlock()
}

func (env *Env) healAll(ctx context.Context) {
	env.mu.Lock()
	undos := env.undos
	env.undos = nil
	env.mu.Unlock()
	for i := len(undos) - 1; i >= 0; i-- {
		env.undoFault(ctx, undos[i].fault, undos[i].undo)
	}
}

// nodeWait gives steps a way to wait with the scenario's context.
func (env *Env) sleep(d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-env.Ctx.Done():
		return false
	}
}
