package scenarios

import (
	"context"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/topology"
)

// faultStep injects a fault on a link: `fault: {link: server-a->hub, kind:
// partition, for: 3s}`. With `for`, it heals after that long (the step
// lasts as long, unless async); without, it lasts until the scenario ends.
// Other keys are the fault kind's own parameters (latency: 200ms …).
type faultStep struct {
	link  topology.Link
	kind  string
	dur   time.Duration
	async bool
	fault faults.Fault
	pos   *yaml.Node
	d     *decoder
}

func init() { registerStep("fault", parseFault) }

func parseFault(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "fault")
	s := &faultStep{kind: f.str("kind", true), dur: f.duration("for", 0), async: f.boolean("async", false), pos: v, d: d}
	link, err := topology.ParseLink(f.str("link", true))
	if err != nil && f.has("link") {
		d.errorf(f.pos("link"), "%v", err)
		return nil
	}
	s.link = link
	p := faults.Params{}
	for _, k := range f.order {
		switch k {
		case "link", "kind", "for", "async":
		default:
			p[k] = f.values[k].Value
		}
	}
	if s.kind == "" {
		return nil
	}
	fl, err := faults.New(s.kind, link, p)
	if err != nil {
		d.errorf(f.pos("kind"), "%v", err)
		return nil
	}
	s.fault = fl
	return s
}

func (s *faultStep) check(spec *topology.Spec) error {
	if spec.Connector(s.link) == nil {
		return s.d.nameError(s.pos, "fault: topology %s has no link %s; links: %v", spec.Name, s.link, spec.Links())
	}
	return nil
}

func (s *faultStep) Describe() string {
	d := s.fault.Name()
	if s.dur > 0 {
		d += fmt.Sprintf(" for %v", s.dur)
	}
	return "fault " + d
}

func (s *faultStep) Async() bool          { return s.async }
func (s *faultStep) Bound() time.Duration { return s.dur + 10*time.Second }

// Run applies the fault through the one wrapper every fault goes through,
// which records its start and end in the event stream.
func (s *faultStep) Run(env *Env) error {
	undo, err := env.applyFault(s.fault)
	if err != nil {
		return err
	}
	if s.dur == 0 {
		env.deferUndo(s.fault, undo)
		return nil
	}
	select {
	case <-time.After(s.dur):
	case <-env.Ctx.Done():
	}
	return env.undoFault(context.WithoutCancel(env.Ctx), s.fault, undo)
}
