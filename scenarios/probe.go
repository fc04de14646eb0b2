package scenarios

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/broker/transport"
)

// Probes are independent STOMP clients (go-stomp, not our codec), so a bug
// in the broker's codec cannot cancel out in the harness. A probe connects
// to a node's first listener; on a TLS listener it presents the node's own
// identity, as a local administrator's client would.

// probePrefetch bounds the messages a broker sends a probe ahead of its
// acknowledgements. go-stomp v3.1.3 hands frames between its goroutines
// through a 16-slot subscription channel and unbuffered channels, and its
// Ack waits on the same loop that delivers: with more than about 18 messages
// in flight, a consumer that acks as it reads deadlocks inside the client.
// Both our broker and ActiveMQ honour activemq.prefetchSize.
const probePrefetch = "8"

// Probe headers: who sent a message and its place in that producer's order.
const (
	hdrProducer = "brokerlab-producer"
	hdrSeq      = "brokerlab-seq"
)

// connectAs connects a probe with the credentials, source address and
// client certificate in a (probe_auth.go).
func (env *Env) connectAs(ctx context.Context, node string, a probeAuth, extra ...func(*stomp.Conn) error) (*probe, error) {
	addrs := env.Nodes.Addrs(node)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("node %s has no listener to connect a probe to", node)
	}
	n := env.Spec.Node(node)
	l, err := transport.ParseListener(n.Listen[0])
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: a.localAddr()}
	nc, err := d.DialContext(ctx, "tcp", addrs[0])
	if err != nil {
		return nil, fmt.Errorf("probe to %s: %w", node, err)
	}
	if l.TLS {
		m, err := tlsconf.Load(a.files(env, node))
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("probe to %s: %w", node, err)
		}
		cfg, err := tlsconf.ClientConfig(m, node)
		if err != nil {
			nc.Close()
			return nil, err
		}
		tc := tls.Client(nc, cfg)
		if err := tlsconf.Handshake(ctx, tc, 5*time.Second); err != nil {
			nc.Close()
			return nil, fmt.Errorf("probe to %s: tls: %w", node, err)
		}
		nc = tc
	}
	opts := append([]func(*stomp.Conn) error{stomp.ConnOpt.Host(node), stomp.ConnOpt.HeartBeat(0, 0), stomp.ConnOpt.Logger(probeLogger{env, node}), a.login(),
		// go-stomp does not wake a Send waiting for its RECEIPT when the
		// connection dies; bound the wait so a killed node fails the send.
		stomp.ConnOpt.RcvReceiptTimeout(10 * time.Second)}, extra...)
	c, err := stomp.Connect(nc, opts...)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("probe to %s: %w", node, err)
	}
	return &probe{Conn: c, nc: nc}, nil
}

// subscribe subscribes with client-individual acks and at most
// probePrefetch messages in flight; opts add headers before the prefetch.
func (p *probe) subscribe(dest string, opts ...func(*frame.Frame) error) (*stomp.Subscription, error) {
	return p.Subscribe(dest, stomp.AckClientIndividual, append(opts, stomp.SubscribeOpt.Header("activemq.prefetchSize", probePrefetch))...)
}

// received records a probe message m that consumer got from dest on node.
func (env *Env) received(consumer, node, dest string, m *stomp.Message) {
	seq, _ := strconv.Atoi(m.Header.Get(hdrSeq))
	env.History.addDelivery(Delivery{Consumer: consumer, Producer: m.Header.Get(hdrProducer), Seq: seq, Node: node, Dest: dest,
		At: time.Now(), Redelivered: m.Header.Get("redelivered") == "true"})
}

// probe is a go-stomp connection whose Disconnect cannot hang: go-stomp
// waits for the broker's RECEIPT, and a broker under test may never send it.
type probe struct {
	*stomp.Conn
	nc net.Conn
}

func (p *probe) Disconnect() error {
	done := make(chan error, 1)
	go func() { done <- p.Conn.Disconnect() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		p.nc.Close()
		return fmt.Errorf("no RECEIPT for DISCONNECT within 5s; connection closed")
	}
}

// ProbeLog is a go-stomp warning or error, kept on the scenario's timeline.
const ProbeLog events.Kind = "probe-log"

// probeLogger keeps go-stomp's warnings and errors in the event stream, where
// reports show them next to what the brokers did, instead of interleaving
// them with progress output; its debug and info chatter is dropped.
type probeLogger struct {
	env  *Env
	node string
}

func (probeLogger) Debugf(string, ...any) {}
func (probeLogger) Infof(string, ...any)  {}
func (probeLogger) Debug(string)          {}
func (probeLogger) Info(string)           {}

func (l probeLogger) Warningf(format string, a ...any) { l.Warning(fmt.Sprintf(format, a...)) }
func (l probeLogger) Errorf(format string, a ...any)   { l.Error(fmt.Sprintf(format, a...)) }

func (l probeLogger) Warning(msg string) {
	l.env.Events.Emit(events.Event{Node: "probe@" + l.node, Kind: ProbeLog, Reason: "warning: " + msg})
}

func (l probeLogger) Error(msg string) {
	l.env.Events.Emit(events.Event{Node: "probe@" + l.node, Kind: ProbeLog, Reason: "error: " + msg})
}
