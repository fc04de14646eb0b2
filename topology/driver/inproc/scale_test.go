package inproc

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/topology"
)

// The target for a hub and 100 spokes in one process: every bridge
// up within 10 s of the start, in less than 2 GiB. These are functional
// bounds with margins of two orders of magnitude (about 90 ms and 13 MiB
// here), not speed measurements: only a stall (bridges stuck retrying,
// backing off in lockstep) or a leak breaks them.
const (
	scaleUpWithin = 10 * time.Second
	scaleMemory   = 2 << 30 // bytes, for the heap and for the RSS
)

// TestScaleHubAnd100Spokes runs 1 hub and 100 spokes over mutual TLS (one
// authority) in this process, made by the hub-spoke generator, logs how
// long until every bridge was up and what each bridge costs in memory, and
// holds them to the target: all up within scaleUpWithin of the
// start, the heap and the process's RSS grown by less than scaleMemory.
func TestScaleHubAnd100Spokes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 101 brokers")
	}
	const spokes = 100
	spec, err := topology.Parse("scale.yaml", []byte("name: scale\ngenerate: {hub-spoke: {spokes: 100, ca: true}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	files := drivertest.PEMFiles(t, spec)
	var mu sync.Mutex
	up := map[string]time.Time{}
	allUp := make(chan struct{})
	sink := events.SinkFunc(func(e events.Event) {
		if e.Kind != events.BridgeState || e.State != events.StateUp || e.Node == "hub" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, seen := up[e.Link]; !seen {
			up[e.Link] = e.Time
			if len(up) == spokes {
				close(allUp)
			}
		}
	})
	// Ports are chosen before anything starts; on a shared machine another
	// process may take one meanwhile, so a start that finds a port taken is
	// tried again with fresh ports.
	var n *Network
	var before, rssBefore uint64
	var start time.Time
	for attempt := 1; ; attempt++ {
		n, err = New(spec, Options{Files: files, Events: sink})
		if err != nil {
			t.Fatal(err)
		}
		before, rssBefore = heap(), rss(t)
		start = time.Now()
		err = n.StartAll()
		if err == nil {
			break
		}
		n.Shutdown(context.Background())
		mu.Lock()
		up, allUp = map[string]time.Time{}, make(chan struct{})
		mu.Unlock()
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("attempt %d: %v; again with other ports", attempt, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n.Shutdown(ctx)
	})
	mu.Lock()
	done := allUp
	mu.Unlock()
	select {
	case <-done:
	case <-time.After(time.Until(start.Add(scaleUpWithin))):
		mu.Lock()
		got := len(up)
		mu.Unlock() // not held into the cleanup: the brokers' shutdown events take it
		t.Fatalf("only %d of %d bridges up %v after start; the target is all within %v", got, spokes, scaleUpWithin, scaleUpWithin)
	}
	// The last bridge's own up event says when it was up, whenever this
	// goroutine got to run.
	mu.Lock()
	var last time.Time
	for _, at := range up {
		if at.After(last) {
			last = at
		}
	}
	mu.Unlock()
	took := last.Sub(start)
	after, rssAfter := heap(), rss(t)
	hubBridges := len(n.Broker("hub").Stats().Network)
	t.Logf("1 hub + %d spokes, mutual TLS, one process: all %d bridges up %v after start (hub holds %d); heap and stacks %.1f MiB -> %.1f MiB, %.0f KiB per spoke with its bridge; RSS %.1f MiB -> %.1f MiB; %d goroutines",
		spokes, spokes, took.Round(time.Millisecond), hubBridges, mib(before), mib(after), (float64(after)-float64(before))/spokes/1024, mib(rssBefore), mib(rssAfter), runtime.NumGoroutine())
	if hubBridges != spokes {
		t.Fatalf("hub holds %d bridges, want %d", hubBridges, spokes)
	}
	if took > scaleUpWithin {
		t.Errorf("the last bridge was up %v after start; the target is all within %v", took, scaleUpWithin)
	}
	if after > before && after-before > scaleMemory {
		t.Errorf("heap and stacks grew by %.1f MiB for 101 brokers; the target is less than %.0f MiB", mib(after-before), mib(scaleMemory))
	}
	if rssAfter > rssBefore && rssAfter-rssBefore > scaleMemory {
		t.Errorf("RSS grew by %.1f MiB for 101 brokers; the target is less than %.0f MiB", mib(rssAfter-rssBefore), mib(scaleMemory))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// rss is this process's resident set size, from /proc (Linux). Where
// there is none, the heap bound stands alone.
func rss(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	t.Fatalf("no VmRSS in /proc/self/status")
	return 0
}

// heap is the live heap plus goroutine stacks after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
