package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/reports"
)

// The bridge lab: our broker, plus a hub and a spoke that bridges to it
// over mutual TLS, each a child process. A closed run on the bridge target
// sends at the spoke and receives at the hub (the spoke's bridge forwarded
// every message, the hub's took them in), its broker CPU is both brokers',
// and closing the lab ends every child.
func TestBenchBridgeLab(t *testing.T) {
	ctx := context.Background()
	l, err := newLab(ctx, brokerCmd(t), true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if len(l.children) != 3 || len(l.targets) != 3 {
		t.Fatalf("%d children, %d targets; want the broker, hub and spoke, and three ways in", len(l.children), len(l.targets))
	}
	broker1, hub, spoke := l.children[0], l.children[1], l.children[2]
	tg := l.targets[2]
	if tg.Transport != BridgeTLS || tg.Addr == tg.ConsumeAddr || !slices.Equal(tg.pids(), []int{spoke.PID, hub.PID}) {
		t.Fatalf("bridge target %+v: want producers on the spoke (pid %d), consumers on the hub (pid %d)", tg, spoke.PID, hub.PID)
	}

	sh := Shape{Producers: 2, Consumers: 2, Inflight: 50, Count: 500}
	m, err := tg.run(ctx, sh, 256, "/queue/brokerlab.bench.bridge-lab", 30*time.Second)
	if err != nil {
		t.Fatalf("run across the bridge: %v", err)
	}
	if m.messages < 500 || m.window <= 0 || m.brokerCPU < 0 {
		t.Errorf("across the bridge: %d messages in %s, broker CPU %s; want at least 500, a window and a CPU reading", m.messages, m.window, m.brokerCPU)
	}
	// Every message went through the bridge: the spoke forwarded at least
	// what the consumers counted (plus the first, unmeasured message), and
	// the hub received as many. The spoke counts a message forwarded when
	// the hub's acknowledgement comes back, which may follow its delivery.
	var sp, hb []broker.BridgeStats
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sp, hb = networkStats(t, spoke.Admin), networkStats(t, hub.Admin)
		if len(sp) == 1 && len(hb) == 1 && sp[0].Forwarded >= uint64(m.messages)+1 && hb[0].Received == sp[0].Forwarded {
			break
		}
	}
	if len(sp) != 1 || len(hb) != 1 || sp[0].Forwarded < uint64(m.messages)+1 || hb[0].Received != sp[0].Forwarded {
		t.Errorf("bridge counters: spoke %+v, hub %+v; want the spoke to have forwarded %d+ messages and the hub to have received them", sp, hb, m.messages+1)
	}

	// The target's broker CPU is the sum of both processes': read between
	// two sums of their own readings, the clocks only going forward.
	before := procCPU(t, spoke.PID) + procCPU(t, hub.PID)
	both, _, err := tg.cpu()
	after := procCPU(t, spoke.PID) + procCPU(t, hub.PID)
	if err != nil || both < before || both > after {
		t.Errorf("bridge target's broker CPU %s (%v), want between %s and %s, the spoke's and the hub's together", both, err, before, after)
	}

	l.close()
	for _, c := range []*Child{broker1, hub, spoke} {
		if err := syscall.Kill(c.PID, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child %s (pid %d) still there after the lab closed: kill(0) = %v", c.Node, c.PID, err)
		}
	}
}

// Run with Bridge adds the third row after plaintext and TLS, and
// reports.WriteBenchRatios compares it with one broker over TLS.
func TestBenchRunAcrossBridge(t *testing.T) {
	var progress bytes.Buffer
	o := tiny(t)
	o.Sizes, o.Shapes, o.Bridge, o.Progress = []int{1024}, []string{ShapeClosed}, true, &progress
	results, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	if len(results) != 3 || results[0].Transport != Plaintext || results[1].Transport != TLS || results[2].Transport != BridgeTLS {
		t.Fatalf("results = %+v, want plaintext, tls, tls-bridge", results)
	}
	if r := results[2]; r.Messages < 200 || r.MsgsPerSec() <= 0 || r.Latency.Count != int64(r.Messages) {
		t.Errorf("across the bridge: %d messages, %.0f msgs/s, %d latencies; want at least 200", r.Messages, r.MsgsPerSec(), r.Latency.Count)
	}
	if !strings.Contains(progress.String(), "\nbridge: producers → spoke pid ") {
		t.Errorf("progress does not describe the bridge:\n%s", progress.String())
	}
	var verdicts bytes.Buffer
	if err := reports.WriteBenchRatios(&verdicts, results, BridgeTLS, TLS); err != nil || !strings.HasPrefix(verdicts.String(), "tls-bridge/tls: ") {
		t.Errorf("verdicts %q, %v", verdicts.String(), err)
	}
}

func TestBenchBridgeOptionsErrors(t *testing.T) {
	tg := Target{Transport: TLS, Addr: "127.0.0.1:1"}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Targets: []Target{tg}, Bridge: true}, "ConsumeAddr"},
		{Options{Targets: []Target{{Transport: TLS, Addr: "127.0.0.1:1", ConsumeAddr: "127.0.0.1:2", ConsumePID: 7}}}, "ConsumePID without PID"},
		{Options{Targets: []Target{{Transport: TLS, Addr: "127.0.0.1:1", PID: 7, ConsumePID: 8}}}, "ConsumePID without ConsumeAddr"},
		{Options{Targets: []Target{{Transport: TLS, Addr: "127.0.0.1:1", ConsumeAddr: "127.0.0.1:2", PID: 7, ConsumePID: 7}}}, "count twice"},
	} {
		if _, err := Run(context.Background(), c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%+v) = %v, want an error about %s", c.o, err, c.want)
		}
	}
}

func networkStats(t *testing.T, admin string) []broker.BridgeStats {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st broker.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Network
}

func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	d, err := ProcCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
