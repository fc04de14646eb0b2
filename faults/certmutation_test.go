package faults

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// made is a PKI made the way the scenario runner makes it: mutations on
// a cloned spec and the certificate plan, pki.Generate, then the material
// mutations on the files the nodes would load.
type made struct {
	spec  *topology.Spec
	mat   *pki.Material
	files map[string]tlsconf.Files
}

// context is what the judge hands Explain for this PKI.
func (m made) context() Context {
	c := Context{Spec: m.spec, TrustFiles: map[string]string{}, CertFiles: map[string]string{}}
	for n, f := range m.files {
		c.TrustFiles[n], c.CertFiles[n] = f.TrustFile, f.CertFile
	}
	for n, a := range m.mat.Authorities {
		c.CertFiles[n] = a.CertFile
	}
	return c
}

// mutate applies the mutations given as kind and params to a clone of
// spec and makes the PKI in dir, with certificates made at at (zero: now).
func mutate(t *testing.T, spec *topology.Spec, dir string, at time.Time, ms ...Mutation) made {
	t.Helper()
	spec = spec.Clone()
	o := pki.Options{Now: at}
	if err := ApplyMutations(spec, &o, ms); err != nil {
		t.Fatal(err)
	}
	mat, err := pki.Generate(spec, dir, o)
	if err != nil {
		t.Fatal(err)
	}
	files := NodeFiles(mat)
	if err := ApplyMaterialMutations(mat, files, spec, ms); err != nil {
		t.Fatal(err)
	}
	return made{spec: spec, mat: mat, files: files}
}

func mustMutation(t *testing.T, kind string, p Params) Mutation {
	t.Helper()
	m, err := NewMutation(kind, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// handshake runs a real TLS handshake over loopback between two nodes'
// files, client dialling server by its node name, server requiring client
// certificates, as the hub does. It returns what each side saw; under TLS
// 1.3 the client learns of a refused certificate on its first read, so it
// reads once.
func handshake(t *testing.T, files map[string]tlsconf.Files, client, server string) (clientErr, serverErr error) {
	t.Helper()
	load := func(n string) *tlsconf.Material {
		m, err := tlsconf.Load(files[n])
		if err != nil {
			t.Fatalf("load %s's files: %v", n, err)
		}
		return m
	}
	scfg, err := tlsconf.ServerConfig(load(server), tlsconf.NeedClientCert)
	if err != nil {
		t.Fatal(err)
	}
	ccfg, err := tlsconf.ClientConfig(load(client), server)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		tc := tls.Server(c, scfg)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		err = tc.Handshake()
		if err == nil {
			_, err = tc.Write([]byte("ok"))
		}
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, ccfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	clientErr = tc.Handshake()
	if clientErr == nil {
		_, clientErr = tc.Read(make([]byte, 2))
	}
	tc.Close()
	return clientErr, <-done
}

// wantClasses checks the classes both sides of a real handshake report.
func wantClasses(t *testing.T, m made, client, server string, wantClient, wantServer tlsconf.Class) {
	t.Helper()
	cerr, serr := handshake(t, m.files, client, server)
	if got := tlsconf.Classify(cerr); got != wantClient {
		t.Errorf("%s (client) saw %s, want %s: %v", client, got, wantClient, cerr)
	}
	if got := tlsconf.Classify(serr); got != wantServer {
		t.Errorf("%s (server) saw %s, want %s: %v", server, got, wantServer, serr)
	}
}

func TestApplyMutationsOrder(t *testing.T) {
	// Every Mutate runs before any MutatePKI, so a plan sees the final
	// topology; errors name the mutation.
	var calls []string
	ms := []Mutation{
		&recorder{name: "a", calls: &calls},
		&recorder{name: "b", calls: &calls},
	}
	if err := ApplyMutations(tutorialSpec(), &pki.Options{}, ms); err != nil {
		t.Fatal(err)
	}
	if got := len(calls); got != 4 || calls[0] != "a.Mutate" || calls[1] != "b.Mutate" || calls[2] != "a.MutatePKI" || calls[3] != "b.MutatePKI" {
		t.Errorf("calls = %v", calls)
	}
	bad := &recorder{name: "c", calls: &calls, err: errors.New("faults: c: no")}
	if err := ApplyMutations(tutorialSpec(), &pki.Options{}, []Mutation{bad}); err == nil || err.Error() != "mutation c: faults: c: no" {
		t.Errorf("got %v", err)
	}
}

type recorder struct {
	name  string
	calls *[]string
	err   error
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Mutate(*topology.Spec) error {
	*r.calls = append(*r.calls, r.name+".Mutate")
	return r.err
}
func (r *recorder) MutatePKI(*pki.Options, *topology.Spec) error {
	*r.calls = append(*r.calls, r.name+".MutatePKI")
	return nil
}

func TestCertMutationNames(t *testing.T) {
	for _, tc := range []struct {
		kind string
		p    Params
		want string
	}{
		{"expired", Params{"node": "hub"}, "hub's certificate expired 1h ago"},
		{"expired", Params{"node": "hub", "ago": "90m"}, "hub's certificate expired 1h30m ago"},
		{"not-yet-valid", Params{"node": "hub", "in": "2h"}, "hub's certificate becomes valid only in 2h"},
		{"hostname-mismatch", Params{"node": "hub"}, "hub's certificate names hub.example.com, not hub"},
		{"cn-only", Params{"node": "hub"}, "hub's certificate has no subjectAltName, only a CN"},
		{"wrong-ca", Params{"node": "hub"}, "hub's certificate comes from an issuer its peers do not trust"},
		{"wrong-ca", Params{"node": "hub", "issuer": "acme"}, "hub's certificate is issued by acme, which its peers do not trust"},
		{"client-eku", Params{"node": "hub"}, "hub's certificate allows only clientAuth, not serverAuth"},
		{"server-eku", Params{"node": "server-a"}, "server-a's certificate allows only serverAuth, not clientAuth"},
		{"revoked", Params{"node": "server-a"}, "server-a's certificate is revoked (its issuer's CRL lists it)"},
	} {
		if got := mustMutation(t, tc.kind, tc.p).Name(); got != tc.want {
			t.Errorf("%s %v: Name() = %q, want %q", tc.kind, tc.p, got, tc.want)
		}
	}
}

func TestCertMutationErrors(t *testing.T) {
	// A hub nobody dials over TLS, and spokes whose hub asks for no
	// client certificate.
	noTLSDial := func() *topology.Spec {
		s := tutorialSpec()
		s.Node("hub").Listen = []string{"stomp://127.0.0.1:0"}
		return s
	}
	noClientAuth := func() *topology.Spec {
		s := tutorialSpec()
		s.Node("hub").Listen = []string{"stomp+ssl://127.0.0.1:0"}
		return s
	}
	pinned := func() *topology.Spec {
		s := caSpec()
		for _, n := range []string{"server-a", "server-b"} {
			s.Node(n).TLS.Trust = []string{"hub"}
		}
		return s
	}
	for _, tc := range []struct {
		kind string
		p    Params
		spec *topology.Spec
		want string
	}{
		{"expired", Params{}, tutorialSpec(), `faults: expired: field "node" is required`},
		{"expired", Params{"node": "hub", "peer": "x"}, tutorialSpec(), `faults: expired: unknown field "peer"; allowed: ago, node`},
		{"expired", Params{"node": "hub", "ago": "1"}, tutorialSpec(), `faults: expired: field "ago": "1" is not a duration (e.g. 200ms)`},
		{"expired", Params{"node": "hub", "ago": "-1h"}, tutorialSpec(), `faults: expired: field "ago": -1h0m0s is not positive`},
		{"expired", Params{"node": ""}, tutorialSpec(), `faults: expired: field "node" must not be empty`},
		{"expired", Params{"node": "server-z"}, tutorialSpec(), `faults: expired: no node "server-z" in topology "hub-and-spokes"`},
		{"expired", Params{"node": "plain"}, tutorialSpec(), `faults: expired: plain has no certificate of its own (no tls identity), so there is none to break`},
		{"expired", Params{"node": "server-a"}, noClientAuth(), `faults: expired: no peer ever checks server-a's certificate: nobody dials it over TLS and it dials no TLS listener that asks for client certificates; the scenario would test nothing`},
		{"not-yet-valid", Params{"node": "hub", "in": "0s"}, tutorialSpec(), `faults: not-yet-valid: field "in": 0s is not positive`},
		{"hostname-mismatch", Params{"node": "hub", "name": "hub"}, tutorialSpec(), `faults: hostname-mismatch: field "name": "hub" is the name peers dial, so nothing would mismatch; give another name`},
		{"hostname-mismatch", Params{"node": "hub", "name": "10.0.0.1"}, tutorialSpec(), `faults: hostname-mismatch: field "name": "10.0.0.1" is an IP address; give a DNS name`},
		{"hostname-mismatch", Params{"node": "server-a"}, tutorialSpec(), `faults: hostname-mismatch: nobody dials server-a over TLS, so no peer checks its certificate as a server's; the scenario would test nothing`},
		{"cn-only", Params{"node": "hub"}, noTLSDial(), `faults: cn-only: nobody dials hub over TLS, so no peer checks its certificate as a server's; the scenario would test nothing`},
		{"client-eku", Params{"node": "server-b"}, tutorialSpec(), `faults: client-eku: nobody dials server-b over TLS, so no peer checks its certificate as a server's; the scenario would test nothing`},
		{"server-eku", Params{"node": "server-a"}, noClientAuth(), `faults: server-eku: server-a dials no TLS listener that asks for client certificates (needClientAuth or wantClientAuth), so no peer checks its certificate as a client's; the scenario would test nothing`},
		{"server-eku", Params{"node": "hub"}, tutorialSpec(), `faults: server-eku: hub dials no TLS listener that asks for client certificates (needClientAuth or wantClientAuth), so no peer checks its certificate as a client's; the scenario would test nothing`},
		{"wrong-ca", Params{"node": "hub", "issuer": "root"}, caSpec(), `faults: wrong-ca: field "issuer": "root" is already a name in topology "hub-and-spokes"; name a new authority, one nobody trusts`},
		{"wrong-ca", Params{"node": "hub", "issuer": "a b"}, caSpec(), `faults: wrong-ca: field "issuer": "a b" cannot name an authority; use letters, digits, '.', '_' and '-'`},
		{"revoked", Params{"node": "hub"}, tutorialSpec(), `faults: revoked: hub's certificate is self-signed, so no authority can revoke it; use a CA-signed topology (e.g. hub-and-spokes-ca), or untrusted-peer to take it out of its peers' truststores`},
		{"revoked", Params{"node": "hub"}, pinned(), `faults: revoked: server-a and server-b trust hub by name, which pins its certificate as a trust anchor that no CRL revokes; have them trust root, its issuer, instead`},
	} {
		t.Run(tc.kind+" "+tc.want, func(t *testing.T) {
			m, err := NewMutation(tc.kind, tc.p)
			if err == nil {
				err = ApplyMutations(tc.spec, &pki.Options{}, []Mutation{m})
			}
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			got := err.Error()
			if m != nil {
				got = got[len("mutation "+m.Name()+": "):]
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCertMutationsClash(t *testing.T) {
	// Two mutations of one aspect of one certificate would silently
	// override each other.
	for _, pair := range [][2]string{{"expired", "not-yet-valid"}, {"cn-only", "hostname-mismatch"}, {"client-eku", "client-eku"}} {
		ms := []Mutation{mustMutation(t, pair[0], Params{"node": "hub"}), mustMutation(t, pair[1], Params{"node": "hub"})}
		err := ApplyMutations(tutorialSpec(), &pki.Options{}, ms)
		if err == nil {
			t.Errorf("%s + %s: no error", pair[0], pair[1])
		}
	}
	// Different aspects compose.
	ms := []Mutation{mustMutation(t, "expired", Params{"node": "hub"}), mustMutation(t, "cn-only", Params{"node": "hub"})}
	if err := ApplyMutations(tutorialSpec(), &pki.Options{}, ms); err != nil {
		t.Error(err)
	}
}
