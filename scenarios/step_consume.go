package scenarios

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/topology"
)

// consumeStep receives until count messages arrived or within ran out:
// `consume: {node: server-b, dest: /queue/orders, count: 500, within: 20s}`.
// It acknowledges each message (client-individual) after recording it.
// With count 0 nothing may arrive: it listens for all of within and fails
// on the first message (recorded in the history all the same).
type consumeStep struct {
	id         string
	node, dest string
	count      int
	within     time.Duration
	async      bool
	auth       probeAuth
	pos        *yaml.Node
	d          *decoder
}

func init() { registerStep("consume", parseConsume) }

func parseConsume(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "consume", append([]string{"node", "dest", "count", "within", "async"}, authKeys...)...)
	s := &consumeStep{node: f.str("node", true), dest: f.str("dest", true), count: f.integer("count", 1),
		within: f.duration("within", 10*time.Second), async: f.boolean("async", false), pos: v, d: d, auth: parseAuth(d, f)}
	s.id = fmt.Sprintf("c%d.%s", v.Line, s.node)
	if s.count < 0 {
		d.errorf(v, "consume: count must not be negative (0: nothing may arrive within the time given)")
	}
	checkDest(d, f, s.dest)
	return s
}

func (s *consumeStep) check(spec *topology.Spec) error {
	if err := checkNode(s.d, s.pos, spec, s.node); err != nil {
		return err
	}
	return s.auth.check(s.d, s.pos, spec)
}

func (s *consumeStep) Describe() string {
	return fmt.Sprintf("consume %d from %s on %s%s within %v", s.count, s.dest, s.node, s.auth.describe(), s.within)
}

func (s *consumeStep) Async() bool          { return s.async }
func (s *consumeStep) Bound() time.Duration { return s.within + 5*time.Second }

func (s *consumeStep) Run(env *Env) error {
	c, err := env.connectAs(env.Ctx, s.node, s.auth)
	if err != nil {
		return err
	}
	defer c.Disconnect()
	sub, err := c.subscribe(s.dest)
	if err != nil {
		return fmt.Errorf("consumer %s: subscribe to %s on %s: %w", s.id, s.dest, s.node, err)
	}
	deadline := time.NewTimer(s.within)
	defer deadline.Stop()
	got := 0
	for s.count == 0 || got < s.count {
		select {
		case m, ok := <-sub.C:
			if !ok || m.Err != nil {
				return fmt.Errorf("consumer %s on %s: subscription ended after %d of %d: %v", s.id, s.node, got, s.count, m)
			}
			env.received(s.id, s.node, s.dest, m)
			if err := c.Ack(m); err != nil {
				return fmt.Errorf("consumer %s: ack: %w", s.id, err)
			}
			got++
			if s.count == 0 {
				// Nothing may arrive: a consumer beyond the network's TTL, or
				// behind an authorization rule. What came is in the history.
				return fmt.Errorf("consumer %s on %s received %s#%s from %s; expected nothing within %v", s.id, s.node, m.Header.Get(hdrProducer), m.Header.Get(hdrSeq), s.dest, s.within)
			}
		case <-deadline.C:
			if s.count == 0 {
				return nil // listened for all of within, and nothing came
			}
			return fmt.Errorf("consumer %s received %d of %d messages from %s on %s within %v", s.id, got, s.count, s.dest, s.node, s.within)
		case <-env.Ctx.Done():
			return env.Ctx.Err()
		}
	}
	return nil
}
