package bench

import (
	"cmp"
	"context"
	"crypto/tls"
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
// baseline of the ratio. BridgeTLS is the path across a mutual-TLS bridge
// between two of our brokers (Options.Bridge), which BridgeVerdicts
// compares with TLS.
const (
	Plaintext = "plaintext"
	TLS       = "tls"
	BridgeTLS = "tls-bridge"
)

// ViaBridge labels a target whose consumers dial another broker than its
// producers (Target.ConsumeAddr): "tls via bridge".
func ViaBridge(transport string) string { return transport + " via bridge" }

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
	// Bridge, without Targets, also starts a hub and a spoke bridged to it
	// over mutual TLS, and measures a third way in, BridgeTLS: producers
	// on the spoke, consumers on the hub.
	Bridge bool
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
	case len(o.Targets) > 0 && o.Bridge:
		return fmt.Errorf("bench: Bridge starts brokers of our own and Targets are someone else's: give Targets a ConsumeAddr to measure across their bridge instead")
	}
	for i, t := range o.Targets {
		switch {
		case t.Addr == "" || t.Transport == "":
			return fmt.Errorf("bench: Targets[%d]: want an address and a transport name", i)
		case t.ConsumePID > 0 && t.PID <= 0:
			return fmt.Errorf("bench: Targets[%d]: ConsumePID without PID would count one broker of the two; give both, or neither", i)
		case t.ConsumePID > 0 && t.ConsumeAddr == "":
			return fmt.Errorf("bench: Targets[%d]: ConsumePID without ConsumeAddr: the consumers' broker is the producers' (PID)", i)
		case t.ConsumePID > 0 && t.ConsumePID == t.PID:
			return fmt.Errorf("bench: Targets[%d]: ConsumePID is PID: one process's CPU would count twice; leave ConsumePID out when one process runs both brokers", i)
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
	var l *lab
	if len(targets) == 0 {
		var err error
		if l, err = newLab(ctx, o.BrokerCommand, o.Bridge); err != nil {
			return nil, err
		}
		defer l.close()
		targets = l.targets
		fmt.Fprintln(o.Progress, strings.Join(l.lines, "\n"))
	}
	for _, t := range targets {
		if err := checkPIDs(t); err != nil {
			return nil, err
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
						if l != nil {
							if why := l.exited(); why != "" {
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
						fmt.Fprintf(o.Progress, "warning: process %v used no CPU time while %d messages went through: is it the broker's process (the JVM itself, not a script that started it)?\n", t.pids(), m.messages)
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

// checkPIDs fails early, naming the flag, when a target's broker process
// cannot be read.
func checkPIDs(t Target) error {
	for _, p := range []struct {
		pid  int
		flag string
	}{{t.PID, "--broker-pid"}, {t.ConsumePID, "--consume-pid"}} {
		if p.pid <= 0 {
			continue
		}
		if _, err := ProcCPU(p.pid); err != nil {
			return fmt.Errorf("%w (is %s the broker's process?)", err, p.flag)
		}
	}
	return nil
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
	fmt.Fprintf(&b, "%-16s %-10s %6d B  %6d msgs in %5.2fs  %7.0f msgs/s  %7.2f MB/s",
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
// the two ways in; with a bridge, two more brokers and a third way in.
type lab struct {
	dir      string
	children []*Child
	targets  []Target
	lines    []string // what was started, for the progress output
}

// newLab makes a throwaway PKI (the broker and one client, each trusting
// the other's self-signed certificate) and starts the broker with
// brokerCmd, with a plaintext and a mutual-TLS listener on loopback and a
// data directory for persistent messages. With bridge it also starts a hub
// and a spoke bridged to it (addBridge).
func newLab(ctx context.Context, brokerCmd []string, bridge bool) (_ *lab, err error) {
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
	if err := l.addBroker(ctx, brokerCmd); err != nil {
		return nil, err
	}
	if bridge {
		if err := l.addBridge(ctx, brokerCmd); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// addBroker starts the single broker, reached over plaintext and mutual
// TLS.
func (l *lab) addBroker(ctx context.Context, brokerCmd []string) error {
	spec := &topology.Spec{Name: "bench", Nodes: []*topology.Node{
		{Name: "broker", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"broker", "client"}}},
		{Name: "client", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"broker"}}},
	}}
	mat, err := pki.Generate(spec, l.dir, pki.Options{})
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	bf, cf := mat.Nodes["broker"], mat.Nodes["client"]
	child, err := l.start(ctx, brokerCmd,
		"--name", "broker",
		"--listen", "stomp://127.0.0.1:0",
		"--listen", "stomp+ssl://127.0.0.1:0?needClientAuth=true",
		"--tls-cert", bf.CertFile, "--tls-key", bf.KeyFile, "--tls-ca", bf.TrustFile,
		"--data", filepath.Join(l.dir, "data"))
	if err != nil {
		return err
	}
	// The broker's certificate names it "broker"; verify that, not the
	// loopback address.
	cfg, err := clientConfig(cf, "broker")
	if err != nil {
		return err
	}
	plain, err := listenerAddr(child, "stomp://")
	if err != nil {
		return err
	}
	secure, err := listenerAddr(child, "stomp+ssl://")
	if err != nil {
		return err
	}
	pid := child.PID
	l.targets = append(l.targets,
		Target{Transport: Plaintext, Addr: plain, Host: "broker", PID: pid},
		Target{Transport: TLS, Addr: secure, TLS: cfg, Host: "broker", PID: pid})
	l.lines = append(l.lines, fmt.Sprintf("broker: pid %d, %s %s, %s %s", pid, Plaintext, plain, TLS, secure))
	return nil
}

// start runs brokerCmd with args as one of the lab's children.
func (l *lab) start(ctx context.Context, brokerCmd []string, args ...string) (*Child, error) {
	child, err := StartChild(ctx, append(slices.Clone(brokerCmd), args...))
	if err != nil {
		return nil, err
	}
	l.children = append(l.children, child)
	return child, nil
}

// exited explains a failed run by a child that has died, or is "".
func (l *lab) exited() string {
	for _, c := range l.children {
		if gone, why := c.Exited(); gone {
			return why
		}
	}
	return ""
}

func (l *lab) close() {
	for _, c := range l.children {
		c.Stop()
	}
	os.RemoveAll(l.dir)
}

// clientConfig is the load generator's side of mutual TLS with files f,
// verifying that the broker's certificate names serverName.
func clientConfig(f *pki.NodeFiles, serverName string) (*tls.Config, error) {
	m, err := tlsconf.Load(tlsconf.Files{CertFile: f.CertFile, KeyFile: f.KeyFile, TrustFile: f.TrustFile})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg, err := tlsconf.ClientConfig(m, serverName)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return cfg, nil
}

// listenerAddr is the address of c's listener whose URI starts with
// scheme, from its ready line.
func listenerAddr(c *Child, scheme string) (string, error) {
	for _, ls := range c.Listeners {
		if strings.HasPrefix(ls.URI, scheme) {
			return ls.Addr, nil
		}
	}
	return "", fmt.Errorf("bench: broker %s's ready line lists %+v: want a %s listener", c.Node, c.Listeners, scheme)
}
