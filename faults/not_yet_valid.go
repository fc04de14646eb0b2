package faults

import (
	"fmt"
	"time"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// NotYetValid makes node's certificate one whose validity starts `in` after
// the run (default 1h): what a certificate issued on a machine whose clock
// runs ahead looks like to everyone else. The window keeps its usual length.
// A Go server reports a client certificate that is not yet valid with the
// same alert as an expired one ("expired certificate"), so the dialler of
// such a spoke sees expired while the hub sees not-yet-valid.
//
// Params: node (required), in (a duration, default 1h).
type NotYetValid struct {
	node string
	in   time.Duration
}

func init() { RegisterMutation("not-yet-valid", newNotYetValid) }

func newNotYetValid(p Params) (Mutation, error) {
	const kind = "not-yet-valid"
	node, err := nodeParam(kind, p, "in")
	if err != nil {
		return nil, err
	}
	in, err := positive(kind, p, "in", time.Hour)
	if err != nil {
		return nil, err
	}
	return &NotYetValid{node: node, in: in}, nil
}

func (m *NotYetValid) Name() string {
	return fmt.Sprintf("%s's certificate becomes valid only in %s", m.node, short(m.in))
}

// Mutate changes nothing in the topology: it only refuses a node without a
// certificate, or one no peer ever checks.
func (m *NotYetValid) Mutate(spec *topology.Spec) error {
	if _, err := certNode("not-yet-valid", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("not-yet-valid", spec, m.node, anyCheck)
	return err
}

func (m *NotYetValid) MutatePKI(o *pki.Options, _ *topology.Spec) error {
	return setNodeOptions(o, m.node, func(no *pki.NodeOptions) error {
		if validitySet(no) {
			return clash("not-yet-valid", m.node, "validity window")
		}
		no.NotBeforeOffset = m.in
		no.NotAfterOffset = m.in + lifetime(o)
		return nil
	})
}
