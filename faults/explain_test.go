package faults

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

var update = flag.Bool("update", false, "rewrite testdata/explain.golden")

var (
	aToHub = topology.Link{From: "server-a", To: "hub"}
	bToHub = topology.Link{From: "server-b", To: "hub"}
)

func files(nodes ...string) (trust, certs map[string]string) {
	trust, certs = map[string]string{}, map[string]string{}
	for _, n := range nodes {
		trust[n] = "/pki/" + n + "/trust.pem"
		certs[n] = "/pki/" + n + "/cert.pem"
	}
	return trust, certs
}

// ctx builds a Context over spec after edit, with files for every node.
func ctx(spec *topology.Spec, edit func(*topology.Spec)) Context {
	if edit != nil {
		edit(spec)
	}
	trust, certs := files("hub", "server-a", "server-b", "plain", "root")
	return Context{Spec: spec, TrustFiles: trust, CertFiles: certs}
}

func setTrust(node string, trust ...string) func(*topology.Spec) {
	return func(s *topology.Spec) { s.Node(node).TLS.Trust = trust }
}

const (
	unknownCA    = "tls: failed to verify certificate: x509: certificate signed by unknown authority"
	remoteUnkCA  = "remote error: tls: unknown certificate authority"
	remoteBadCrt = "remote error: tls: bad certificate"
)

type explainCase struct {
	name    string
	f       Failure
	c       Context
	want    []string // substrings that must appear
	notWant []string
}

var explainCases = []explainCase{
	{
		name: "client weak-key, from the policy",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassWeakKey, Peer: "hub", Reason: "tlsconf: weak key: CN=hub,O=brokerlab has a 1024-bit RSA key; this node's policy requires at least 2048 bits"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{"server-a refused hub's certificate: it has a short RSA key, and server-a's policy requires at least 2048 bits", "Fix: give hub a new key pair of at least 2048 bits"},
	},
	{
		name: "client bad-signature-algorithm",
		f: Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassBadSignatureAlgorithm, Peer: "hub",
			Reason: `tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of "x509: cannot verify signature: insecure algorithm SHA1-RSA" while trying to verify candidate authority certificate "root CA")`},
		c:    ctx(caSpec(), nil),
		want: []string{"its issuer signed it with SHA-1", "Fix: have root re-issue hub's certificate with SHA-256 or better"},
	},
	{
		name: "client expired by a clock two days ahead",
		f: Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassExpired, Peer: "hub",
			Reason: "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-03-03T12:05:00Z is after 2026-03-02T12:00:00Z"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{"server-a's clock is about 48 hours ahead", "Fix: set server-a's clock right"},
	},
	{
		name: "client hostname-mismatch on an IP address",
		f: Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassHostnameMismatch, Peer: "hub",
			Reason: "tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.7 because it doesn't contain any IP SANs"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{"server-a verified hub as the IP address 10.0.0.7", "No subject alternative names matching IP address 10.0.0.7 found", "Fix: verify hub by its DNS name"},
	},
	{
		name: "client unknown-authority, trust entry missing",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassUnknownAuthority, Peer: "hub", PeerSubject: "CN=hub", Reason: unknownCA},
		c:    ctx(tutorialSpec(), setTrust("server-a", "server-a")),
		want: []string{
			"server-a does not trust hub",
			"server-a (dialling hub for bridge server-a->hub) could not verify hub's certificate against its truststore /pki/server-a/trust.pem",
			"In the topology, nodes.server-a.tls.trust is [server-a]; it does not list hub",
			`Fix: add hub's certificate to server-a's truststore — in brokerlab add "hub" to nodes.server-a.tls.trust; with ActiveMQ/keytool: keytool -import -alias hub -file hub.cert -keystore server-a.ts`,
			"hub.cert is hub's certificate, here /pki/hub/cert.pem",
			`"` + unknownCA + `"`,
		},
	},
	{
		name: "server unknown-authority under needClientAuth",
		f:    Failure{Link: bToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassUnknownAuthority, Peer: "server-b", Reason: "tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		c:    ctx(tutorialSpec(), setTrust("hub", "hub", "server-a")),
		want: []string{
			"hub does not trust server-b",
			"hub's listener requires client certificates (needClientAuth=true) and server-b's certificate is not in hub's truststore /pki/hub/trust.pem",
			"so hub refused server-b (dialling hub for bridge server-b->hub)",
			`add "server-b" to nodes.hub.tls.trust`,
			"keytool -import -alias server-b -file server-b.cert -keystore hub.ts",
		},
	},
	{
		name: "client sees the server's unknown-authority alert",
		f:    Failure{Link: bToHub, Node: "server-b", Side: events.SideClient, Class: tlsconf.ClassUnknownAuthority, Peer: "hub", Reason: remoteUnkCA},
		c:    ctx(tutorialSpec(), setTrust("hub", "hub", "server-a")),
		want: []string{
			"hub refused server-b's certificate: hub does not trust server-b",
			"server-b (dialling hub for bridge server-b->hub) got hub's refusal",
			"not in hub's truststore /pki/hub/trust.pem",
			"hub's alert, as server-b received it on the client side",
			`add "server-b" to nodes.hub.tls.trust`,
		},
		notWant: []string{"server-b does not trust hub"},
	},
	{
		name: "server unknown-authority under wantClientAuth",
		f:    Failure{Link: bToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassUnknownAuthority, Reason: unknownCA},
		c: ctx(tutorialSpec(), func(s *topology.Spec) {
			s.Node("hub").Listen = []string{"stomp+ssl://127.0.0.1:0?wantClientAuth=true"}
			s.Node("hub").TLS.Trust = []string{"hub"}
		}),
		want: []string{"hub does not trust server-b", "hub's listener asks for client certificates (wantClientAuth=true: optional, but checked when sent) and server-b's certificate is not in hub's truststore"},
	},
	{
		name: "CA-signed topology",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassUnknownAuthority, Reason: unknownCA},
		c:    ctx(caSpec(), setTrust("server-a")),
		want: []string{
			"server-a does not trust hub",
			"it lists neither hub nor root, the authority that signed hub's certificate",
			`Fix: add root, the authority that signed hub's certificate, to server-a's truststore — in brokerlab add "root" to nodes.server-a.tls.trust`,
			"keytool -import -alias root -file root.cert -keystore server-a.ts",
		},
	},
	{
		name: "unknown-authority although the topology trusts the peer",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassUnknownAuthority, PeerSubject: "CN=impostor", Reason: unknownCA},
		c:    ctx(tutorialSpec(), nil),
		want: []string{
			"server-a does not trust hub",
			"Yet nodes.server-a.tls.trust lists hub: the truststore file is stale",
			`hub presented a certificate for "CN=impostor"`,
			"Fix: the topology already lists hub, so refresh server-a's truststore file",
			"keytool -delete -alias hub -keystore server-a.ts, then keytool -import -alias hub -file hub.cert -keystore server-a.ts",
		},
		notWant: []string{"In the topology", "Fix: add"},
	},
	{
		name: "unknown-authority without a topology",
		f:    Failure{Link: aToHub, Class: tlsconf.ClassUnknownAuthority, Reason: unknownCA},
		want: []string{
			"server-a does not trust hub",
			"could not verify hub's certificate against its truststore.",
			"keytool -import -alias hub -file hub.cert -keystore server-a.ts",
		},
	},
	{
		name: "server sees the client's bad-certificate alert",
		f:    Failure{Link: aToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassBadCertificate, Reason: remoteBadCrt},
		c:    ctx(tutorialSpec(), setTrust("server-a", "server-a")),
		want: []string{
			"server-a rejected hub's certificate without saying why",
			"look at its tls-failed event (the client side of server-a->hub)",
			"server-a does not trust hub",
			`add "hub" to nodes.server-a.tls.trust`,
		},
	},
	{
		name: "bad-certificate without a topology",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassBadCertificate, Reason: remoteBadCrt},
		want: []string{"hub rejected server-a's certificate", "The reason is on hub's side", "Fix: read hub's own error"},
	},
	{
		name: "client-cert-required: the client has no tls",
		f:    Failure{Link: topology.Link{From: "plain", To: "hub"}, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassClientCertRequired, Reason: "tls: client didn't provide a certificate"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{
			"hub requires a client certificate and plain sent none",
			"hub's listener requires client certificates (needClientAuth=true); plain (dialling hub for bridge plain->hub) presented no certificate",
			"nodes.plain has no tls settings",
			"set nodes.plain.tls.identity",
		},
	},
	{
		name: "client-cert-required: in effect untrusted",
		f:    Failure{Link: bToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassClientCertRequired, Reason: "tls: client didn't provide a certificate"},
		c:    ctx(tutorialSpec(), setTrust("hub", "hub", "server-a")),
		want: []string{"in effect, hub does not trust server-b", `add "server-b" to nodes.hub.tls.trust`},
	},
	{
		name: "client-cert-required seen by the client",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassClientCertRequired, Reason: "remote error: tls: certificate required"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{"With TLS 1.3", "check that server-a's connector actually loads it"},
	},
	{
		name: "hostname-mismatch",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassHostnameMismatch, Reason: "tls: failed to verify certificate: x509: certificate is valid for localhost, not hub"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{
			"hub's certificate is not valid for the name server-a dialled",
			"SANs",
			`tls.Config.ServerName = "hub"`,
			"-ext SAN=dns:hub",
		},
	},
	{
		name: "expired peer certificate",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassExpired, Reason: "tls: failed to verify certificate: x509: certificate has expired or is not yet valid"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{
			"hub's certificate has expired, as server-a's clock sees it",
			"openssl x509 -noout -dates -in /pki/hub/cert.pem",
			"clock",
			"Java (ActiveMQ) does not check the expiry",
			"Fix: renew hub's certificate",
		},
	},
	{
		name: "expired own certificate, told by the server",
		f:    Failure{Link: bToHub, Node: "server-b", Side: events.SideClient, Class: tlsconf.ClassExpired, Reason: "remote error: tls: expired certificate"},
		want: []string{"server-b's certificate has expired, as hub's clock sees it", "server-b.cert", "renew server-b's certificate"},
	},
	{
		name: "not-yet-valid",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassNotYetValid, Reason: "x509: certificate has expired or is not yet valid"},
		want: []string{"hub's certificate is not valid yet", "synchronise the clocks"},
	},
	{
		name: "bad-key-usage",
		f:    Failure{Link: aToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassBadKeyUsage, Reason: "x509: certificate specifies an incompatible key usage"},
		want: []string{"server-a's certificate is not allowed for this use", "clientAuth", "EKU=serverAuth,clientAuth"},
	},
	{
		name: "not-tls seen by the client",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassNotTLS, Reason: "tls: first record does not look like a TLS handshake"},
		c:    ctx(tutorialSpec(), nil),
		want: []string{
			"server-a's TLS handshake with hub got an answer that is not TLS",
			"nodes.hub.listen is [stomp+ssl://127.0.0.1:0?needClientAuth=true]",
			"ssl:// vs tcp://, stomp+ssl vs stomp",
		},
	},
	{
		name: "not-tls seen by the server",
		f:    Failure{Link: aToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassNotTLS, Reason: "tls: first record does not look like a TLS handshake"},
		want: []string{"server-a sent hub's TLS listener something that is not TLS", "a plaintext client on a TLS port", "ssl:// vs tcp://"},
	},
	{
		name: "protocol-version",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassProtocolVersion, Reason: "remote error: tls: protocol version not supported"},
		want: []string{"no TLS version in common", "transport.enabledProtocols"},
	},
	{
		name: "no-common-cipher",
		f:    Failure{Link: aToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassNoCommonCipher, Reason: "tls: no cipher suite supported by both client and server"},
		want: []string{"share no cipher suite", "transport.enabledCipherSuites"},
	},
	{
		name: "handshake-timeout seen by the client",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassHandshakeTimeout, Reason: "tls handshake: i/o timeout"},
		want: []string{"Nothing answered server-a's TLS handshake with hub in time", "partition", "firewall", "not TLS and waits for the client to speak first"},
	},
	{
		name: "handshake-timeout seen by the server",
		f:    Failure{Link: aToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassHandshakeTimeout},
		want: []string{"server-a did not finish its TLS handshake with hub's listener in time", "partition"},
	},
	{
		name: "connection-reset",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassConnectionReset, Reason: "read: connection reset by peer"},
		want: []string{"closed during the TLS handshake, without a TLS alert", "Broken pipe", "look at hub's side"},
	},
	{
		name: "handshake-timeout on a server with several links in, unplaced",
		f:    Failure{Node: "hub", Side: events.SideServer, Class: tlsconf.ClassHandshakeTimeout, Reason: "tlsconf: TLS handshake with 127.0.0.1:4000: no answer within 5s"},
		want: []string{"a dialling node did not finish its TLS handshake with hub's listener in time", "hub (accepting a connection it could not tie to a link)"},
	},
	{
		name: "bad-record-mac seen by the receiver",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassBadRecordMAC, Reason: "local error: tls: bad record MAC"},
		want: []string{"failed its integrity check", "server-a (dialling hub for bridge server-a->hub) could not decrypt a record hub sent", "tls-corrupt-record"},
	},
	{
		name: "bad-record-mac seen by the sender",
		f:    Failure{Link: aToHub, Node: "hub", Side: events.SideServer, Class: tlsconf.ClassBadRecordMAC, Reason: "remote error: tls: bad record MAC"},
		want: []string{"server-a could not decrypt a record hub sent, and said so with an alert"},
	},
	{
		name: "other",
		f:    Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: tlsconf.ClassOther, Reason: "tls: something odd"},
		want: []string{"failed on server-a's client side (other)", `"tls: something odd"`},
	},
	{
		name: "no class",
		f:    Failure{Link: aToHub, Node: "hub", Reason: "eof"},
		want: []string{"failed on hub's server side (unclassified)", `"eof"`},
	},
}

func TestExplain(t *testing.T) {
	var golden strings.Builder
	tmp := t.TempDir()
	for _, tc := range append(explainCases, certExplainCases(t, tmp)...) {
		t.Run(tc.name, func(t *testing.T) {
			got := Explain(tc.f, tc.c)
			// The certificate cases' files live in a temporary directory;
			// the golden file shows them under /pki.
			fmt.Fprintf(&golden, "== %s\n%s\n\n", tc.name, strings.ReplaceAll(got, tmp, "/pki"))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("explanation lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("explanation has %q:\n%s", w, got)
				}
			}
			last := got[strings.LastIndex(got, "\n")+1:]
			if !strings.Contains(got, "Fix:") {
				t.Errorf("explanation has no fix:\n%s", got)
			}
			if strings.Contains(got, "\n\n") || strings.HasSuffix(last, " ") {
				t.Errorf("explanation has an empty line or trailing space:\n%q", got)
			}
		})
	}
	// The golden file shows every text in full, for review in diffs.
	path := filepath.Join("testdata", "explain.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./faults -run TestExplain -update)", err)
	}
	if string(want) != golden.String() {
		t.Errorf("explanations differ from %s; review and rerun with -update", path)
	}
}
