package scenarios

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/topology"
)

// startStep starts nodes: `start: all`, `start: hub` or `start: [hub, server-a]`.
type startStep struct {
	nodes []string // nil: all
	pos   *yaml.Node
	d     *decoder
}

func init() { registerStep("start", parseStart) }

func parseStart(d *decoder, v *yaml.Node) Step {
	s := &startStep{pos: v, d: d}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Value != "all" {
			s.nodes = []string{v.Value}
		}
	case yaml.SequenceNode:
		for _, n := range v.Content {
			s.nodes = append(s.nodes, n.Value)
		}
	default:
		d.errorf(v, "start takes all, a node name, or a list of node names")
		return nil
	}
	return s
}

func (s *startStep) check(spec *topology.Spec) error {
	for _, n := range s.nodes {
		if spec.Node(n) == nil {
			return s.d.nameError(s.pos, "start: topology %s has no node %q", spec.Name, n)
		}
	}
	return nil
}

func (s *startStep) Describe() string {
	if s.nodes == nil {
		return "start all"
	}
	return "start " + strings.Join(s.nodes, ", ")
}

func (s *startStep) Run(env *Env) error {
	if s.nodes == nil {
		for _, n := range env.Nodes.Names() {
			env.unsquat(n)
		}
		return env.Nodes.StartAll()
	}
	for _, n := range s.nodes {
		env.unsquat(n)
		if err := env.Nodes.Start(n); err != nil {
			return fmt.Errorf("start %s: %w", n, err)
		}
	}
	return nil
}
