package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/reports"
)

// The test binary doubles as the child broker: run with "broker" as its
// first argument it behaves like `brokerlab broker` (the same flags, the
// same ready line), so Run's child-process path is tested without building
// the CLI. cmd/brokerlab's tests run the real one.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "broker" {
		os.Exit(childBroker(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func childBroker(args []string) int {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	name := fs.String("name", "", "")
	var listen listFlag
	fs.Var(&listen, "listen", "")
	var files tlsconf.Files
	fs.StringVar(&files.CertFile, "tls-cert", "", "")
	fs.StringVar(&files.KeyFile, "tls-key", "", "")
	fs.StringVar(&files.TrustFile, "tls-ca", "", "")
	data := fs.String("data", "", "")
	var connect listFlag
	fs.Var(&connect, "connect", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	b, err := broker.New(broker.Options{Name: *name, Listen: listen, Connect: connect, TLS: files, DataDir: *data,
		AdminAddr: "127.0.0.1:0"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := b.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	line, _ := json.Marshal(map[string]any{"event": "ready", "node": b.Name(), "listeners": b.Listeners(), "admin": b.AdminAddr()})
	os.Stdout.Write(append(line, '\n'))
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Shutdown(sctx); err != nil {
		return 1
	}
	return 0
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// brokerCmd starts this test binary as a broker.
func brokerCmd(t *testing.T) []string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, "broker"}
}

// tiny is a run small enough for a unit test: counts, not durations, and
// no warm-up. Every run still has its deadline.
func tiny(t *testing.T) Options {
	return Options{
		Sizes: []int{64, 1024}, Producers: 2, Consumers: 2, Inflight: 20, Count: 200,
		Rate: 2000, RateDuration: 50 * time.Millisecond, Warmup: -1, RunTimeout: 30 * time.Second,
		BrokerCommand: brokerCmd(t),
	}
}

// Our broker as a child process, over plaintext and mutual TLS, both
// shapes: one result per shape, size and transport, in the table's order,
// each with latencies; the broker's CPU is read from the child's
// /proc/PID/stat.
func TestBenchRunClosedLoopAndRateAgainstChild(t *testing.T) {
	var progress bytes.Buffer
	o := tiny(t)
	o.Progress = &progress
	results, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		name, transport string
		size            int
	}
	var wants []want
	for _, name := range []string{"closed 2×2/20", "rate 2000/s"} {
		for _, size := range []int{64, 1024} {
			wants = append(wants, want{name, Plaintext, size}, want{name, TLS, size})
		}
	}
	if len(results) != len(wants) {
		t.Fatalf("%d results, want %d: %+v", len(results), len(wants), results)
	}
	for i, w := range wants {
		r := results[i]
		if r.Name != w.name || r.Transport != w.transport || r.MessageSize != w.size {
			t.Errorf("result %d is %s %s %d B, want %s %s %d B", i, r.Name, r.Transport, r.MessageSize, w.name, w.transport, w.size)
		}
		if r.Messages <= 0 || r.Duration <= 0 || r.Bytes != int64(r.Messages*r.MessageSize) {
			t.Errorf("result %d: %d messages, %d bytes in %s", i, r.Messages, r.Bytes, r.Duration)
		}
		if r.Rate == 0 && r.Messages < 200 {
			t.Errorf("result %d: closed loop measured %d messages, asked for 200", i, r.Messages)
		}
		l := r.Latency
		if l.Count != int64(r.Messages) || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
			t.Errorf("result %d: latency %+v for %d messages", i, l, r.Messages)
		}
		if r.BrokerCPU < 0 || r.GeneratorCPU < 0 {
			t.Errorf("result %d: negative CPU: broker %s, generator %s", i, r.BrokerCPU, r.GeneratorCPU)
		}
	}
	if n := strings.Count(progress.String(), "round 1/1"); n != len(wants) {
		t.Errorf("%d progress lines, want one per run (%d):\n%s", n, len(wants), progress.String())
	}
	if !strings.HasPrefix(progress.String(), "broker: pid ") {
		t.Errorf("progress does not name the child broker:\n%s", progress.String())
	}
	var table bytes.Buffer
	if err := reports.WriteBenchTable(&table, results, Plaintext); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "tls/plaintext: ") {
		t.Errorf("no ratio line in:\n%s", table.String())
	}
}

// --target: any STOMP endpoint, here a broker in this process; its PID (ours)
// stands for --broker-pid.
func TestBenchRunAgainstTarget(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	results, err := Run(context.Background(), Options{
		Targets: []Target{{Transport: Plaintext, Addr: b.Addr(), PID: os.Getpid()}},
		Shapes:  []string{ShapeClosed}, Producers: 1, Consumers: 3, Inflight: 5, Count: 100, Warmup: -1,
		RunTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Name != "closed 1×3/5" || results[0].Messages < 100 || results[0].Latency.Count == 0 {
		t.Fatalf("results = %+v, want one closed-loop result of at least 100 messages", results)
	}
	// Every message sent was received before the run ended: the queue is
	// left empty and, once the broker has closed the connections that said
	// DISCONNECT, without consumers.
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		left = nil
		for _, d := range b.Stats().Destinations {
			if strings.HasPrefix(d.Name, "/queue/brokerlab.bench.") && (d.Pending != 0 || d.Enqueued != d.Dequeued || len(d.Consumers) != 0) {
				left = append(left, fmt.Sprintf("%s holds %+v", d.Name, d))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, l := range left {
		t.Errorf("after the run %s", l)
	}
}

func TestBenchRunBadBrokerPID(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	_, err := Run(context.Background(), Options{
		Targets: []Target{{Transport: Plaintext, Addr: b.Addr(), PID: 1 << 30}}, Count: 10, Warmup: -1,
	})
	if err == nil || !strings.Contains(err.Error(), "--broker-pid") {
		t.Errorf("Run with a PID that does not exist: %v, want an error about --broker-pid", err)
	}
}

func TestBenchOptionsErrors(t *testing.T) {
	cmd := []string{"brokerlab", "broker"}
	for _, o := range []Options{
		{Sizes: []int{0}, BrokerCommand: cmd},
		{Count: -1, BrokerCommand: cmd},
		{Rounds: -2, BrokerCommand: cmd},
		{RunTimeout: -time.Second, BrokerCommand: cmd},
		{Shapes: []string{"open"}, BrokerCommand: cmd},
		{Rate: -5, BrokerCommand: cmd},
		{Producers: -1, BrokerCommand: cmd},
		{},                      // nothing to measure: no target, no way to start a broker
		{Targets: []Target{{}}}, // a target without an address
	} {
		if _, err := Run(context.Background(), o); err == nil || !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("Run(%+v) = %v, want a bench: error", o, err)
		}
	}
}

func TestBenchShapeCheck(t *testing.T) {
	for _, s := range []Shape{
		{Producers: 1, Consumers: 0, Inflight: 1, Count: 1},
		{Producers: 0, Consumers: 1, Inflight: 1, Count: 1},
		{Producers: 1, Consumers: 1, Inflight: 0, Count: 1},
		{Producers: 1, Consumers: 1, Inflight: 1},             // never ends
		{Consumers: 1, Rate: 10},                              // never ends
		{Producers: 1, Consumers: 1, Inflight: 1, Count: -1},  // negative
		{Consumers: 1, Rate: 10, Duration: 1, Warmup: -1},     // negative
		{Consumers: 1, Rate: -10, Duration: time.Millisecond}, // negative rate
	} {
		if err := s.check(); err == nil {
			t.Errorf("%+v passed its check", s)
		}
	}
	if err := (Shape{Consumers: 1, Rate: 10, Duration: time.Second}).check(); err != nil {
		t.Errorf("a fixed-rate shape with one producer implied: %v", err)
	}
}

// A cancelled context stops a run instead of leaving it to hang.
func TestBenchRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, tiny(t)); err == nil {
		t.Error("Run with a cancelled context succeeded")
	}
}

// A run that cannot finish before its deadline is abandoned with an error
// that says so, rather than hanging.
func TestBenchRunDeadline(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	_, err := Run(context.Background(), Options{
		Targets: []Target{{Transport: Plaintext, Addr: b.Addr()}},
		Shapes:  []string{ShapeClosed}, Duration: time.Hour, Warmup: -1, RunTimeout: 300 * time.Millisecond,
	})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not finish within 300ms") {
		t.Errorf("Run = %v, want an error about the deadline", err)
	}
}

func TestBenchMedianRound(t *testing.T) {
	closed := func(n int) reports.BenchResult {
		return reports.BenchResult{Messages: n, Duration: time.Second}
	}
	if got := medianRound([]reports.BenchResult{closed(5), closed(9), closed(1)}); got.Messages != 5 {
		t.Errorf("median of 5, 9, 1 msgs/s: %d", got.Messages)
	}
	if got := medianRound([]reports.BenchResult{closed(4), closed(1), closed(9), closed(2)}); got.Messages != 2 {
		t.Errorf("median of four rounds is the lower middle one: %d, want 2", got.Messages)
	}
	rate := func(p99 time.Duration) reports.BenchResult {
		return reports.BenchResult{Rate: 10, Latency: reports.Latency{Count: 1, P99: p99}}
	}
	if got := medianRound([]reports.BenchResult{rate(3), rate(1), rate(2)}); got.Latency.P99 != 2 {
		t.Errorf("fixed-rate rounds: median p99 %v, want 2", got.Latency.P99)
	}
}

// Persistent runs ask for a receipt per message and count a message sent
// only when it comes; the broker stores every one (its data directory
// grows) and the table names the mode.
func TestBenchRunPersistent(t *testing.T) {
	dir := t.TempDir()
	b := brokertest.NewBroker(t, broker.Options{DataDir: dir})
	results, err := Run(context.Background(), Options{
		Targets:  []Target{{Transport: Plaintext, Addr: b.Addr()}},
		Delivery: []string{NonPersistent, Persistent}, Shapes: []string{ShapeClosed},
		Producers: 2, Consumers: 2, Inflight: 50, Count: 300, Warmup: -1, RunTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Name != "closed 2×2/50" || results[1].Name != "closed 2×2/50 persistent" {
		t.Fatalf("results = %+v, want a non-persistent then a persistent closed loop", results)
	}
	var stored int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			stored += fi.Size()
		}
		return nil
	})
	if stored < 300*1024 {
		t.Errorf("the store holds %d bytes after 300+ persistent 1 KiB messages", stored)
	}
}
