package scenarios

import (
	"time"

	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/topology"
)

// Scenario is one scenario file, parsed and checked.
type Scenario struct {
	Name      string
	File      string
	Labels    []string
	Topology  string         // as written: an example name or a path
	Spec      *topology.Spec // resolved at load time
	Mutations []faults.Mutation
	Steps     []Step
	Expect    Expect
}

// Expect is what must hold after the steps ran.
type Expect struct {
	Delivery    *DeliveryExpect
	TLS         []TLSExpect
	Explanation []string // every string must appear in some explanation
	Events      []EventExpect
	Reconnect   []ReconnectExpect // expect_reconnect.go
}

// EventExpect asks for an event of a kind on a node whose text (as
// events.Event.String prints it) contains a string: at least Min such
// events (default 1) and, when Max is set, at most Max (max: 0 means none).
type EventExpect struct {
	Node, Kind, Contains string
	Min                  int
	Max                  *int
	Line                 int
}

// DeliveryExpect bounds what the probes saw. Nil fields are not checked.
type DeliveryExpect struct {
	Lost       *int
	Duplicates *int
	Order      string // "per-producer" or "" (not checked)
	Received   *int
}

// TLSExpect says a handshake on a link failed with a class, seen from a side.
type TLSExpect struct {
	Link    topology.Link
	Side    string // client (the dialler, Link.From) or server (Link.To)
	Failure string
	Line    int
}

// Step is one entry of `steps:`.
type Step interface {
	// Describe names the step for progress lines and reports.
	Describe() string
	// Run performs it. A returned error fails the scenario.
	Run(env *Env) error
}

// asyncStep runs in the background when its `async: true` is set; the
// runner waits for it before checking expectations.
type asyncStep interface {
	Step
	Async() bool
	Bound() time.Duration // how long it may take at most
}
