package main

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/scenarios/bench"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// A short bench of our broker, which the command starts as a child process
// (this binary, `brokerlab broker`): both loads over both transports, the
// table with latency and CPU columns and its ratio lines, and the JSON.
// Numbers are not asserted: they depend on the machine.
func TestBenchPrintsTable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	r := brokerlab(t, "bench", "--count", "300", "--warmup", "0", "--rate", "2000", "--rate-duration", "100ms",
		"--size", "64,1024", "--json", out)
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// The broker's CPU is counted in 10 ms ticks, which runs this short may
	// not reach: its column is not asserted here (scenarios/bench tests the
	// reading of /proc/PID/stat).
	for _, want := range []string{"tls/plaintext: ", "p99", "generator µs/msg",
		"closed 2×2/1000", "rate 2000/s", "cores busy during the throughput runs"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout has no %q:\n%s", want, r.stdout)
		}
	}
	if !strings.HasPrefix(r.stderr, "broker: pid ") || strings.Count(r.stderr, "round 1/1") != 8 {
		t.Errorf("stderr does not name the child broker and give 8 progress lines:\n%s", r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Name    string `json:"name"`
			Latency struct {
				Count int64 `json:"count"`
				P99   int64 `json:"p99_ns"`
			} `json:"latency"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Results) != 8 {
		t.Fatalf("JSON: %v, %d results:\n%s", err, len(doc.Results), data)
	}
	for _, res := range doc.Results {
		if res.Latency.Count == 0 || res.Latency.P99 <= 0 {
			t.Errorf("result %s has no latency: %+v", res.Name, res.Latency)
		}
	}
}

// --target drives any STOMP endpoint, here a broker in the test process,
// whose PID stands for --broker-pid. One transport: no ratio line.
func TestBenchTarget(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	r := brokerlab(t, "bench", "--target", b.Addr(), "--broker-pid", strconv.Itoa(os.Getpid()),
		"--shape", "closed", "--count", "200", "--warmup", "0", "--producers", "1", "--consumers", "1", "--inflight", "10")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "closed 1×1/10") || strings.Contains(r.stdout, "tls/plaintext") || strings.Contains(r.stderr, "broker: pid") {
		t.Errorf("want one closed-loop row for the target, no ratio, no broker of our own:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

func TestBenchFlags(t *testing.T) {
	bf, code, ok := parseBenchFlags(nil, io.Discard, io.Discard)
	if !ok {
		t.Fatalf("no flags: exit %d", code)
	}
	o := bf.opts
	if !slices.Equal(o.Sizes, []int{1024}) || !slices.Equal(o.Shapes, []string{"closed", "rate"}) ||
		o.Producers != 2 || o.Consumers != 2 || o.Inflight != 1000 || o.Duration != 5*time.Second || o.Count != 0 ||
		o.Rate != 1000 || o.RateDuration != 3*time.Second || o.Warmup != time.Second || o.Rounds != 1 ||
		len(o.Targets) != 0 || len(o.BrokerCommand) != 2 || o.BrokerCommand[1] != "broker" || bf.baseline != bench.Plaintext {
		t.Errorf("defaults: %+v, baseline %q", o, bf.baseline)
	}

	if !slices.Equal(o.Delivery, []string{"non-persistent"}) {
		t.Errorf("default delivery %v", o.Delivery)
	}

	bf, _, ok = parseBenchFlags([]string{"--shape", "rate", "--delivery", "persistent,non-persistent", "--warmup", "0", "--count", "50", "--size", "128,16384",
		"--target", "127.0.0.1:61613", "--broker-pid", "42", "--login", "u", "--passcode", "p"}, io.Discard, io.Discard)
	if !ok {
		t.Fatal("valid flags refused")
	}
	o = bf.opts
	if !slices.Equal(o.Shapes, []string{"rate"}) || !slices.Equal(o.Delivery, []string{"persistent", "non-persistent"}) || o.Warmup >= 0 || o.Count != 50 || o.Duration != 0 || !slices.Equal(o.Sizes, []int{128, 16384}) ||
		len(o.Targets) != 1 || bf.baseline != "" {
		t.Fatalf("parsed %+v, baseline %q", o, bf.baseline)
	}
	if tg := o.Targets[0]; tg.Addr != "127.0.0.1:61613" || tg.PID != 42 || tg.Transport != bench.Plaintext || tg.TLS != nil || tg.Login != "u" || tg.Passcode != "p" {
		t.Errorf("target %+v", tg)
	}
}

func TestBenchBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"--size", "0"}, {"--count", "-1"}, {"--size", "1k"}, {"extra"},
		{"--count", "10", "--duration", "1s"},
		{"--shape", "open"}, {"--delivery", "durable"}, {"--producers", "0"}, {"--inflight", "-1"}, {"--rate", "0"}, {"--warmup", "-1s"},
		{"--broker-pid", "1"},                             // without --target
		{"--tls"},                                         // without --target
		{"--tls-ca", "ca.pem"},                            // without --target
		{"--target", "nohostport"},                        // not HOST:PORT
		{"--target", "127.0.0.1:1", "--tls"},              // no --tls-ca
		{"--target", "127.0.0.1:1", "--tls-ca", "ca.pem"}, // without --tls
		{"--target", "127.0.0.1:1", "--tls", "--tls-ca", "/no/such/ca.pem"},
		{"--target", "127.0.0.1:1", "--tls", "--tls-ca", "ca.pem", "--tls-cert", "c.pem"}, // no key
	} {
		var stderr strings.Builder
		if _, code, ok := parseBenchFlags(args, io.Discard, &stderr); ok || code != exitUsage {
			t.Errorf("bench %v: ok %v, exit %d, want %d; stderr:\n%s", args, ok, code, exitUsage, stderr.String())
		}
	}
	// The binary says so too.
	if r := brokerlab(t, "bench", "--broker-pid", "1"); r.code != exitUsage || !strings.Contains(r.stderr, "--broker-pid applies to --target") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// A target that does not answer fails the run (exit 1) and says where.
func TestBenchTargetRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := brokerlab(t, "bench", "--target", addr, "--count", "10", "--warmup", "0")
	if r.code != exitFail || !strings.Contains(r.stderr, "connect 1 of") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// --bridge: two more child brokers bridged over mutual TLS; the table has
// a tls-bridge row per run and ends with the bridge against one broker
// over TLS; the JSON has the row too.
func TestBenchBridge(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	r := brokerlab(t, "bench", "--bridge", "--shape", "closed", "--count", "300", "--warmup", "0", "--json", out)
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"tls-bridge/plaintext: ", "tls-bridge/tls: ", "closed 2×2/1000  tls-bridge"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout has no %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "\nbridge: producers → spoke pid ") {
		t.Errorf("stderr does not describe the bridge:\n%s", r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Transport  string  `json:"transport"`
			MsgsPerSec float64 `json:"msgs_per_sec"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Results) != 3 || doc.Results[2].Transport != bench.BridgeTLS || doc.Results[2].MsgsPerSec <= 0 {
		t.Errorf("JSON: %v, want plaintext, tls and a tls-bridge result with msgs/s:\n%s", err, data)
	}
}

// --target with --consume-at: producers on one broker, consumers on
// another that it bridges to (both in the test process, whose PID stands
// for --broker-pid).
func TestBenchTargetViaBridge(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	spoke := brokertest.NewBroker(t, broker.Options{Name: "spoke",
		Connect: []string{"static://(tcp://" + hub.Addr() + ")?name=spoke->hub&duplex=true"}})
	r := brokerlab(t, "bench", "--target", spoke.Addr(), "--consume-at", hub.Addr(), "--broker-pid", strconv.Itoa(os.Getpid()),
		"--shape", "closed", "--count", "200", "--warmup", "0", "--producers", "1", "--consumers", "1", "--inflight", "10")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "plaintext via bridge") {
		t.Errorf("want a row labelled \"plaintext via bridge\":\n%s", r.stdout)
	}
	if got := hub.Stats().Network; len(got) != 1 || got[0].Received < 200 {
		t.Errorf("the hub's bridge took in %+v, want at least 200 messages from the spoke", got)
	}
}

func TestBenchBridgeFlags(t *testing.T) {
	bf, code, ok := parseBenchFlags([]string{"--bridge"}, io.Discard, io.Discard)
	if !ok || !bf.opts.Bridge || !bf.bridge || len(bf.opts.Targets) != 0 || bf.baseline != bench.Plaintext {
		t.Fatalf("--bridge: ok %v (exit %d), %+v", ok, code, bf)
	}

	bf, _, ok = parseBenchFlags([]string{"--target", "127.0.0.1:61613", "--consume-at", "127.0.0.1:61623",
		"--broker-pid", "42", "--consume-pid", "43"}, io.Discard, io.Discard)
	if !ok {
		t.Fatal("--target --consume-at refused")
	}
	if tg := bf.opts.Targets[0]; tg.Transport != "plaintext via bridge" || tg.Addr != "127.0.0.1:61613" || tg.ConsumeAddr != "127.0.0.1:61623" ||
		tg.PID != 42 || tg.ConsumePID != 43 || tg.ConsumeTLS != nil || bf.opts.Bridge || bf.bridge {
		t.Errorf("target %+v", tg)
	}

	// Over TLS each side verifies its own name: --server-name and
	// --consume-server-name, or the host dialled.
	ca := benchCA(t)
	for _, c := range []struct {
		extra              []string
		producers, consume string
	}{
		{nil, "127.0.0.1", "localhost"},
		{[]string{"--server-name", "amq"}, "amq", "amq"},
		{[]string{"--server-name", "amq-spoke", "--consume-server-name", "amq-hub"}, "amq-spoke", "amq-hub"},
	} {
		args := append([]string{"--target", "127.0.0.1:61614", "--consume-at", "localhost:61624", "--tls", "--tls-ca", ca}, c.extra...)
		bf, code, ok := parseBenchFlags(args, io.Discard, io.Discard)
		if !ok {
			t.Fatalf("%v: exit %d", args, code)
		}
		tg := bf.opts.Targets[0]
		if tg.Transport != "tls via bridge" || tg.TLS.ServerName != c.producers || tg.ConsumeTLS == nil || tg.ConsumeTLS.ServerName != c.consume {
			t.Errorf("%v: %s, server names %q and %+v, want %q and %q", args, tg.Transport, tg.TLS.ServerName, tg.ConsumeTLS, c.producers, c.consume)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--consume-at", "127.0.0.1:2"}, "--consume-at applies to --target"},
		{[]string{"--bridge", "--target", "127.0.0.1:1"}, "give --consume-at with --target instead"},
		{[]string{"--consume-pid", "2"}, "--consume-pid applies to --consume-at"},
		{[]string{"--target", "127.0.0.1:1", "--consume-pid", "2"}, "--consume-pid applies to --consume-at"},
		{[]string{"--target", "127.0.0.1:1", "--consume-server-name", "hub"}, "--consume-server-name applies to --consume-at"},
		{[]string{"--target", "127.0.0.1:1", "--consume-at", "nohostport"}, "--consume-at \"nohostport\": want HOST:PORT"},
		{[]string{"--target", "127.0.0.1:1", "--consume-at", "127.0.0.1:2", "--consume-pid", "2"}, "--consume-pid needs --broker-pid"},
		{[]string{"--target", "127.0.0.1:1", "--consume-at", "127.0.0.1:2", "--broker-pid", "2", "--consume-pid", "2"}, "count twice"},
		{[]string{"--target", "127.0.0.1:1", "--consume-at", "127.0.0.1:2", "--consume-pid", "-1"}, "--consume-pid must be a process id"},
		{[]string{"--target", "127.0.0.1:1", "--consume-at", "127.0.0.1:2", "--consume-server-name", "hub"}, "--consume-server-name needs --tls"},
	} {
		var stderr strings.Builder
		if _, code, ok := parseBenchFlags(c.args, io.Discard, &stderr); ok || code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("bench %v: ok %v, exit %d, want %d and %q; stderr:\n%s", c.args, ok, code, exitUsage, c.want, stderr.String())
		}
	}
}

// benchCA is a PEM certificate to trust, for flags that load one.
func benchCA(t *testing.T) string {
	t.Helper()
	spec := &topology.Spec{Name: "bench-flags", Nodes: []*topology.Node{
		{Name: "client", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"client"}}},
	}}
	m, err := pki.Generate(spec, t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Nodes["client"].TrustFile
}
