package activemq

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/internal/needs"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// up renders spec into ActiveMQ brokers and starts them all; cleanup stops
// every JVM by its PID. At most three JVMs run at once in these tests.
func up(t *testing.T, spec *topology.Spec, plan pki.Options) (*Network, *events.Recorder) {
	t.Helper()
	home := needs.ActiveMQ(t)
	mat, err := pki.Generate(spec, t.TempDir(), plan)
	if err != nil {
		t.Fatal(err)
	}
	rec := events.NewRecorder(nil)
	dir := t.TempDir()
	n, err := New(spec, Options{Material: mat, Home: home, Dir: dir, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			for _, name := range n.Names() {
				t.Logf("%s activemq.xml:\n%s", name, n.XML(name))
			}
			t.Logf("node directories kept in %s", dir)
		}
	})
	if err := n.StartAll(); err != nil {
		t.Fatal(err)
	}
	return n, rec
}

// The classic tutorial on real ActiveMQ 5.17: a hub requiring client
// certificates, two spokes bridging to it over OpenWire ssl:// with JKS
// stores from topology/pki, networkTTL=2, and go-stomp delivering
// spoke -> hub -> spoke.
func TestHubAndSpokesOnActiveMQ(t *testing.T) {
	spec, err := topology.Example("hub-and-spokes")
	if err != nil {
		t.Fatal(err)
	}
	n, rec := up(t, spec, pki.Options{})
	drivertest.AwaitBridge(t, rec, 0, "server-a->hub", 60*time.Second)
	drivertest.AwaitBridge(t, rec, 0, "server-b->hub", 60*time.Second)
	for _, name := range n.Names() {
		t.Logf("%s: pid %d", name, n.Instance(name).PID())
	}
	a, err := drivertest.Conn(n.Addrs("server-a")[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.MustDisconnect()
	b, err := drivertest.Conn(n.Addrs("server-b")[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.MustDisconnect()
	drivertest.Deliver(t, a, b, "/queue/orders", 10, 60*time.Second)
	if !strings.Contains(string(n.XML("hub")), `needClientAuth=true`) {
		t.Fatalf("hub's activemq.xml does not require client certificates:\n%s", n.XML("hub"))
	}
}
