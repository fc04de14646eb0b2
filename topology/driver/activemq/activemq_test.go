package activemq

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/internal/needs"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// up renders spec into ActiveMQ brokers and starts them all; cleanup stops
// every JVM by its PID. At most three JVMs run at once in these tests.
func up(t *testing.T, spec *topology.Spec, plan pki.Options) (*Network, *events.Recorder) {
	t.Helper()
	n, rec, _ := upWith(t, spec, plan)
	return n, rec
}

func upWith(t *testing.T, spec *topology.Spec, plan pki.Options) (*Network, *events.Recorder, *pki.Material) {
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
	for _, name := range n.Names() {
		began := time.Now()
		if err := n.Start(name); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: JVM %d started in %v", name, n.Instance(name).PID(), time.Since(began).Round(time.Millisecond))
	}
	return n, rec, mat
}

// clientTLS is node's identity as a TLS client that accepts exactly the
// certificate of peer, pinned as Java pins a truststore entry: by its
// bytes, whatever its dates (the case TestExpiredPinned… is about).
func clientTLS(t *testing.T, mat *pki.Material, node, peer string) *tls.Config {
	t.Helper()
	nf := mat.Nodes[node]
	m, err := tlsconf.Load(tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile})
	if err != nil {
		t.Fatal(err)
	}
	pinned := mat.Nodes[peer].Cert.Raw
	return &tls.Config{
		Certificates:       []tls.Certificate{*m.Certificate},
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], pinned) {
				return fmt.Errorf("the server did not present %s's certificate", peer)
			}
			return nil
		},
	}
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
	// server-b's connector carries network attributes and a destination
	// filter: the real ActiveMQ must accept the XML they render to, and
	// keep the excluded queue from crossing.
	f := false
	spec.Node("server-b").Connect[0].Network = topology.ConnectorNetwork{
		MessageTTL: 2, ConsumerTTL: 2, ConduitSubscriptions: &f, SuppressDuplicateQueueSubscriptions: true,
		BackOffMultiplier: 1.5, ExcludedDestinations: []string{"/queue/private.>"},
	}
	n, rec := up(t, spec, pki.Options{})
	drivertest.AwaitBridge(t, rec, 0, "server-a->hub", 60*time.Second)
	drivertest.AwaitBridge(t, rec, 0, "server-b->hub", 60*time.Second)
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
	private, err := b.Subscribe("/queue/private.x", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send("/queue/private.x", "text/plain", []byte("stays on server-a"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	drivertest.Deliver(t, a, b, "/queue/orders", 10, 60*time.Second)
	select {
	case m := <-private.C:
		t.Fatalf("an excluded destination crossed to server-b: %q (err %v)\n%s", m.Body, m.Err, n.XML("server-b"))
	case <-time.After(2 * time.Second):
	}
	if x := string(n.XML("server-b")); !strings.Contains(x, `<queue physicalName="private.&gt;"/>`) || !strings.Contains(x, `conduitSubscriptions="false"`) {
		t.Fatalf("server-b's activemq.xml lacks the connector's filter or attributes:\n%s", x)
	}
	bridgeLines(t, n.Instance("server-a"))
	bridgeLines(t, n.Instance("hub"))

	// The hub's JVM killed by its PID: the spokes' logs say the bridge went
	// down; started again on the same ports, the bridges come back.
	hubPID := n.Instance("hub").PID()
	mark := rec.Len()
	if err := n.Kill("hub"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(hubPID, 0); err == nil {
		t.Fatalf("hub JVM %d still exists after Kill", hubPID)
	}
	_, ok, last := rec.Wait(mark, time.Now().Add(30*time.Second), func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.Node == "server-a" && e.State == events.StateDown && e.Link == "server-a->hub"
	}, func(e events.Event) bool { return e.Node == "server-a" })
	if !ok {
		bridgeLines(t, n.Instance("server-a"))
		t.Fatalf("server-a did not report its bridge down; last: %v", last)
	}
	mark = rec.Len()
	if err := n.Start("hub"); err != nil {
		t.Fatal(err)
	}
	drivertest.AwaitBridge(t, rec, mark, "server-a->hub", 90*time.Second)
	drivertest.AwaitBridge(t, rec, mark, "server-b->hub", 90*time.Second)
	drivertest.Deliver(t, b, a, "/queue/after-restart", 5, 60*time.Second)
	if !strings.Contains(string(n.XML("hub")), `needClientAuth=true`) {
		t.Fatalf("hub's activemq.xml does not require client certificates:\n%s", n.XML("hub"))
	}
}

// bridgeLines logs what a node's log says about its bridges, for -v runs.
func bridgeLines(t *testing.T, in *Instance) {
	t.Helper()
	data, _ := os.ReadFile(in.LogFile())
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "Network connection") || strings.Contains(l, "bridge") {
			t.Log(l)
		}
	}
}
