package scenarios

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/topology"
)

// misrouteStep points a link's proxy at another node's listener, as a
// wrong address in a connector's configuration would (a copied file, a
// stale DNS entry): `misroute: {link: server-a->hub, to: server-a}` makes
// server-a's connector reach server-a itself.
type misrouteStep struct {
	link topology.Link
	to   string
	pos  *yaml.Node
	d    *decoder
}

func init() { registerStep("misroute", parseMisroute) }

func parseMisroute(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "misroute", "link", "to")
	s := &misrouteStep{to: f.str("to", true), pos: v, d: d}
	link, err := topology.ParseLink(f.str("link", true))
	if err != nil && f.has("link") {
		d.errorf(f.pos("link"), "%v", err)
	}
	s.link = link
	return s
}

func (s *misrouteStep) check(spec *topology.Spec) error {
	if s.link.From != "" && spec.Connector(s.link) == nil {
		return s.d.nameError(s.pos, "misroute: topology %s has no link %s; links: %v", spec.Name, s.link, spec.Links())
	}
	return checkNode(s.d, s.pos, spec, s.to)
}

func (s *misrouteStep) Describe() string { return fmt.Sprintf("misroute %s to %s", s.link, s.to) }

func (s *misrouteStep) Run(env *Env) error {
	addrs := env.Nodes.Addrs(s.to)
	if len(addrs) == 0 {
		return fmt.Errorf("misroute: %s has no listener", s.to)
	}
	if err := env.Links.SetUpstream(s.link, addrs[0]); err != nil {
		return err
	}
	env.Events.Emit(events.Event{Node: "brokerlab", Kind: FaultApplied, Link: s.link.String(), Reason: "misroute " + s.link.String() + " to " + s.to + " at " + addrs[0]})
	return nil
}
