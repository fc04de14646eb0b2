package main

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// `brokerlab up` keeps the DESIGN's promise to outside clients: from the
// ready lines and endpoints.json alone, a client reaches every node, TLS
// listeners with the PEM files written, and messages cross the network.
func TestUpServesOutsideClients(t *testing.T) {
	dir := t.TempDir()
	up := start(t, "up", "up", "hub-and-spokes", "--out", dir)
	ready := up.readyLines(t, 3)
	var ep endpoints
	data, err := os.ReadFile(filepath.Join(dir, "endpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &ep); err != nil {
		t.Fatalf("endpoints.json: %v\n%s", err, data)
	}
	if ep.Topology != "hub-and-spokes" || len(ep.Nodes) != 3 {
		t.Fatalf("endpoints.json = %s", data)
	}
	for _, r := range ready {
		n, ok := ep.Nodes[r.Node]
		if !ok || n.Listeners[0] != r.Listeners[0] {
			t.Errorf("ready line %+v does not match endpoints.json %+v", r, n)
		}
		for _, f := range []string{n.CA, n.Cert, n.Key} {
			if !filepath.IsAbs(f) {
				t.Errorf("%s: TLS file path %q is not absolute", r.Node, f)
			}
		}
	}

	// connect dials a node's first listener as an outside client would.
	connect := func(node string) *stomp.Conn {
		n := ep.Nodes[node]
		var cfg *tls.Config
		if strings.HasPrefix(n.Listeners[0].URI, "stomp+ssl:") {
			m, err := tlsconf.Load(tlsconf.Files{CertFile: n.Cert, KeyFile: n.Key, TrustFile: n.CA})
			if err != nil {
				t.Fatal(err)
			}
			if cfg, err = tlsconf.ClientConfig(m, node); err != nil {
				t.Fatal(err)
			}
		}
		return dialSTOMP(t, n.Listeners[0].Addr, cfg)
	}

	// Spoke to spoke, through the hub: two hops, networkTTL=2.
	consumer := connect("server-b")
	sub, err := consumer.Subscribe("/queue/outside", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	producer := connect("server-a")
	sendUntilReceived(t, producer, "/queue/outside", sub)

	// The hub listens with mutual TLS: its PEM files must let a client in.
	hub := connect("hub")
	hubSub, err := hub.Subscribe("/queue/hub.local", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	sendUntilReceived(t, hub, "/queue/hub.local", hubSub)

	for _, c := range []*stomp.Conn{consumer, producer, hub} {
		c.Disconnect()
	}
	if code := up.terminate(t); code != 0 {
		t.Errorf("up exited with %d after SIGTERM, want 0", code)
	}
}

func TestUpUnknownTopologyExit2(t *testing.T) {
	r := brokerlab(t, "up", "no-such-topology", "--out", t.TempDir())
	if r.code != exitUsage || !strings.Contains(r.stderr, "hub-and-spokes") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and the list of built-in topologies", r.code, r.stderr)
	}
}
