package scenarios

import (
	"fmt"
	"time"

	"github.com/go-stomp/stomp/v3"
	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/topology"
)

// durableStep is a JMS durable topic subscriber (client-id and
// activemq.subscriptionName both set to name):
//
//	durable: {node: server-b, dest: /topic/news, name: reader, leave: true}
//	durable: {node: server-b, dest: /topic/news, name: reader, count: 20, within: 10s}
//
// With leave it subscribes and goes away at once, so the broker keeps what
// is published meanwhile; otherwise it receives count messages (what was
// kept first) and acknowledges each.
type durableStep struct {
	node, dest string
	name       string
	leave      bool
	count      int
	within     time.Duration
	async      bool
	pos        *yaml.Node
	d          *decoder
}

func init() { registerStep("durable", parseDurable) }

func parseDurable(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "durable", "node", "dest", "name", "leave", "count", "within", "async")
	s := &durableStep{node: f.str("node", true), dest: f.str("dest", true), name: f.str("name", true), leave: f.boolean("leave", false),
		count: f.integer("count", 1), within: f.duration("within", 10*time.Second), async: f.boolean("async", false), pos: v, d: d}
	if s.dest != "" && (len(s.dest) < 8 || s.dest[:7] != "/topic/") {
		d.errorf(f.pos("dest"), "durable: dest must be a /topic/, got %q", s.dest)
	}
	if s.count < 1 {
		d.errorf(v, "durable: count must be at least 1")
	}
	return s
}

func (s *durableStep) check(spec *topology.Spec) error { return checkNode(s.d, s.pos, spec, s.node) }

func (s *durableStep) Describe() string {
	if s.leave {
		return fmt.Sprintf("durable subscriber %s subscribes to %s on %s and leaves", s.name, s.dest, s.node)
	}
	return fmt.Sprintf("durable subscriber %s receives %d from %s on %s within %v", s.name, s.count, s.dest, s.node, s.within)
}

func (s *durableStep) Async() bool          { return s.async }
func (s *durableStep) Bound() time.Duration { return s.within + 5*time.Second }

func (s *durableStep) Run(env *Env) error {
	c, err := env.connectAs(env.Ctx, s.node, probeAuth{}, stomp.ConnOpt.Header("client-id", s.name))
	if err != nil {
		return err
	}
	defer c.Disconnect()
	sub, err := c.subscribe(s.dest, stomp.SubscribeOpt.Header("activemq.subscriptionName", s.name))
	if err != nil {
		return fmt.Errorf("durable subscriber %s: subscribe to %s on %s: %w", s.name, s.dest, s.node, err)
	}
	if s.leave {
		// A receipted frame after SUBSCRIBE proves the subscription exists
		// before the subscriber goes.
		return c.Send("/topic/brokerlab.fence", "text/plain", nil, stomp.SendOpt.Receipt)
	}
	deadline := time.NewTimer(s.within)
	defer deadline.Stop()
	for got := 0; got < s.count; got++ {
		select {
		case m, ok := <-sub.C:
			if !ok || m.Err != nil {
				return fmt.Errorf("durable subscriber %s on %s: subscription ended after %d of %d: %v", s.name, s.node, got, s.count, m)
			}
			env.received(s.name, s.node, s.dest, m)
			if err := c.Ack(m); err != nil {
				return fmt.Errorf("durable subscriber %s: ack: %w", s.name, err)
			}
		case <-deadline.C:
			return fmt.Errorf("durable subscriber %s received %d of %d from %s on %s within %v", s.name, got, s.count, s.dest, s.node, s.within)
		case <-env.Ctx.Done():
			return env.Ctx.Err()
		}
	}
	return nil
}
