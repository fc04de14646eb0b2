package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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

// Shape names for Options.Shapes.
const (
	ShapeClosed = "closed" // closed loop: throughput, latency under load, CPU per message
	ShapeRate   = "rate"   // fixed rate: latency at a load the broker can carry
)

// Delivery modes for Options.Delivery.
const (
	NonPersistent = "non-persistent"
	Persistent    = "persistent"
)

// Defaults: the load of the ActiveMQ figures we compare with (2 producers,
// 2 consumers, one queue, at most 1000 messages in flight, 1 KiB), then
// 1000 msgs/s for latency.
const (
	DefaultSize         = 1024
	DefaultProducers    = 2
	DefaultConsumers    = 2
	DefaultInflight     = 1000
	DefaultDuration     = 5 * time.Second
	DefaultRate         = 1000
	DefaultRateDuration = 3 * time.Second
	DefaultWarmup       = time.Second
	DefaultRounds       = 1
	DefaultRunTimeout   = 2 * time.Minute
)

// Options configure Run. Zero values take the defaults.
type Options struct {
	Sizes  []int    // message body sizes in bytes; default [1024]
	Shapes []string // ShapeClosed, ShapeRate, in the order to run; default both
	// Delivery is NonPersistent, Persistent or both, in the order to run;
	// default NonPersistent. Persistent messages are sent with receipts.
	Delivery []string

	Producers int           // closed loop; default 2
	Consumers int           // both shapes; default 2
	Inflight  int           // closed loop: most messages sent and not yet received; default 1000
	Duration  time.Duration // closed loop: the measured window; default 5s
	Count     int           // closed loop: measure this many messages instead of Duration

	Rate         int           // fixed rate, msgs/s from one producer; default 1000
	RateDuration time.Duration // fixed rate: the measured window; default 3s

	Warmup     time.Duration // load before every window, not measured; default 1s, negative for none
	Rounds     int           // runs of everything; the median round is reported; default 1
	RunTimeout time.Duration // a run taking longer is abandoned and Run fails; default 2m

	// Targets are the brokers to measure. None: Run starts our broker as a
	// child process with BrokerCommand, with a plaintext and a mutual-TLS
	// listener, and measures both.
	Targets []Target
	// BrokerCommand runs `brokerlab broker` (e.g. [os.Executable(),
	// "broker"]); Run adds the name, listener and TLS flags.
	BrokerCommand []string
	// Progress gets one line per run, and the child broker's address; nil
	// for none.
	Progress io.Writer
}

func (o *Options) defaults() error {
	if len(o.Sizes) == 0 {
		o.Sizes = []int{DefaultSize}
	}
	if len(o.Shapes) == 0 {
		o.Shapes = []string{ShapeClosed, ShapeRate}
	}
	if len(o.Delivery) == 0 {
		o.Delivery = []string{NonPersistent}
	}
	for _, d := range o.Delivery {
		if d != NonPersistent && d != Persistent {
			return fmt.Errorf("bench: Delivery: unknown mode %q; use %q or %q", d, NonPersistent, Persistent)
		}
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Producers, DefaultProducers)
	def(&o.Consumers, DefaultConsumers)
	def(&o.Inflight, DefaultInflight)
	def(&o.Rate, DefaultRate)
	def(&o.Rounds, DefaultRounds)
	if o.Count == 0 {
		defD(&o.Duration, DefaultDuration)
	}
	defD(&o.RateDuration, DefaultRateDuration)
	defD(&o.Warmup, DefaultWarmup)
	defD(&o.RunTimeout, DefaultRunTimeout)
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	for _, s := range o.Sizes {
		if s <= 0 {
			return fmt.Errorf("bench: Sizes: %d is not a positive size", s)
		}
	}
	for _, s := range o.Shapes {
		if s != ShapeClosed && s != ShapeRate {
			return fmt.Errorf("bench: Shapes: unknown shape %q; use %q or %q", s, ShapeClosed, ShapeRate)
		}
	}
	switch {
	case o.Producers < 0, o.Consumers < 0, o.Inflight < 0:
		return fmt.Errorf("bench: Producers, Consumers, Inflight: %d, %d, %d: want positive numbers", o.Producers, o.Consumers, o.Inflight)
	case o.Count < 0:
		return fmt.Errorf("bench: Count: %d is not a positive number of messages", o.Count)
	case o.Rate < 0:
		return fmt.Errorf("bench: Rate: %d is not a positive rate", o.Rate)
	case o.Duration < 0 || o.RateDuration < 0:
		return fmt.Errorf("bench: Duration, RateDuration: %s, %s: want positive durations", o.Duration, o.RateDuration)
	case o.Rounds < 0:
		return fmt.Errorf("bench: Rounds: %d is not a positive number of rounds", o.Rounds)
	case o.RunTimeout < 0:
		return fmt.Errorf("bench: RunTimeout: %s is negative", o.RunTimeout)
	case len(o.Targets) == 0 && len(o.BrokerCommand) == 0:
		return fmt.Errorf("bench: no Targets, and no BrokerCommand to start our broker with")
	}
	for i, t := range o.Targets {
		if t.Addr == "" || t.Transport == "" {
			return fmt.Errorf("bench: Targets[%d]: want an address and a transport name", i)
		}
	}
	return nil
}

// shapes turns the options into the loads to run.
func (o *Options) shapes() []Shape {
	var out []Shape
	for _, d := range o.Delivery {
		persistent := d == Persistent
		for _, s := range o.Shapes {
			switch s {
			case ShapeClosed:
				out = append(out, Shape{Producers: o.Producers, Consumers: o.Consumers, Inflight: o.Inflight,
					Warmup: o.Warmup, Duration: o.Duration, Count: o.Count, Persistent: persistent})
			case ShapeRate:
				out = append(out, Shape{Producers: 1, Consumers: o.Consumers, Rate: o.Rate,
					Warmup: o.Warmup, Duration: o.RateDuration, Persistent: persistent})
			}
		}
	}
	return out
}

// Run measures every shape, size and target, round after round, and
// returns one result per shape, size and target (the median round's), in
// that order: the order reports.WriteBenchTable prints. Within a round,
// the targets take turns at each shape and size, so that a slow moment of
// the machine hurts them alike.
func Run(ctx context.Context, o Options) ([]reports.BenchResult, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	targets := o.Targets
	var child *Child
	if len(targets) == 0 {
		l, err := newLab(ctx, o.BrokerCommand)
		if err != nil {
			return nil, err
		}
		defer l.close()
		child, targets = l.child, l.targets
		fmt.Fprintf(o.Progress, "broker: pid %d, %s\n", child.PID, l.describe())
	}
	for _, t := range targets {
		if t.PID > 0 {
			if _, err := ProcCPU(t.PID); err != nil {
				return nil, fmt.Errorf("%w (is --broker-pid the broker's process?)", err)
			}
		}
	}

	type key struct {
		shape     string
		size      int
		transport string
	}
	rounds := map[key][]reports.BenchResult{}
	runID := strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)
	seq := 0
	for round := 1; round <= o.Rounds; round++ {
		for _, sh := range o.shapes() {
			for _, size := range o.Sizes {
				for _, t := range targets {
					seq++
					dest := fmt.Sprintf("/queue/brokerlab.bench.%s.%d", runID, seq)
					m, err := t.run(ctx, sh, size, dest, o.RunTimeout)
					if err != nil {
						if child != nil {
							if gone, why := child.Exited(); gone {
								err = fmt.Errorf("%w; %s", err, why)
							}
						}
						return nil, fmt.Errorf("bench: round %d, %s, %s, %d B: %w", round, sh.Name(), t.Transport, size, err)
					}
					r := result(sh, t.Transport, size, m)
					k := key{sh.Name(), size, t.Transport}
					rounds[k] = append(rounds[k], r)
					fmt.Fprintf(o.Progress, "round %d/%d  %s\n", round, o.Rounds, progressLine(r, m))
					if t.PID > 0 && m.brokerCPU == 0 && m.messages > 0 && m.window >= time.Second {
						// Not one clock tick in a second of traffic: the
						// PID is some other process (a wrapper script, a
						// shell), and every CPU figure would be missing.
						fmt.Fprintf(o.Progress, "warning: process %d used no CPU time while %d messages went through: is it the broker's process (the JVM itself, not a script that started it)?\n", t.PID, m.messages)
					}
				}
			}
		}
	}
	var out []reports.BenchResult
	for _, sh := range o.shapes() {
		for _, size := range o.Sizes {
			for _, t := range targets {
				out = append(out, medianRound(rounds[key{sh.Name(), size, t.Transport}]))
			}
		}
	}
	return out, nil
}

func result(sh Shape, transport string, size int, m measurement) reports.BenchResult {
	r := reports.BenchResult{Name: sh.Name(), Transport: transport, MessageSize: size,
		Messages: m.messages, Bytes: int64(size) * int64(m.messages), Duration: m.window,
		Rate: sh.Rate, Latency: m.hist.Summary(), GeneratorCPU: m.generatorCPU}
	if m.brokerCPU >= 0 {
		// 0 ticks in a window too short to see one reads as "not
		// measured", which is what it amounts to.
		r.BrokerCPU = m.brokerCPU
	}
	return r
}

func progressLine(r reports.BenchResult, m measurement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-9s %6d B  %6d msgs in %5.2fs  %7.0f msgs/s  %7.2f MB/s",
		r.Name, r.Transport, r.MessageSize, r.Messages, r.Duration.Seconds(), r.MsgsPerSec(), r.MBPerSec())
	if r.Latency.Count > 0 {
		fmt.Fprintf(&b, "  p50 %s p99 %s max %s", reports.FormatLatency(r.Latency.P50),
			reports.FormatLatency(r.Latency.P99), reports.FormatLatency(r.Latency.Max))
	}
	if x := r.BrokerMicrosPerMsg(); !math.IsNaN(x) {
		fmt.Fprintf(&b, "  broker %.1f µs/msg (%.2f cores)", x, r.BrokerCores())
	}
	if x := r.GeneratorMicrosPerMsg(); !math.IsNaN(x) {
		fmt.Fprintf(&b, "  generator %.1f µs/msg (%.2f cores)", x, r.GeneratorCores())
	}
	if r.Rate > 0 && m.lag > 10*time.Millisecond {
		fmt.Fprintf(&b, "  (the producer fell up to %s behind its schedule)", m.lag.Round(time.Millisecond))
	}
	return b.String()
}

// medianRound is the round with the median msgs/s for a throughput run,
// or the median p99 latency for a fixed-rate run (lower middle for an even
// number of rounds), reported whole so its figures belong together.
func medianRound(rs []reports.BenchResult) reports.BenchResult {
	s := slices.Clone(rs)
	slices.SortStableFunc(s, func(a, b reports.BenchResult) int {
		if a.Rate > 0 {
			return cmp.Compare(a.Latency.P99, b.Latency.P99)
		}
		return cmp.Compare(a.MsgsPerSec(), b.MsgsPerSec())
	})
	return s[(len(s)-1)/2]
}

// lab is our broker under test, as a child process, its certificates and
// the two ways in.
type lab struct {
	dir     string
	child   *Child
	targets []Target
}

// newLab makes a throwaway PKI (the broker and one client, each trusting
// the other's self-signed certificate) and starts the broker with
// brokerCmd, with a plaintext and a mutual-TLS listener on loopback and a
// data directory for persistent messages.
func newLab(ctx context.Context, brokerCmd []string) (_ *lab, err error) {
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
	bf, cf := mat.Nodes["broker"], mat.Nodes["client"]
	argv := append(slices.Clone(brokerCmd),
		"--name", "broker",
		"--listen", "stomp://127.0.0.1:0",
		"--listen", "stomp+ssl://127.0.0.1:0?needClientAuth=true",
		"--tls-cert", bf.CertFile, "--tls-key", bf.KeyFile, "--tls-ca", bf.TrustFile,
		"--data", filepath.Join(dir, "data"))
	if l.child, err = StartChild(ctx, argv); err != nil {
		return nil, err
	}
	m, err := tlsconf.Load(tlsconf.Files{CertFile: cf.CertFile, KeyFile: cf.KeyFile, TrustFile: cf.TrustFile})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	// The broker's certificate names it "broker"; verify that, not the
	// loopback address.
	cfg, err := tlsconf.ClientConfig(m, "broker")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var plain, secure string
	for _, ls := range l.child.Listeners {
		switch {
		case strings.HasPrefix(ls.URI, "stomp://"):
			plain = ls.Addr
		case strings.HasPrefix(ls.URI, "stomp+ssl://"):
			secure = ls.Addr
		}
	}
	if plain == "" || secure == "" {
		return nil, fmt.Errorf("bench: the broker's ready line lists %+v: want a stomp:// and a stomp+ssl:// listener", l.child.Listeners)
	}
	pid := l.child.PID
	l.targets = []Target{
		{Transport: Plaintext, Addr: plain, Host: "broker", PID: pid},
		{Transport: TLS, Addr: secure, TLS: cfg, Host: "broker", PID: pid},
	}
	return l, nil
}

func (l *lab) describe() string {
	var parts []string
	for _, t := range l.targets {
		parts = append(parts, t.Transport+" "+t.Addr)
	}
	return strings.Join(parts, ", ")
}

func (l *lab) close() {
	if l.child != nil {
		l.child.Stop()
	}
	os.RemoveAll(l.dir)
}
