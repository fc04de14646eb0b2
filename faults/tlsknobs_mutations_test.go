package faults

import (
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// The certificate mutations of the TLS-settings catalogue: each applied as
// the runner applies it, its effect checked in the files, then a real
// loopback handshake between server-a (client) and the hub (server), and
// the client side's explanation.
func TestTLSMutationsHandshake(t *testing.T) {
	tests := []struct {
		name string
		spec func() *topology.Spec
		ms   []struct {
			kind string
			p    Params
		}
		check          func(t *testing.T, m made)
		client, server tlsconf.Class
		explain        string
	}{
		{name: "weak-key", spec: tutorialSpec, ms: []struct {
			kind string
			p    Params
		}{{"weak-key", Params{"node": "hub"}}},
			check: func(t *testing.T, m made) {
				if k, ok := m.mat.Nodes["hub"].Cert.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 1024 {
					t.Errorf("hub's key is %T, want a 1024-bit RSA key", m.mat.Nodes["hub"].Cert.PublicKey)
				}
			},
			client: tlsconf.ClassWeakKey, server: tlsconf.ClassBadCertificate, explain: "it has a 1024-bit RSA key, and server-a's policy requires at least 2048 bits"},
		{name: "sha1-signature", spec: caSpec, ms: []struct {
			kind string
			p    Params
		}{{"sha1-signature", Params{"node": "hub"}}},
			check: func(t *testing.T, m made) {
				if a := m.mat.Nodes["hub"].Cert.SignatureAlgorithm; a != x509.ECDSAWithSHA1 {
					t.Errorf("hub's certificate is signed with %s", a)
				}
			},
			client: tlsconf.ClassBadSignatureAlgorithm, server: tlsconf.ClassBadCertificate, explain: "signed it with ECDSA-SHA1"},
		{name: "missing-intermediate", spec: caSpec, ms: []struct {
			kind string
			p    Params
		}{{"missing-intermediate", Params{"node": "hub"}}},
			check: func(t *testing.T, m made) {
				if n := len(readCerts(m.files["hub"].CertFile)); n != 1 || len(m.mat.Nodes["hub"].Chain) != 1 {
					t.Errorf("hub's file holds %d certificates, its chain %d; want the leaf alone, and one intermediate", n, len(m.mat.Nodes["hub"].Chain))
				}
			},
			client: tlsconf.ClassUnknownAuthority, server: tlsconf.ClassBadCertificate, explain: "hub sent its certificate without the intermediate CA that issued it"},
		{name: "clock-skew", spec: tutorialSpec, ms: []struct {
			kind string
			p    Params
		}{{"clock-skew", Params{"node": "server-a", "offset": "48h"}}},
			check: func(t *testing.T, m made) {
				if c := m.files["server-a"].SSLContext; c == nil || c.ClockOffset != 48*time.Hour {
					t.Errorf("server-a's sslContext = %v", c)
				}
			},
			client: tlsconf.ClassExpired, server: tlsconf.ClassBadCertificate, explain: "server-a's clock is about"},
		{name: "no-client-cert", spec: tutorialSpec, ms: []struct {
			kind string
			p    Params
		}{{"no-client-cert", Params{"node": "server-a"}}},
			client: tlsconf.ClassClientCertRequired, server: tlsconf.ClassClientCertRequired, explain: "hub requires a client certificate and server-a sent none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms []Mutation
			for _, m := range tt.ms {
				ms = append(ms, mustMutation(t, m.kind, m.p))
			}
			m := mutate(t, tt.spec(), t.TempDir(), time.Time{}, ms...)
			if tt.check != nil {
				tt.check(t, m)
			}
			cerr, serr := handshake(t, m.files, "server-a", "hub")
			if got := tlsconf.Classify(cerr); got != tt.client {
				t.Errorf("client saw %s, want %s: %v", got, tt.client, cerr)
			}
			if got := tlsconf.Classify(serr); got != tt.server {
				t.Errorf("server saw %s, want %s: %v", got, tt.server, serr)
			}
			if cerr == nil {
				return
			}
			f := Failure{Link: topology.Link{From: "server-a", To: "hub"}, Node: "server-a", Side: events.SideClient, Class: tlsconf.Classify(cerr), Reason: cerr.Error()}
			if got := Explain(f, m.context()); !strings.Contains(got, tt.explain) || !strings.Contains(got, "Fix: ") {
				t.Errorf("explanation lacks %q or a fix:\n%s", tt.explain, got)
			}
		})
	}
}

func keystoreSpec(t *testing.T) *topology.Spec {
	t.Helper()
	s, err := topology.Example("hub-and-spokes-keystores")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Load-time mistakes: the node's own files no longer load, with the class
// and the file, and never the password, in the error.
func TestLoadMutations(t *testing.T) {
	tests := []struct {
		kind  string
		p     Params
		spec  func(*testing.T) *topology.Spec
		class tlsconf.Class
		file  string
	}{
		{"wrong-keystore-password", Params{"node": "hub"}, keystoreSpec, tlsconf.ClassBadKeystorePassword, "keystore.jks"},
		{"wrong-keystore-password", Params{"node": "hub", "store": "trustStore"}, keystoreSpec, tlsconf.ClassBadTruststorePassword, "truststore.jks"},
		{"wrong-keystore-password", Params{"node": "server-a"}, keystoreSpec, tlsconf.ClassBadKeystorePassword, "keystore.p12"},
		{"wrong-key-password", Params{"node": "hub"}, keystoreSpec, tlsconf.ClassBadKeyPassword, "keystore.jks"},
		{"truststore-empty", Params{"node": "hub"}, keystoreSpec, tlsconf.ClassTruststoreEmpty, "truststore.jks"},
		{"key-mismatch", Params{"node": "hub"}, func(*testing.T) *topology.Spec { return tutorialSpec() }, tlsconf.ClassKeyMismatch, "_key-mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.file, func(t *testing.T) {
			m := mutate(t, tt.spec(t), t.TempDir(), time.Time{}, mustMutation(t, tt.kind, tt.p))
			node, _ := tt.p.String(tt.kind, "node", "")
			_, err := tlsconf.Load(m.files[node])
			if got := tlsconf.Classify(err); got != tt.class {
				t.Fatalf("load %s: class %s, want %s: %v", node, got, tt.class, err)
			}
			if !strings.Contains(err.Error(), tt.file) || strings.Contains(err.Error(), wrongPassword) {
				t.Errorf("error names no %s, or shows the password: %v", tt.file, err)
			}
			if ex := ExplainStart(node, tt.class, err.Error(), m.context()); !strings.Contains(ex, node+" refused to start") || !strings.Contains(ex, "Fix: ") {
				t.Errorf("ExplainStart:\n%s", ex)
			}
			// The other nodes still load.
			for other, f := range m.files {
				if other != node {
					if _, err := tlsconf.Load(f); err != nil {
						t.Errorf("%s no longer loads: %v", other, err)
					}
				}
			}
		})
	}
}

func TestKnobMutations(t *testing.T) {
	spec := tutorialSpec()
	for _, m := range []Mutation{
		mustMutation(t, "listener-tls", Params{"node": "hub", "wantClientAuth": "true", "enabledProtocols": "TLSv1.3"}),
		mustMutation(t, "connector-tls", Params{"node": "server-a", "to": "hub", "serverName": "127.0.0.1", "verifyHostName": "false"}),
	} {
		if err := m.Mutate(spec); err != nil {
			t.Fatal(err)
		}
	}
	// Setting wantClientAuth clears needClientAuth, as in ActiveMQ.
	if got := spec.Node("hub").Listen[0]; got != "stomp+ssl://127.0.0.1:0?enabledProtocols=TLSv1.3&wantClientAuth=true" {
		t.Errorf("hub listens on %s", got)
	}
	if got := spec.Connector(topology.Link{From: "server-a", To: "hub"}).TLS; got["serverName"] != "127.0.0.1" || got["verifyHostName"] != "false" {
		t.Errorf("connector tls = %v", got)
	}
}

// Every mutation refuses what it cannot do, or what would test nothing,
// with the field or the reason in the message.
func TestTLSMutationRefusals(t *testing.T) {
	tests := []struct {
		kind string
		p    Params
		spec func() *topology.Spec
		want string
	}{
		{"clock-skew", Params{"node": "hub", "offset": "0s"}, tutorialSpec, `field "offset" is 0`},
		{"listener-tls", Params{"node": "hub", "enabledProtocols": "TLSv1.0"}, tutorialSpec, `field "enabledProtocols"`},
		{"listener-tls", Params{"node": "hub"}, tutorialSpec, "give at least one of"},
		{"listener-tls", Params{"node": "server-a", "needClientAuth": "true"}, tutorialSpec, "server-a has no TLS listener"},
		{"connector-tls", Params{"node": "hub", "to": "server-a", "ssl": "false"}, tutorialSpec, "has no link hub->server-a"},
		{"connector-tls", Params{"node": "server-a", "to": "hub", "verifyHostName": "maybe"}, tutorialSpec, `field "verifyHostName"`},
		{"sha1-signature", Params{"node": "hub"}, tutorialSpec, "self-signed"},
		{"missing-intermediate", Params{"node": "hub"}, tutorialSpec, "self-signed"},
		{"wrong-keystore-password", Params{"node": "hub"}, tutorialSpec, "loads PEM files"},
		{"wrong-keystore-password", Params{"node": "hub", "store": "keystore"}, tutorialSpec, `"keystore" is not one of keyStore, trustStore`},
		{"truststore-empty", Params{"node": "hub"}, tutorialSpec, "loads PEM files"},
		{"no-ip-sans", Params{"node": "hub"}, tutorialSpec, "no connector dials hub by an IP address"},
		{"no-client-cert", Params{"node": "hub"}, tutorialSpec, "hub dials no TLS listener that asks for client certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.want, func(t *testing.T) {
			m, err := NewMutation(tt.kind, tt.p)
			if err == nil {
				spec := tt.spec()
				var o = pkiOptions()
				err = ApplyMutations(spec, o, []Mutation{m})
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func pkiOptions() *pki.Options { return &pki.Options{} }
