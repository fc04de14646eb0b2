package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/scenarios/bench"
)

var benchDoc = &doc{
	name: "bench",
	synopsis: "brokerlab bench [--size N[,N...]] [--shape closed,rate] [--producers N --consumers N --inflight N]\n" +
		"                       [--duration D | --count N] [--rate N --rate-duration D] [--json FILE] [--bridge]\n" +
		"                       [--target HOST:PORT [--tls --tls-ca F [--tls-cert F --tls-key F] [--server-name N]] [--broker-pid PID]\n" +
		"                        [--consume-at HOST:PORT [--consume-pid PID] [--consume-server-name N]]]",
	about: `Measures a STOMP broker: throughput, latency percentiles, and the broker's
CPU time per message. The clients are brokerlab's own lean STOMP 1.2
client (not go-stomp, which the scenario probes use: at ~6 µs per message it
would be slower than the broker it measures); consumers use ack auto.
Non-persistent messages are sent without receipts; persistent ones
(--delivery persistent) carry persistent:true and ask for a receipt each,
and count as sent when the broker confirms it has stored them.

Without --target, brokerlab starts its own broker as a child process (this
binary, 'brokerlab broker') with a plaintext listener and a listener that
requires a client certificate (mutual TLS; certificates generated into a
temporary directory), measures both, and stops it. With --target it drives
any STOMP endpoint instead, a real ActiveMQ for one, over plaintext or, with
--tls, over TLS; --broker-pid names that broker's process for the CPU figure.

Across a bridge, producers send to one broker (a spoke) and consumers receive
from another (the hub), to which the spoke forwards over a network bridge.
--bridge adds this to our own brokers' runs: two more child brokers, a hub
with a mutual-TLS listener and a spoke whose duplex bridge dials it over
mutual TLS (static://(ssl://HUB?serverName=hub)?name=spoke->hub&duplex=true),
each with its own certificate and data directory. Their row is
"tls-bridge"; its broker CPU is the spoke's and the hub's together, and the
table ends with the bridge against one broker over TLS
("tls-bridge/tls: 0.83× msgs/s", and the same ratio of broker CPU per
message). With --target, --consume-at HOST:PORT points the consumers at the
far broker of your own bridge (an ActiveMQ hub, say), with the same TLS,
login and --server-name flags (--consume-server-name when its certificate
carries another name); --consume-pid adds its process's CPU to
--broker-pid's. That row is "<transport> via bridge". Either way each run
first sends one message and waits until a consumer has it, so the window
opens only once the spoke has learned of the hub's consumers; that message
is not measured.

Two loads, one after the other, each on a fresh queue:
  closed   --producers producers and --consumers consumers on one queue,
           at most --inflight messages sent and not yet received: the
           broker's throughput, and latency at that load
  rate     one producer sending --rate msgs/s on a fixed schedule: latency
           at a load the broker carries easily
Each run warms up for --warmup, then measures for --duration (rate:
--rate-duration), or closed until --count messages; then the producers stop
and every message in flight is received before the connections close.

Every message carries its send time (header bench-ts, Unix nanoseconds); the
consumer records the difference in a log-linear (HDR-style) histogram with
0.8% precision: p50, p90, p99, p99.9, max (p90, p99.9 and max are in the
progress lines and --json). CPU times are read at both ends of the measured
window: the broker's from /proc/PID/stat (user + system, all its threads,
10 ms ticks), the load generator's, this process's, from getrusage. Both are
given in µs per message received, and the last line of the table gives the
cores each kept busy: with the broker in its own process, this is how to see
whether the generator, rather than the broker, limited the rate.

Progress goes to stderr, one line per run; the table to stdout. When both
transports were measured it ends with the TLS/plaintext ratio of msgs/s
("tls/plaintext: 0.78× msgs/s") and of broker CPU per message. Every run is
abandoned after --timeout. Measure on a quiet machine, and compare runs made
on the same one.`,
	examples: `  # the default: our broker, plaintext and mutual TLS, 1 KiB, 2×2 closed loop with
  # at most 1000 in flight for 5s, then 1000 msgs/s for 3s (about 25s)
  brokerlab bench

  # the full table: three sizes, stored and not, plaintext and TLS
  brokerlab bench --size 128,1024,16384 --delivery non-persistent,persistent --json out/bench.json

  # a real ActiveMQ on this machine, plaintext, with its JVM's CPU per message
  brokerlab bench --target 127.0.0.1:61613 --broker-pid "$(pgrep -f activemq.jar)"

  # the same over TLS, verifying the broker's certificate name
  brokerlab bench --target 127.0.0.1:61614 --tls --tls-ca ca.pem \
    --tls-cert client.pem --tls-key client-key.pem --server-name amq1

  # across a TLS bridge between two of our brokers, beside one broker (about 9s)
  brokerlab bench --bridge --shape closed --duration 3s

  # across your own ActiveMQ bridge: produce on the spoke, consume on the hub
  brokerlab bench --target 127.0.0.1:61614 --consume-at 127.0.0.1:61624 --tls --tls-ca ca.pem \
    --tls-cert client.pem --tls-key client-key.pem \
    --server-name amq-spoke --consume-server-name amq-hub \
    --broker-pid "$SPOKE_PID" --consume-pid "$HUB_PID"

  # a quick check that everything works
  brokerlab bench --count 500 --warmup 0 --rate-duration 200ms`,
	exits: `  0  measured; the table was printed
  1  a run failed or did not finish within --timeout, or the broker did not start
  2  bad flags`,
}

// benchFlags are the flags of `brokerlab bench`, parsed into options.
type benchFlags struct {
	opts     bench.Options
	jsonOut  string
	baseline string // the ratio's baseline transport, "" for none
	bridge   bool   // compare the tls-bridge row with the tls one
}

func parseBenchFlags(args []string, stdout, stderr io.Writer) (*benchFlags, int, bool) {
	fs := newFlags(benchDoc)
	sizes := &intList{values: []int{bench.DefaultSize}}
	fs.Var(sizes, "size", "message body size in `BYTES`; a comma list measures each (e.g. 128,1024,16384)")
	shapes := &choiceList{what: "load", values: []string{bench.ShapeClosed, bench.ShapeRate}}
	fs.Var(shapes, "shape", "the `LOADS` to run, in order: closed (closed loop), rate (fixed rate)")
	delivery := &choiceList{what: "delivery mode", values: []string{bench.NonPersistent}, allowed: []string{bench.NonPersistent, bench.Persistent}}
	fs.Var(delivery, "delivery", "`MODES` to run, in order: non-persistent, persistent (stored, with a receipt per message)")
	producers := fs.Int("producers", bench.DefaultProducers, "closed loop: `N` producers")
	consumers := fs.Int("consumers", bench.DefaultConsumers, "`N` consumers (both loads)")
	inflight := fs.Int("inflight", bench.DefaultInflight, "closed loop: at most `N` messages sent and not yet received")
	duration := fs.Duration("duration", bench.DefaultDuration, "closed loop: measure for `DURATION`")
	count := fs.Int("count", 0, "closed loop: measure `N` messages instead of a duration")
	rate := fs.Int("rate", bench.DefaultRate, "fixed rate: `N` msgs/s from one producer")
	rateDuration := fs.Duration("rate-duration", bench.DefaultRateDuration, "fixed rate: measure for `DURATION`")
	warmup := fs.Duration("warmup", bench.DefaultWarmup, "load before each measured window, not counted: `DURATION`")
	rounds := fs.Int("rounds", bench.DefaultRounds, "`N` rounds of every run; the median round is reported")
	timeout := fs.Duration("timeout", bench.DefaultRunTimeout, "abandon a run that takes longer than `DURATION`")
	jsonOut := fs.String("json", "", "also write the results as JSON to `FILE`")
	target := fs.String("target", "", "drive the STOMP endpoint at `HOST:PORT` instead of starting our broker")
	useTLS := fs.Bool("tls", false, "--target speaks TLS")
	var tf bench.TLSFiles
	fs.StringVar(&tf.CA, "tls-ca", "", "PEM `FILE` of the certificates to trust (--tls)")
	fs.StringVar(&tf.Cert, "tls-cert", "", "PEM client certificate `FILE`, for a broker that wants one (--tls)")
	fs.StringVar(&tf.Key, "tls-key", "", "PEM private key `FILE` of --tls-cert")
	fs.StringVar(&tf.ServerName, "server-name", "", "the `NAME` the broker's certificate must carry (default: the host of --target)")
	brokerPID := fs.Int("broker-pid", 0, "with --target: the broker's process `PID`, whose CPU time gives µs/msg")
	login := fs.String("login", "", "with --target: CONNECT login `USER`")
	passcode := fs.String("passcode", "", "with --target: CONNECT `PASSCODE`")
	bridge := fs.Bool("bridge", false, "also measure across a mutual-TLS bridge between two more of our brokers (producers → spoke → hub → consumers)")
	consumeAt := fs.String("consume-at", "", "with --target: consumers dial `HOST:PORT`, the far end of a bridge from --target")
	consumePID := fs.Int("consume-pid", 0, "with --consume-at: that broker's process `PID`, whose CPU time is added to --broker-pid's")
	consumeServerName := fs.String("consume-server-name", "", "with --consume-at --tls: the `NAME` its certificate must carry (default: --server-name, else its host)")
	pos, code, ok := parse(fs, benchDoc, args, stdout, stderr)
	if !ok {
		return nil, code, false
	}
	bad := func(format string, a ...any) (*benchFlags, int, bool) {
		return nil, usageError(stderr, benchDoc, format, a...), false
	}
	positive := map[string]int{"--producers": *producers, "--consumers": *consumers, "--inflight": *inflight, "--rate": *rate, "--rounds": *rounds}
	for _, name := range []string{"--producers", "--consumers", "--inflight", "--rate", "--rounds"} {
		if positive[name] <= 0 {
			return bad("%s must be positive, got %d", name, positive[name])
		}
	}
	switch {
	case len(pos) > 0:
		return bad("unexpected argument %q", pos[0])
	case *count < 0:
		return bad("--count must be positive, got %d", *count)
	case wasSet(fs, "count") && wasSet(fs, "duration"):
		return bad("give --duration or --count, not both")
	case *duration <= 0 || *rateDuration <= 0 || *timeout <= 0:
		return bad("--duration, --rate-duration and --timeout must be positive")
	case *warmup < 0:
		return bad("--warmup must not be negative, got %s", *warmup)
	}
	tlsFlag := ""
	fs.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "tls-") || f.Name == "server-name" {
			tlsFlag = "--" + f.Name
		}
	})
	if *target == "" {
		for _, name := range []string{"tls", "broker-pid", "login", "passcode", "consume-at"} {
			if wasSet(fs, name) {
				return bad("--%s applies to --target; without it brokerlab measures its own broker over both transports (add --bridge for a bridge of its own)", name)
			}
		}
		if tlsFlag != "" {
			return bad("%s applies to --target --tls", tlsFlag)
		}
	}
	if *bridge && *target != "" {
		return bad("--bridge starts brokers of our own and --target measures yours: to measure across your bridge, give --consume-at with --target instead")
	}
	if *consumeAt == "" {
		for _, name := range []string{"consume-pid", "consume-server-name"} {
			if wasSet(fs, name) {
				return bad("--%s applies to --consume-at, the consumers' broker across a bridge", name)
			}
		}
	}

	bf := &benchFlags{jsonOut: *jsonOut}
	o := &bf.opts
	o.Sizes, o.Shapes, o.Delivery = sizes.values, shapes.values, delivery.values
	o.Producers, o.Consumers, o.Inflight, o.Count = *producers, *consumers, *inflight, *count
	if *count == 0 {
		o.Duration = *duration
	}
	o.Rate, o.RateDuration, o.Rounds, o.RunTimeout = *rate, *rateDuration, *rounds, *timeout
	o.Warmup = *warmup
	if *warmup == 0 {
		o.Warmup = -1 // none, not the default
	}
	o.Progress = stderr

	if *target == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "brokerlab bench: cannot find this program to start the broker with: %v\n", err)
			return nil, exitFail, false
		}
		o.BrokerCommand = []string{exe, "broker"}
		o.Bridge, bf.bridge = *bridge, *bridge
		bf.baseline = bench.Plaintext
		return bf, exitOK, true
	}
	host, port, err := net.SplitHostPort(*target)
	if err != nil || host == "" || port == "" {
		return bad("--target %q: want HOST:PORT", *target)
	}
	if *brokerPID < 0 {
		return bad("--broker-pid must be a process id, got %d", *brokerPID)
	}
	t := bench.Target{Transport: bench.Plaintext, Addr: *target, PID: *brokerPID, Login: *login, Passcode: *passcode}
	consumeHost := ""
	if *consumeAt != "" {
		if consumeHost, port, err = net.SplitHostPort(*consumeAt); err != nil || consumeHost == "" || port == "" {
			return bad("--consume-at %q: want HOST:PORT, the broker the consumers dial", *consumeAt)
		}
		switch {
		case *consumePID < 0:
			return bad("--consume-pid must be a process id, got %d", *consumePID)
		case *consumePID > 0 && *brokerPID == 0:
			return bad("--consume-pid needs --broker-pid too: the CPU per message across a bridge is both brokers'")
		case *consumePID > 0 && *consumePID == *brokerPID:
			return bad("--consume-pid is --broker-pid: that process's CPU would count twice; leave --consume-pid out when one process runs both brokers")
		case !*useTLS && wasSet(fs, "consume-server-name"):
			return bad("--consume-server-name needs --tls")
		}
		t.ConsumeAddr, t.ConsumePID = *consumeAt, *consumePID
	}
	if !*useTLS && tlsFlag != "" {
		return bad("%s needs --tls", tlsFlag)
	}
	if *useTLS {
		if tf.CA == "" {
			return bad("--tls needs --tls-ca, the certificates that verify the broker")
		}
		if (tf.Cert == "") != (tf.Key == "") {
			return bad("--tls-cert and --tls-key go together")
		}
		consumeTF := tf
		consumeTF.ServerName = cmp.Or(*consumeServerName, tf.ServerName, consumeHost)
		tf.ServerName = cmp.Or(tf.ServerName, host)
		cfg, err := bench.ClientTLS(tf)
		if err != nil {
			fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
			return nil, exitUsage, false
		}
		t.Transport, t.TLS = bench.TLS, cfg
		if t.ConsumeAddr != "" {
			if t.ConsumeTLS, err = bench.ClientTLS(consumeTF); err != nil {
				fmt.Fprintf(stderr, "brokerlab bench: --consume-at: %v\n", err)
				return nil, exitUsage, false
			}
		}
	}
	if t.ConsumeAddr != "" {
		t.Transport = bench.ViaBridge(t.Transport)
	}
	o.Targets = []bench.Target{t}
	return bf, exitOK, true
}

func cmdBench(args []string, stdout, stderr io.Writer) int {
	bf, code, ok := parseBenchFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	ctx, stop := signalContext()
	defer stop()
	start := time.Now()
	results, err := bench.Run(ctx, bf.opts)
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stderr, "measured in %s\n\n", time.Since(start).Round(100*time.Millisecond))
	if err := reports.WriteBenchTable(stdout, results, bf.baseline); err != nil {
		fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
		return exitFail
	}
	if bf.bridge {
		// The table compares everything with plaintext; a bridge is judged
		// against one broker over the same transport.
		if err := reports.WriteBenchRatios(stdout, results, bench.BridgeTLS, bench.TLS); err != nil {
			fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
			return exitFail
		}
	}
	if bf.jsonOut != "" {
		if err := writeFile(bf.jsonOut, func(w io.Writer) error { return reports.WriteBenchJSON(w, results) }); err != nil {
			fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "results written to %s\n", bf.jsonOut)
	}
	return exitOK
}

// choiceList is a comma list of names from allowed (--shape, --delivery)
// whose default the first value given replaces.
type choiceList struct {
	what    string
	values  []string
	allowed []string // nil: the default values are the choices
	set     bool
}

func (l *choiceList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *choiceList) Set(v string) error {
	allowed := l.allowed
	if allowed == nil {
		allowed = l.values
	}
	if !l.set {
		l.allowed, l.values, l.set = allowed, nil, true
	}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(allowed, p) {
			return fmt.Errorf("%q is not a %s: use %s", p, l.what, strings.Join(allowed, ", "))
		}
		l.values = append(l.values, p)
	}
	return nil
}
