package inproc

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/topology"
)

// TestScaleHubAnd100Spokes runs 1 hub and 100 spokes over mutual TLS (one
// authority) in this process, made by the hub-spoke generator, and logs
// how long until every bridge was up and what each bridge costs in memory.
// The figures are reported, not asserted (the machine is shared); the test
// fails only if some bridge never comes up.
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
	var before uint64
	var start time.Time
	for attempt := 1; ; attempt++ {
		n, err = New(spec, Options{Files: files, Events: sink})
		if err != nil {
			t.Fatal(err)
		}
		before = heap()
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
	case <-time.After(2 * time.Minute):
		mu.Lock()
		t.Fatalf("only %d of %d bridges up after 2 minutes", len(up), spokes)
	}
	took := time.Since(start)
	after := heap()
	hubBridges := len(n.Broker("hub").Stats().Network)
	t.Logf("1 hub + %d spokes, mutual TLS, one process: all %d bridges up %v after start (hub holds %d); heap and stacks %.1f MiB -> %.1f MiB, %.0f KiB per spoke with its bridge; %d goroutines",
		spokes, spokes, took.Round(time.Millisecond), hubBridges, float64(before)/(1<<20), float64(after)/(1<<20), float64(after-before)/spokes/1024, runtime.NumGoroutine())
	if hubBridges != spokes {
		t.Fatalf("hub holds %d bridges, want %d", hubBridges, spokes)
	}
}

// heap is the live heap plus goroutine stacks after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
