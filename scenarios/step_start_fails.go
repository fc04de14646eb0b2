package scenarios

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// startFailsStep starts a node that must refuse to start, as a Java broker
// exits when it cannot open its keystore:
// `start-fails: {node: hub, failure: bad-keystore-password}`. It passes
// only if starting fails and the node reported a start-failed event of
// that class; the event, which names the file and the setting, is then
// explained with the scenario's other failures.
type startFailsStep struct {
	node    string
	failure tlsconf.Class
	pos     *yaml.Node
	d       *decoder
}

func init() { registerStep("start-fails", parseStartFails) }

func parseStartFails(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "start-fails", "node", "failure")
	s := &startFailsStep{node: f.str("node", true), pos: v, d: d}
	if name := f.str("failure", true); name != "" {
		c, err := tlsconf.ParseClass(name)
		if err != nil {
			d.errorf(f.pos("failure"), "start-fails: %v", err)
		}
		s.failure = c
	}
	return s
}

func (s *startFailsStep) check(spec *topology.Spec) error {
	if spec.Node(s.node) == nil {
		return s.d.nameError(s.pos, "start-fails: topology %s has no node %q", spec.Name, s.node)
	}
	return nil
}

func (s *startFailsStep) Describe() string {
	return fmt.Sprintf("start %s, which must refuse to start (%s)", s.node, s.failure)
}

func (s *startFailsStep) Run(env *Env) error {
	from := env.Events.Len()
	err := env.Nodes.Start(s.node)
	if err == nil {
		return fmt.Errorf("%s started, but it should have refused to (%s)", s.node, s.failure)
	}
	e, ok, _ := env.Events.Wait(from, time.Now().Add(time.Second), func(e events.Event) bool {
		return e.Node == s.node && e.Kind == events.StartFailed
	}, nil)
	if !ok {
		return fmt.Errorf("%s refused to start (%v) but reported no start-failed event", s.node, err)
	}
	if e.Class != string(s.failure) {
		return fmt.Errorf("%s refused to start with class %q, want %q: %s", s.node, e.Class, s.failure, e.Reason)
	}
	return nil
}
