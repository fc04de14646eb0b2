package faults

import (
	"fmt"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// ClockSkew sets node's clock `offset` away from everyone else's (for
// example 48h ahead, past the one-day certificates of a run): the node
// checks its peers' certificates at time.Now()+offset, through
// tls.Config.Time, exactly as a machine whose clock drifted would. The
// certificates are fine; the node is not.
//
// Params: node (required), offset (a duration, may be negative; required).
type ClockSkew struct {
	node   string
	offset time.Duration
}

func init() { RegisterMutation("clock-skew", newClockSkew) }

func newClockSkew(p Params) (Mutation, error) {
	const kind = "clock-skew"
	node, err := nodeParam(kind, p, "offset")
	if err != nil {
		return nil, err
	}
	if err := p.Require(kind, "offset"); err != nil {
		return nil, err
	}
	off, err := p.Duration(kind, "offset", 0)
	if err != nil {
		return nil, err
	}
	if off == 0 {
		return nil, fmt.Errorf("faults: %s: field \"offset\" is 0, which skews nothing", kind)
	}
	return &ClockSkew{node: node, offset: off}, nil
}

func (m *ClockSkew) Name() string {
	if m.offset > 0 {
		return fmt.Sprintf("%s's clock is %s ahead", m.node, short(m.offset))
	}
	return fmt.Sprintf("%s's clock is %s behind", m.node, short(-m.offset))
}

// Mutate refuses a node that checks no certificate: one that neither dials
// a TLS listener nor accepts client certificates on one.
func (m *ClockSkew) Mutate(spec *topology.Spec) error {
	n := spec.Node(m.node)
	if n == nil || n.TLS == nil {
		return fmt.Errorf("faults: clock-skew: %q is not a node with tls in topology %q", m.node, spec.Name)
	}
	for _, peer := range spec.Nodes {
		for _, c := range certChecks(spec, peer.Name) {
			if c.by == m.node {
				return nil
			}
		}
	}
	return fmt.Errorf("faults: clock-skew: %s checks no peer's certificate, so its clock would change nothing; the scenario would test nothing", m.node)
}

func (m *ClockSkew) MutateMaterial(_ *pki.Material, files map[string]tlsconf.Files, _ *topology.Spec) error {
	f := files[m.node]
	c := tlsconf.SSLContext{}
	if f.SSLContext != nil {
		c = *f.SSLContext
	}
	if c.ClockOffset != 0 {
		return clash("clock-skew", m.node, "clock")
	}
	c.ClockOffset = m.offset
	f.SSLContext = &c
	files[m.node] = f
	return nil
}
