package scenarios

import (
	"fmt"
	"strconv"
	"time"

	"github.com/go-stomp/stomp/v3"
	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/topology"
)

// produceStep sends numbered messages from a probe:
// `produce: {node: server-a, dest: /queue/orders, count: 500, size: 1024, persistent: true, interval: 10ms, async: true}`.
// Each SEND asks for a RECEIPT; only confirmed messages are owed.
type produceStep struct {
	id         string
	node, dest string
	count      int
	size       int
	persistent bool
	interval   time.Duration
	async      bool
	auth       probeAuth
	pos        *yaml.Node
	d          *decoder
}

func init() { registerStep("produce", parseProduce) }

func parseProduce(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "produce", append([]string{"node", "dest", "count", "size", "persistent", "interval", "async"}, authKeys...)...)
	s := &produceStep{node: f.str("node", true), dest: f.str("dest", true), count: f.integer("count", 1), size: f.integer("size", 256),
		persistent: f.boolean("persistent", false), interval: f.duration("interval", 0), async: f.boolean("async", false), pos: v, d: d, auth: parseAuth(d, f)}
	s.id = fmt.Sprintf("p%d.%s", v.Line, s.node)
	if s.count < 1 || s.size < 0 {
		d.errorf(v, "produce: count must be at least 1 and size not negative")
	}
	checkDest(d, f, s.dest)
	return s
}

func checkDest(d *decoder, f *fields, dest string) {
	if dest != "" && !isDest(dest) {
		d.errorf(f.pos("dest"), "dest must start with /queue/ or /topic/, got %q", dest)
	}
}

func isDest(s string) bool {
	return len(s) > 7 && (s[:7] == "/queue/" || s[:7] == "/topic/")
}

func (s *produceStep) check(spec *topology.Spec) error {
	if err := checkNode(s.d, s.pos, spec, s.node); err != nil {
		return err
	}
	return s.auth.check(s.d, s.pos, spec)
}

func checkNode(d *decoder, pos *yaml.Node, spec *topology.Spec, node string) error {
	if node != "" && spec.Node(node) == nil {
		return d.nameError(pos, "topology %s has no node %q", spec.Name, node)
	}
	return nil
}

func (s *produceStep) Describe() string {
	return fmt.Sprintf("produce %d × %d B to %s on %s%s", s.count, s.size, s.dest, s.node, s.auth.describe())
}

func (s *produceStep) Async() bool { return s.async }

func (s *produceStep) Bound() time.Duration {
	return time.Duration(s.count)*(s.interval+100*time.Millisecond) + 30*time.Second
}

func (s *produceStep) Run(env *Env) error {
	c, err := env.connectAs(env.Ctx, s.node, s.auth)
	if err != nil {
		return err
	}
	defer c.Disconnect()
	body := env.payload(s.size)
	var firstErr error
	for i := 1; i <= s.count; i++ {
		if env.Ctx.Err() != nil {
			return env.Ctx.Err()
		}
		err := c.Send(s.dest, "application/octet-stream", body, stomp.SendOpt.Receipt,
			stomp.SendOpt.Header(hdrProducer, s.id), stomp.SendOpt.Header(hdrSeq, strconv.Itoa(i)),
			stomp.SendOpt.Header("persistent", strconv.FormatBool(s.persistent)))
		env.History.addSend(Send{Producer: s.id, Seq: i, Node: s.node, Dest: s.dest, At: time.Now(), Err: err})
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			// A connection that failed once cannot send again; the rest are unsent.
			break
		}
		if s.interval > 0 {
			time.Sleep(s.interval)
		}
	}
	if firstErr != nil {
		return fmt.Errorf("producer %s: send to %s on %s failed: %w", s.id, s.dest, s.node, firstErr)
	}
	return nil
}
