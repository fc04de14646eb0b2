package activemq

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver/inproc"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// oneSpoke is the tutorial with one spoke; hubTrust is the hub's trust list.
func oneSpoke(t *testing.T, hubTrust string) *topology.Spec {
	t.Helper()
	spec, err := topology.Parse("one-spoke.yaml", []byte(`name: hub-and-one-spoke
nodes:
  hub:
    listen: ["stomp+ssl://127.0.0.1:0?needClientAuth=true"]
    tls: {identity: {self_signed: true}, trust: [`+hubTrust+`]}
  server-a:
    listen: ["stomp://127.0.0.1:0"]
    tls: {identity: {self_signed: true}, trust: [server-a, hub]}
    connect: [{to: hub, duplex: true, networkTTL: 2}]
`))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// Java does not check the validity of a trust anchor: a self-signed
// certificate that expired an hour ago, pinned in the spoke's truststore,
// still lets ActiveMQ's bridge come up. Go's verifier checks it, so the
// same files make our broker's bridge fail with "expired". Both halves run
// on the very same generated files.
func TestExpiredPinnedSelfSignedJavaAcceptsGoRefuses(t *testing.T) {
	now := time.Now()
	spec := oneSpoke(t, "hub, server-a")
	plan := pki.Options{Nodes: map[string]pki.NodeOptions{"hub": {NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}}}
	n, rec, mat := upWith(t, spec, plan)
	if na := mat.Nodes["hub"].Cert.NotAfter; !na.Before(now) {
		t.Fatalf("hub's certificate is not expired: NotAfter %v", na)
	}

	// ActiveMQ: the bridge is established, and messages cross it.
	drivertest.AwaitBridge(t, rec, 0, "server-a->hub", 60*time.Second)
	for _, e := range rec.Events() {
		if e.Kind == events.TLSFailed {
			t.Fatalf("ActiveMQ reported a TLS failure: %v", e)
		}
	}
	a, err := drivertest.Conn(n.Addrs("server-a")[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.MustDisconnect()
	// The hub's STOMP listener needs a client certificate: server-a's own,
	// which the hub trusts; the hub's expired one is pinned as trusted.
	hubConn, err := drivertest.Conn(n.Addrs("hub")[0], clientTLS(t, mat, "server-a", "hub"))
	if err != nil {
		t.Fatal(err)
	}
	defer hubConn.MustDisconnect()
	drivertest.Deliver(t, hubConn, a, "/queue/to-spoke", 5, 60*time.Second)

	// Go, same files: server-a refuses the hub's expired certificate.
	goRec := events.NewRecorder(nil)
	files := map[string]tlsconf.Files{}
	for name, nf := range mat.Nodes {
		files[name] = tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile}
	}
	g, err := inproc.New(spec, inproc.Options{Files: files, Events: goRec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Shutdown(context.Background()) })
	if err := g.StartAll(); err != nil {
		t.Fatal(err)
	}
	_, ok, last := goRec.Wait(0, time.Now().Add(20*time.Second), func(e events.Event) bool {
		return e.Kind == events.TLSFailed && e.Node == "server-a" && e.Class == string(tlsconf.ClassExpired)
	}, func(e events.Event) bool { return e.Link == "server-a->hub" || e.Kind == events.TLSFailed })
	if !ok {
		t.Fatalf("our broker did not refuse the expired hub certificate; last: %v", last)
	}
}

// A hub whose truststore lacks server-a's certificate: its
// CertificateRequest names only the hub as an acceptable issuer, so Java's
// client withholds server-a's certificate altogether and the hub logs
// "Empty client certificate chain" - client-cert-required, although the
// real mistake is the hub's truststore. (Go's client would do the same;
// brokerlab's always presents its certificate to get the true cause.) The
// log line becomes a server-side TLS failure event, classified from
// Java's words; the log stays available for the person reading it.
func TestUntrustedSpokeRefusedByActiveMQHub(t *testing.T) {
	spec := oneSpoke(t, "hub")
	n, rec, _ := upWith(t, spec, pki.Options{})
	e, ok, last := rec.Wait(0, time.Now().Add(60*time.Second), func(e events.Event) bool {
		return e.Kind == events.TLSFailed && e.Node == "hub" && e.Side == events.SideServer && e.Class != string(tlsconf.ClassConnectionReset)
	}, func(e events.Event) bool { return true })
	if !ok {
		t.Fatalf("hub reported no TLS failure; last: %v\n%s", last, n.Instance("hub").LogTail(4000))
	}
	t.Logf("hub: %v", e)
	if e.Class != string(tlsconf.ClassClientCertRequired) || !strings.Contains(e.Reason, "Empty client certificate chain") {
		t.Errorf("hub's failure classified %q (%s), want %q from Java's \"Empty client certificate chain\"", e.Class, e.Reason, tlsconf.ClassClientCertRequired)
	}
	for _, e := range rec.Events() {
		if e.Kind == events.BridgeState && e.State == events.StateUp {
			t.Fatalf("the bridge came up with an untrusted spoke: %v", e)
		}
	}
	if tail := n.Instance("hub").LogTail(4000); !strings.Contains(tail, "Could not accept connection") {
		t.Errorf("hub's log does not show the handshake failure:\n%s", tail)
	}
}
