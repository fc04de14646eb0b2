package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Transport names, as reports.WriteBenchTable pairs them; Plaintext is the
// baseline of the ratio.
const (
	Plaintext = "plaintext"
	TLS       = "tls"
)

// Defaults.
const (
	DefaultSize       = 1024
	DefaultCount      = 20000
	DefaultRounds     = 3
	DefaultRunTimeout = 2 * time.Minute
)

// Options configure Run. Zero values take the defaults.
type Options struct {
	Sizes      []int         // message body sizes in bytes; default [1024]
	Count      int           // messages per run; default 20000
	Rounds     int           // runs per transport and size; the median is reported; default 3
	RunTimeout time.Duration // a run that takes longer is abandoned and Run fails; default 2m
	Progress   io.Writer     // one line per run; nil for none
}

func (o *Options) defaults() error {
	if len(o.Sizes) == 0 {
		o.Sizes = []int{DefaultSize}
	}
	if o.Count == 0 {
		o.Count = DefaultCount
	}
	if o.Rounds == 0 {
		o.Rounds = DefaultRounds
	}
	if o.RunTimeout == 0 {
		o.RunTimeout = DefaultRunTimeout
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	for _, s := range o.Sizes {
		if s <= 0 {
			return fmt.Errorf("bench: Sizes: %d is not a positive size", s)
		}
	}
	switch {
	case o.Count < 0:
		return fmt.Errorf("bench: Count: %d is not a positive number of messages", o.Count)
	case o.Rounds < 0:
		return fmt.Errorf("bench: Rounds: %d is not a positive number of rounds", o.Rounds)
	case o.RunTimeout < 0:
		return fmt.Errorf("bench: RunTimeout: %s is negative", o.RunTimeout)
	}
	return nil
}

// Run starts one broker with a plaintext and a mutual-TLS listener, measures
// every size over both, and returns one result per transport and size, in
// size order, plaintext first: the order reports.WriteBenchTable prints.
func Run(ctx context.Context, o Options) ([]reports.BenchResult, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	lab, err := newLab()
	if err != nil {
		return nil, err
	}
	defer lab.close()

	type key struct {
		size      int
		transport string
	}
	durations := map[key][]time.Duration{}
	seq := 0
	for round := 1; round <= o.Rounds; round++ {
		for _, size := range o.Sizes {
			for _, tr := range lab.transports {
				seq++
				d, err := tr.measure(ctx, size, o.Count, seq, o.RunTimeout)
				if err != nil {
					return nil, fmt.Errorf("bench: round %d, %s, %d B: %w", round, tr.name, size, err)
				}
				k := key{size, tr.name}
				durations[k] = append(durations[k], d)
				r := result(tr.name, size, o.Count, d)
				fmt.Fprintf(o.Progress, "round %d/%d  %-9s  %6d B × %d  %8.3fs  %9.0f msgs/s  %8.2f MB/s\n",
					round, o.Rounds, tr.name, size, o.Count, d.Seconds(), r.MsgsPerSec(), r.MBPerSec())
			}
		}
	}
	var out []reports.BenchResult
	for _, size := range o.Sizes {
		for _, tr := range lab.transports {
			out = append(out, result(tr.name, size, o.Count, median(durations[key{size, tr.name}])))
		}
	}
	return out, nil
}

func result(transport string, size, count int, d time.Duration) reports.BenchResult {
	return reports.BenchResult{Transport: transport, MessageSize: size, Messages: count, Bytes: int64(size) * int64(count), Duration: d}
}

// median of the run times; with an even number of runs, the mean of the
// middle two.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// lab is the broker under test, its certificates and the two ways in.
type lab struct {
	dir        string
	broker     *broker.Broker
	transports []*transport
}

// transport is one way to reach the broker: an address, and a client TLS
// configuration for the TLS listener (nil for plaintext).
type transport struct {
	name string
	addr string
	tls  *tls.Config
}

// newLab makes a throwaway PKI (the broker and one client, each trusting
// the other's self-signed certificate) and starts the broker.
func newLab() (_ *lab, err error) {
	dir, err := os.MkdirTemp("", "brokerlab-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	l := &lab{dir: dir}
	defer func() {
		if err != nil {
			l.close()
		}
	}()
	spec := &topology.Spec{Name: "bench", Nodes: []*topology.Node{
		{Name: "broker", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"broker", "client"}}},
		{Name: "client", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"broker"}}},
	}}
	mat, err := pki.Generate(spec, dir, pki.Options{})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	files := func(name string) tlsconf.Files {
		nf := mat.Nodes[name]
		return tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile}
	}
	b, err := broker.New(broker.Options{
		Name:   "broker",
		Listen: []string{"stomp://127.0.0.1:0", "stomp+ssl://127.0.0.1:0?needClientAuth=true"},
		TLS:    files("broker"),
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := b.Start(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	l.broker = b
	m, err := tlsconf.Load(files("client"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	// The broker's certificate names it "broker"; verify that, not the
	// loopback address.
	cfg, err := tlsconf.ClientConfig(m, "broker")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	ls := b.Listeners()
	l.transports = []*transport{{name: Plaintext, addr: ls[0].Addr}, {name: TLS, addr: ls[1].Addr, tls: cfg}}
	return l, nil
}

func (l *lab) close() {
	if l.broker != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.broker.Shutdown(ctx)
	}
	os.RemoveAll(l.dir)
}

// client is a go-stomp connection and the socket under it, which the run's
// deadline closes to unblock whatever is waiting.
type client struct {
	*stomp.Conn
	nc net.Conn
}

func (t *transport) dial(ctx context.Context, timeout time.Duration) (*client, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if t.tls != nil {
		tc := tls.Client(nc, t.tls.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		nc = tc
	}
	c, err := stomp.ConnectWithContext(ctx, nc,
		stomp.ConnOpt.Host("broker"),
		// No heart-beats: their frames would be measured too, and the run
		// has its own deadline.
		stomp.ConnOpt.HeartBeat(0, 0),
		// A Send that blocks because the broker pushes back through TCP is
		// the point of the measurement; let it block up to the run's
		// deadline instead of go-stomp's default 10s.
		stomp.ConnOpt.MsgSendTimeout(timeout),
		stomp.ConnOpt.RcvReceiptTimeout(timeout),
		stomp.ConnOpt.DisconnectReceiptTimeout(5*time.Second),
		stomp.ConnOpt.UnsubscribeReceiptTimeout(5*time.Second),
	)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &client{Conn: c, nc: nc}, nil
}

// measure runs one transfer: count messages of size bytes from a producer
// to a consumer subscribed (ack auto) before the first send. Only the last
// message asks for a receipt, so the producer is held back by TCP flow
// control, not by round trips. The time runs from the first send to the
// last message received.
func (t *transport) measure(ctx context.Context, size, count, seq int, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	consumer, err := t.dial(ctx, timeout)
	if err != nil {
		return 0, fmt.Errorf("consumer: %w", err)
	}
	producer, err := t.dial(ctx, timeout)
	if err != nil {
		consumer.nc.Close()
		return 0, fmt.Errorf("producer: %w", err)
	}
	// The deadline closes the sockets: every blocked Send, receipt wait and
	// channel read then ends with an error, so a stuck run stops by itself.
	stop := context.AfterFunc(ctx, func() { consumer.nc.Close(); producer.nc.Close() })
	var sub *stomp.Subscription
	defer func() {
		if stop() { // the deadline has not struck: leave politely
			if sub != nil {
				// Without it go-stomp logs the subscription's end as an error.
				sub.Unsubscribe()
			}
			consumer.Disconnect()
			producer.Disconnect()
		}
		consumer.nc.Close()
		producer.nc.Close()
	}()

	dest := fmt.Sprintf("/queue/bench.%d", seq)
	sub, err = consumer.Subscribe(dest, stomp.AckAuto)
	if err != nil {
		return 0, fmt.Errorf("subscribe: %w", err)
	}
	// go-stomp sends SUBSCRIBE without waiting. A receipted frame on the
	// same connection proves the broker has processed it (frames of one
	// connection are handled in order), so timing starts with the
	// consumer in place. A topic with no subscriber keeps nothing.
	if err := consumer.Send("/topic/bench.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		return 0, fmt.Errorf("consumer fence: %w", ctxErr(ctx, err, timeout))
	}

	done := make(chan error, 1)
	var end time.Time
	go func() {
		for n := 0; n < count; n++ {
			m, ok := <-sub.C
			switch {
			case !ok:
				done <- fmt.Errorf("subscription closed after %d of %d messages", n, count)
				return
			case m.Err != nil:
				done <- fmt.Errorf("after %d of %d messages: %w", n, count, m.Err)
				return
			case n == count-1 && len(m.Body) != size:
				done <- fmt.Errorf("last message has %d bytes, sent %d", len(m.Body), size)
				return
			}
		}
		end = time.Now()
		done <- nil
	}()

	body := bytes.Repeat([]byte("brokerlab"), size/9+1)[:size]
	start := time.Now()
	for i := 0; i < count; i++ {
		var err error
		if i == count-1 {
			err = producer.Send(dest, "application/octet-stream", body, stomp.SendOpt.Receipt)
		} else {
			err = producer.Send(dest, "application/octet-stream", body)
		}
		if err != nil {
			return 0, fmt.Errorf("send %d of %d: %w", i+1, count, ctxErr(ctx, err, timeout))
		}
	}
	select {
	case err := <-done:
		if err != nil {
			return 0, ctxErr(ctx, err, timeout)
		}
	case <-ctx.Done():
		return 0, ctxErr(ctx, ctx.Err(), timeout)
	}
	return end.Sub(start), nil
}

// ctxErr says "did not finish within 2m0s" rather than "use of closed
// network connection" when the deadline is what broke the run.
func ctxErr(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the run did not finish within %s (%w); last error: %v", timeout, context.DeadlineExceeded, err)
	}
	return err
}
