package activemq

import (
	"testing"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// Lines as ActiveMQ 5.17.2 wrote them in this package's tests.
var (
	lineUp        = `2026-11-23 00:26:29,441 | INFO  | Network connection between vm://server-a#0 and ssl:///127.0.0.1:23092 (hub) has been established. | org.apache.activemq.network.DemandForwardingBridgeSupport | triggerStartAsyncNetworkBridgeCreation: remoteBroker=ssl:///127.0.0.1:23092, localBroker= vm://server-a#0`
	lineHubUp     = `2026-11-23 00:26:29,503 | INFO  | Network connection between vm://hub#0 and ssl:///127.0.0.1:46362 (server-a) has been established. | org.apache.activemq.network.DemandForwardingBridgeSupport | x`
	lineShutdown  = `2026-11-23 00:26:45,274 | WARN  | Network connection between vm://server-a#0 and ssl:///127.0.0.1:29505 shutdown due to a remote error: java.io.EOFException | org.apache.activemq.network.DemandForwardingBridgeSupport | ActiveMQ Transport: ssl:///127.0.0.1:29505`
	lineStopped   = `2026-11-23 00:26:45,288 | INFO  | server-a bridge to hub stopped | org.apache.activemq.network.DemandForwardingBridgeSupport | ActiveMQ BrokerService[server-a] Task-1`
	lineUnknown   = `2026-11-23 00:26:46,290 | INFO  | server-a bridge to Unknown stopped | org.apache.activemq.network.DemandForwardingBridgeSupport | ActiveMQ BrokerService[server-a] Task-1`
	lineRefused   = `2026-11-23 00:26:46,290 | WARN  | Could not start network bridge between: vm://server-a and: ssl://127.0.0.1:29505 due to: Connection refused | org.apache.activemq.network.DiscoveryNetworkConnector | ActiveMQ Task-1`
	lineEmpty     = `2026-11-23 00:24:55,106 | WARN  | Could not accept connection from tcp://127.0.0.1:56302: Empty client certificate chain (Empty client certificate chain) | org.apache.activemq.broker.TransportConnector | ActiveMQ BrokerService[hub] Task-1`
	linePKIX      = `2026-11-23 00:30:00,000 | WARN  | Could not start network bridge between: vm://server-a and: ssl://127.0.0.1:29505 due to: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target | org.apache.activemq.network.DiscoveryNetworkConnector | ActiveMQ Task-1`
	linePending   = `2026-11-23 01:05:11,885 | INFO  | Error with pending remote brokerInfo on: ssl:///127.0.0.1:29505 (PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target) | org.apache.activemq.network.DemandForwardingBridgeSupport | ActiveMQ Transport: ssl:///127.0.0.1:29505`
	lineNoise     = `2026-11-23 01:05:11,893 | WARN  | Could not start network bridge between: vm://server-a and: ssl://hub:29505 due to: Connection or outbound has closed | org.apache.activemq.network.DiscoveryNetworkConnector | main`
	lineStarted   = `2026-11-23 00:24:51,721 | INFO  | Apache ActiveMQ 5.17.2 (hub, ID:vm-34113-1795393491480-0:1) started | org.apache.activemq.broker.BrokerService | main`
	lineNotAccept = `2026-11-23 00:24:51,721 | WARN  | Could not accept connection from tcp://127.0.0.1:1: some unrelated problem | org.apache.activemq.broker.TransportConnector | x`
)

func oneSpokeSpec() *topology.Spec {
	return &topology.Spec{Nodes: []*topology.Node{
		{Name: "hub"},
		{Name: "server-a", Connect: []*topology.Connector{{To: "hub", Duplex: true}}},
	}}
}

func TestLogReader(t *testing.T) {
	spec := oneSpokeSpec()
	for _, tc := range []struct {
		name, node string
		lines      []string
		want       *events.Event // of the last line; nil: no event
	}{
		{"bridge up at the dialler", "server-a", []string{lineUp}, &events.Event{Kind: events.BridgeState, State: events.StateUp, Link: "server-a->hub", Peer: "hub", Remote: "ssl:///127.0.0.1:23092"}},
		{"bridge up at the responder", "hub", []string{lineHubUp}, &events.Event{Kind: events.BridgeState, State: events.StateUp, Link: "server-a->hub", Peer: "server-a"}},
		{"shutdown alone says nothing yet", "server-a", []string{lineShutdown}, nil},
		{"stopped after shutdown carries its reason", "server-a", []string{lineShutdown, lineStopped}, &events.Event{Kind: events.BridgeState, State: events.StateDown, Link: "server-a->hub", Peer: "hub", Remote: "ssl:///127.0.0.1:29505", Reason: "due to a remote error: java.io.EOFException"}},
		{"stopped attempt to Unknown", "server-a", []string{lineUnknown}, nil},
		{"connection refused is a retry", "server-a", []string{lineRefused}, &events.Event{Kind: events.BridgeState, State: events.StateRetrying, Link: "server-a->hub", Peer: "hub", Remote: "127.0.0.1:29505", Reason: "Connection refused"}},
		{"empty client chain, placed on the only link in", "hub", []string{lineEmpty}, &events.Event{Kind: events.TLSFailed, Side: events.SideServer, Link: "server-a->hub", Peer: "server-a", Class: string(tlsconf.ClassClientCertRequired), Remote: "tcp://127.0.0.1:56302", Reason: "Empty client certificate chain (Empty client certificate chain)"}},
		{"the real cause, logged at INFO", "server-a", []string{linePending}, &events.Event{Kind: events.TLSFailed, Side: events.SideClient, Link: "server-a->hub", Peer: "hub", Remote: "127.0.0.1:29505", Class: string(tlsconf.ClassUnknownAuthority)}},
		{"SSLEngine noise is a retry", "server-a", []string{lineNoise}, &events.Event{Kind: events.BridgeState, State: events.StateRetrying, Link: "server-a->hub", Peer: "hub", Remote: "hub:29505", Reason: "Connection or outbound has closed"}},
		{"PKIX at the dialler", "server-a", []string{linePKIX}, &events.Event{Kind: events.TLSFailed, Side: events.SideClient, Link: "server-a->hub", Peer: "hub", Class: string(tlsconf.ClassUnknownAuthority)}},
		{"started is not an event", "hub", []string{lineStarted}, nil},
		{"an accept failure not about TLS", "hub", []string{lineNotAccept}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lr := &LogReader{Spec: spec, Node: tc.node, Peers: map[string]string{"127.0.0.1:29505": "hub"}}
			var got events.Event
			var ok bool
			for _, l := range tc.lines {
				es := lr.Parse(l)
				ok = len(es) > 0
				if ok {
					got = es[0]
				}
			}
			if tc.want == nil {
				if ok {
					t.Fatalf("got event %v, want none", got)
				}
				return
			}
			if !ok {
				t.Fatal("no event")
			}
			w := *tc.want
			w.Node, w.Time = tc.node, got.Time
			if w.Reason == "" {
				w.Reason = got.Reason
			}
			if w.Remote == "" {
				w.Remote = got.Remote
			}
			if got != w {
				t.Fatalf("got  %+v\nwant %+v", got, w)
			}
		})
	}
}

// A TLS cause at the dialler is two events: the failure the judge reads,
// and the bridge state our broker reports for it (failing: a retry will
// not fix it by itself).
func TestLogReaderTLSFailureMakesTheBridgeFailing(t *testing.T) {
	lr := &LogReader{Spec: oneSpokeSpec(), Node: "server-a", Peers: map[string]string{"127.0.0.1:29505": "hub"}}
	es := lr.Parse(linePKIX)
	if len(es) != 2 || es[0].Kind != events.TLSFailed || es[1].Kind != events.BridgeState || es[1].State != events.StateFailing || es[1].Link != "server-a->hub" {
		t.Fatalf("got %v", es)
	}
}

func TestClassifyJava(t *testing.T) {
	for _, tc := range []struct {
		says string
		want tlsconf.Class
	}{
		{"sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed (java.security.cert.CertificateExpiredException: NotAfter: Sun Nov 22 23:00:00 UTC 2026)", tlsconf.ClassExpired},
		{"No subject alternative names matching IP address 127.0.0.1 found", tlsconf.ClassHostnameMismatch},
		{"Received fatal alert: certificate_unknown", tlsconf.ClassBadCertificate},
		{"Empty client certificate chain", tlsconf.ClassClientCertRequired},
		{"Unrecognized SSL message, plaintext connection?", tlsconf.ClassNotTLS},
		{"Broken pipe", tlsconf.ClassConnectionReset},
		{"javax.net.ssl.SSLException: something new", tlsconf.ClassOther},
		{"Connection refused", tlsconf.ClassNone},
	} {
		if got := ClassifyJava(tc.says); got != tc.want {
			t.Errorf("ClassifyJava(%q) = %q, want %q", tc.says, got, tc.want)
		}
	}
}

// FuzzLogReader: any bytes as log lines, no panic; an event always has a
// kind and the reader's node.
func FuzzLogReader(f *testing.F) {
	for _, l := range []string{lineUp, lineShutdown, lineStopped, lineRefused, lineEmpty, linePKIX, lineStarted} {
		f.Add(l)
	}
	spec := oneSpokeSpec()
	f.Fuzz(func(t *testing.T, line string) {
		lr := &LogReader{Spec: spec, Node: "server-a"}
		for range 2 {
			for _, e := range lr.Parse(line) {
				if e.Kind == "" || e.Node != "server-a" {
					t.Fatalf("event without kind or node: %+v", e)
				}
			}
		}
	})
}
