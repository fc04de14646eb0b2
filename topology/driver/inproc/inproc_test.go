package inproc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/topology"
)

func awaitUp(t *testing.T, rec *events.Recorder, from int, link string) {
	t.Helper()
	_, ok, last := rec.Wait(from, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.Link == link && e.State == events.StateUp && strings.HasPrefix(link, e.Node)
	}, func(e events.Event) bool { return e.Link == link })
	if !ok {
		t.Fatalf("bridge %s not up; last: %v", link, last)
	}
}

// A killed node comes back on the same ports, and the spokes' bridges
// return to it by themselves.
func TestKillAndRestartKeepsPorts(t *testing.T) {
	spec, files := drivertest.Tutorial(t)
	rec := events.NewRecorder(nil)
	n, err := New(spec, Options{Files: files, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown(context.Background()) })
	if err := n.StartAll(); err != nil {
		t.Fatal(err)
	}
	awaitUp(t, rec, 0, "server-a->hub")
	before := n.Broker("hub").Listeners()[0].Addr
	if before != n.Addrs("hub")[0] || strings.HasSuffix(before, ":0") {
		t.Fatalf("hub listens on %s, resolved %v", before, n.Addrs("hub"))
	}
	if err := n.Kill("hub"); err != nil {
		t.Fatal(err)
	}
	if n.Broker("hub") != nil {
		t.Fatal("killed node still listed as running")
	}
	from := rec.Len()
	if err := n.Start("hub"); err != nil {
		t.Fatal(err)
	}
	if after := n.Broker("hub").Listeners()[0].Addr; after != before {
		t.Fatalf("restarted on %s, was %s", after, before)
	}
	awaitUp(t, rec, from, "server-a->hub")
	awaitUp(t, rec, from, "server-b->hub")
}

func TestRenderedConnectorsVerifyByNodeName(t *testing.T) {
	spec, files := drivertest.Tutorial(t)
	var dialled []string
	n, err := New(spec, Options{Files: files, Dial: func(l topology.Link, upstream string) (string, error) {
		dialled = append(dialled, l.String()+"="+upstream)
		return "127.0.0.1:1", nil // a proxy would answer here
	}})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := n.Options("server-a")
	if len(o.Connect) != 1 || !strings.Contains(o.Connect[0], "ssl://127.0.0.1:1?serverName=hub") || !strings.Contains(o.Connect[0], "networkTTL=2") || !strings.Contains(o.Connect[0], "duplex=true") {
		t.Fatalf("connector: %v", o.Connect)
	}
	if len(dialled) != 2 || !strings.HasPrefix(dialled[0], "server-a->hub=127.0.0.1:") {
		t.Fatalf("dial hook saw %v", dialled)
	}
	if err := n.Start("nowhere"); err == nil || !strings.Contains(err.Error(), `no node "nowhere"`) {
		t.Fatalf("Start(nowhere) = %v", err)
	}
}
