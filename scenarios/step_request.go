package scenarios

import (
	"fmt"
	"strconv"
	"time"

	"github.com/go-stomp/stomp/v3"
	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/topology"
)

// Request/reply across the network, as JMS clients do it with a temporary
// queue:
//
//	reply:   {node: hub, dest: /queue/service, count: 10, within: 20s, async: true}
//	request: {node: server-a, dest: /queue/service, count: 10, within: 20s}
//
// request subscribes to its own /temp-queue/, sends count requests with
// reply-to naming it, and waits for every answer; reply answers count
// requests to whatever reply-to they carry. Each request is owed an answer:
// a request that is confirmed and never answered is lost, one answered
// twice is a duplicate.
type requestStep struct {
	reply      bool
	id         string
	node, dest string
	count      int
	within     time.Duration
	async      bool
	pos        *yaml.Node
	d          *decoder
}

func init() {
	for _, kind := range []string{"request", "reply"} {
		registerStep(kind, func(d *decoder, v *yaml.Node) Step {
			f := d.fields(v, kind, "node", "dest", "count", "within", "async")
			s := &requestStep{reply: kind == "reply", node: f.str("node", true), dest: f.str("dest", true), count: f.integer("count", 1),
				within: f.duration("within", 10*time.Second), async: f.boolean("async", false), pos: v, d: d}
			s.id = fmt.Sprintf("%s%d.%s", kind[:3], v.Line, s.node)
			if s.count < 1 {
				d.errorf(v, "%s: count must be at least 1", kind)
			}
			checkDest(d, f, s.dest)
			return s
		})
	}
}

func (s *requestStep) check(spec *topology.Spec) error { return checkNode(s.d, s.pos, spec, s.node) }

func (s *requestStep) Describe() string {
	if s.reply {
		return fmt.Sprintf("answer %d requests from %s on %s", s.count, s.dest, s.node)
	}
	return fmt.Sprintf("send %d requests to %s on %s and await the answers", s.count, s.dest, s.node)
}

func (s *requestStep) Async() bool          { return s.async }
func (s *requestStep) Bound() time.Duration { return s.within + 5*time.Second }

func (s *requestStep) Run(env *Env) error {
	c, err := env.connectAs(env.Ctx, s.node, probeAuth{})
	if err != nil {
		return err
	}
	defer c.Disconnect()
	listen, replyTo := s.dest, ""
	if !s.reply {
		replyTo = "/temp-queue/" + s.id
		listen = replyTo
	}
	sub, err := c.subscribe(listen)
	if err != nil {
		return fmt.Errorf("%s: subscribe to %s on %s: %w", s.id, listen, s.node, err)
	}
	if !s.reply {
		for i := 1; i <= s.count; i++ {
			err := c.Send(s.dest, "text/plain", []byte("request"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("reply-to", replyTo),
				stomp.SendOpt.Header(hdrProducer, s.id), stomp.SendOpt.Header(hdrSeq, strconv.Itoa(i)))
			env.History.addSend(Send{Producer: s.id, Seq: i, Node: s.node, Dest: s.dest, At: time.Now(), Err: err})
			if err != nil {
				return fmt.Errorf("requester %s: send: %w", s.id, err)
			}
		}
	}
	deadline := time.NewTimer(s.within)
	defer deadline.Stop()
	for got := 0; got < s.count; got++ {
		select {
		case m, ok := <-sub.C:
			if !ok || m.Err != nil {
				return fmt.Errorf("%s on %s: subscription ended after %d of %d: %v", s.id, s.node, got, s.count, m)
			}
			if s.reply {
				to := m.Header.Get("reply-to")
				if to == "" {
					return fmt.Errorf("replier %s: request %s#%s has no reply-to", s.id, m.Header.Get(hdrProducer), m.Header.Get(hdrSeq))
				}
				if err := c.Send(to, "text/plain", []byte("answer"), stomp.SendOpt.Receipt,
					stomp.SendOpt.Header(hdrProducer, m.Header.Get(hdrProducer)), stomp.SendOpt.Header(hdrSeq, m.Header.Get(hdrSeq))); err != nil {
					return fmt.Errorf("replier %s: answer to %s: %w", s.id, to, err)
				}
			} else {
				env.received(s.id, s.node, s.dest, m)
			}
			if err := c.Ack(m); err != nil {
				return fmt.Errorf("%s: ack: %w", s.id, err)
			}
		case <-deadline.C:
			if s.reply {
				return fmt.Errorf("replier %s answered %d of %d requests on %s within %v", s.id, got, s.count, s.node, s.within)
			}
			return fmt.Errorf("requester %s got %d of %d answers on %s within %v", s.id, got, s.count, s.node, s.within)
		case <-env.Ctx.Done():
			return env.Ctx.Err()
		}
	}
	return nil
}
