package faults

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Shopify/toxiproxy/v2"

	"github.com/brokerlab/brokerlab/topology"
)

// Target is what a fault acts on. faults, the consumer, defines it; the
// driver (or Network, for the proxies) satisfies it. Faults that need more
// than a link's proxy (node kill, clock offset, …) look for further
// capabilities with a type assertion on the Target, so that a driver which
// cannot kill a node simply fails that fault with a clear error instead of
// every driver having to implement everything.
type Target interface {
	Proxy(link topology.Link) (*toxiproxy.Proxy, error)
}

// Undo reverts what Apply did. It is safe to call more than once: the
// scenario runner calls it when the fault's time is up and again, as a
// safety net, when the scenario is torn down.
type Undo func(ctx context.Context) error

// Fault is one failure, fully configured, ready to be applied.
type Fault interface {
	// Name describes the fault for reports, e.g. "partition server-a->hub".
	Name() string
	// Apply injects the fault and returns how to take it back. On error
	// nothing is left applied.
	Apply(ctx context.Context, t Target) (Undo, error)
}

// Factory validates a fault's params and builds it. Errors name the field
// (`faults: latency: field "latency": "abc" is not a duration (e.g. 200ms)`)
// so the scenario loader can print them next to the step's line.
type Factory func(link topology.Link, p Params) (Fault, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a fault kind available to New. It is meant to be called
// from an init function, one per kind's file; registering a kind twice is a
// programming error and panics, as with toxiproxy's and database/sql's
// registries, rather than silently replacing a fault.
func Register(kind string, f Factory) {
	if kind == "" || f == nil {
		panic("faults: Register needs a kind and a factory")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[kind]; dup {
		panic(fmt.Sprintf("faults: Register called twice for kind %q", kind))
	}
	registry[kind] = f
}

// New builds a fault of the given kind on link from the scenario step's
// params.
func New(kind string, link topology.Link, p Params) (Fault, error) {
	registryMu.RLock()
	f, ok := registry[kind]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("faults: unknown kind %q; known: %s", kind, strings.Join(Kinds(), ", "))
	}
	return f(link, p)
}

// Kinds lists the registered fault kinds, sorted.
func Kinds() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return sortedKeys(registry)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// toxicSeq makes toxic names unique per fault instance, so two faults of
// the same kind can stack on one link and each Undo removes only its own
// toxics (toxiproxy refuses a second toxic with an existing name).
var toxicSeq atomic.Uint64

func toxicName(kind, stream string) string {
	return fmt.Sprintf("%s-%d-%s", kind, toxicSeq.Add(1), stream)
}
