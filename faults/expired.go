package faults

import (
	"fmt"
	"time"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Expired makes node's certificate one whose validity ended `ago` before
// the run (default 1h): the renewal everyone forgets. The window keeps its
// usual length and ends in the past, so only NotAfter is wrong, as with a
// certificate that was fine until yesterday. Go checks the expiry of every
// certificate, a pinned self-signed one included; Java does not check a
// self-signed certificate that is itself in its truststore, so the same
// files can work with ActiveMQ and fail here.
//
// Params: node (required), ago (a duration, default 1h).
type Expired struct {
	node string
	ago  time.Duration
}

func init() { RegisterMutation("expired", newExpired) }

func newExpired(p Params) (Mutation, error) {
	const kind = "expired"
	node, err := nodeParam(kind, p, "ago")
	if err != nil {
		return nil, err
	}
	ago, err := positive(kind, p, "ago", time.Hour)
	if err != nil {
		return nil, err
	}
	return &Expired{node: node, ago: ago}, nil
}

func (m *Expired) Name() string {
	return fmt.Sprintf("%s's certificate expired %s ago", m.node, short(m.ago))
}

// Mutate changes nothing in the topology: it only refuses a node without a
// certificate, or one no peer ever checks.
func (m *Expired) Mutate(spec *topology.Spec) error {
	if _, err := certNode("expired", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("expired", spec, m.node, anyCheck)
	return err
}

func (m *Expired) MutatePKI(o *pki.Options, _ *topology.Spec) error {
	return setNodeOptions(o, m.node, func(no *pki.NodeOptions) error {
		if validitySet(no) {
			return clash("expired", m.node, "validity window")
		}
		no.NotAfterOffset = -m.ago
		no.NotBeforeOffset = -m.ago - lifetime(o)
		return nil
	})
}
