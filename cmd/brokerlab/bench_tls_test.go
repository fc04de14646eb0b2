package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// --target --tls with --tls-ca, --tls-cert and --tls-key drives a broker
// that requires a client certificate: the run carries messages, its row
// and JSON say tls, and the broker saw the client's certificate on every
// connection. Numbers are not asserted.
func TestBenchTargetMutualTLS(t *testing.T) {
	spec := &topology.Spec{Name: "bench-mtls", Nodes: []*topology.Node{
		{Name: "broker", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"client"}}},
		{Name: "client", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"broker"}}},
	}}
	mat, err := pki.Generate(spec, t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, cli := mat.Nodes["broker"], mat.Nodes["client"]
	b := brokertest.NewBroker(t, broker.Options{Name: "broker",
		Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"},
		TLS:    tlsconf.Files{CertFile: srv.CertFile, KeyFile: srv.KeyFile, TrustFile: srv.TrustFile}})

	out := filepath.Join(t.TempDir(), "bench.json")
	r := brokerlab(t, "bench", "--target", b.Addr(), "--tls", "--tls-ca", cli.TrustFile,
		"--tls-cert", cli.CertFile, "--tls-key", cli.KeyFile, "--server-name", "broker",
		"--broker-pid", strconv.Itoa(os.Getpid()), "--shape", "closed", "--duration", "300ms", "--warmup", "0",
		"--producers", "1", "--consumers", "1", "--inflight", "10", "--json", out)
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "closed 1×1/10") || !strings.Contains(r.stdout, "tls") {
		t.Errorf("want a closed-loop tls row:\n%s", r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Transport string `json:"transport"`
			Messages  int    `json:"messages"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Results) != 1 {
		t.Fatalf("JSON: %v, want one result:\n%s", err, data)
	}
	if res := doc.Results[0]; res.Transport != "tls" || res.Messages <= 0 {
		t.Errorf("result %+v, want transport tls and messages > 0", res)
	}

	// Every connection the bench made was admitted with the client's
	// certificate: the TLS flags were used, not just accepted.
	accepted := 0
	for _, e := range b.Events.Events() {
		switch e.Kind {
		case events.ConnAccepted:
			accepted++
			if !strings.Contains(e.Peer, "client") {
				t.Errorf("connection from %s admitted as %q, want the client certificate's subject", e.Remote, e.Peer)
			}
		case events.TLSFailed:
			t.Errorf("handshake failed: %s: %s", e.Class, e.Reason)
		}
	}
	if accepted < 2 {
		t.Errorf("%d connections accepted, want at least a producer and a consumer", accepted)
	}
}
