package faults

import (
	"slices"
	"testing"

	"github.com/brokerlab/brokerlab/topology"
)

// tutorialSpec is the classic hub-and-spokes tutorial: self-signed
// identities, shared truststores, mTLS on the hub.
func tutorialSpec() *topology.Spec {
	selfSigned := topology.Identity{SelfSigned: true}
	return &topology.Spec{
		Name: "hub-and-spokes",
		Nodes: []*topology.Node{
			{Name: "hub", Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"},
				TLS: &topology.NodeTLS{Identity: selfSigned, Trust: []string{"hub", "server-a", "server-b"}}},
			{Name: "server-a", Listen: []string{"stomp://127.0.0.1:0"},
				TLS:     &topology.NodeTLS{Identity: selfSigned, Trust: []string{"server-a", "hub"}},
				Connect: []*topology.Connector{{To: "hub", Name: "server-a->hub", Duplex: true}}},
			{Name: "server-b", Listen: []string{"stomp://127.0.0.1:0"},
				TLS:     &topology.NodeTLS{Identity: selfSigned, Trust: []string{"server-b", "hub"}},
				Connect: []*topology.Connector{{To: "hub", Name: "server-b->hub", Duplex: true}}},
			{Name: "plain", Listen: []string{"stomp://127.0.0.1:0"}},
		},
	}
}

// caSpec is the same network with every node signed by one authority,
// "root", and truststores holding only root.
func caSpec() *topology.Spec {
	s := tutorialSpec()
	s.Authorities = []*topology.Authority{{Name: "root"}}
	for _, n := range s.Nodes {
		if n.TLS != nil {
			n.TLS.Identity = topology.Identity{Issuer: "root"}
			n.TLS.Trust = []string{"root"}
		}
	}
	return s
}

func TestUntrustedPeer(t *testing.T) {
	m, err := NewMutation("untrusted-peer", Params{"node": "server-a", "peer": "hub"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "server-a's truststore lacks hub"; m.Name() != want {
		t.Errorf("Name() = %q, want %q", m.Name(), want)
	}
	orig := tutorialSpec()
	spec := orig.Clone()
	if err := m.Mutate(spec); err != nil {
		t.Fatal(err)
	}
	if got := spec.Node("server-a").TLS.Trust; !slices.Equal(got, []string{"server-a"}) {
		t.Errorf("trust after mutation = %v", got)
	}
	if got := orig.Node("server-a").TLS.Trust; !slices.Equal(got, []string{"server-a", "hub"}) {
		t.Errorf("the original spec changed: %v", got)
	}
	// Applying it twice is a mistake worth reporting: the second time
	// there is nothing to remove.
	if err := m.Mutate(spec); err == nil {
		t.Error("second Mutate succeeded")
	}

	// In a CA-signed network the authority is the entry to remove.
	ca := caSpec()
	m, _ = NewMutation("untrusted-peer", Params{"node": "server-a", "peer": "root"})
	if err := m.Mutate(ca); err != nil {
		t.Fatal(err)
	}
	if got := ca.Node("server-a").TLS.Trust; len(got) != 0 {
		t.Errorf("trust after removing root = %v", got)
	}
}

func TestUntrustedPeerErrors(t *testing.T) {
	both := func(s *topology.Spec) *topology.Spec {
		s.Node("server-a").TLS.Trust = []string{"hub", "root"}
		return s
	}
	for _, tc := range []struct {
		name string
		p    Params
		spec *topology.Spec
		want string
	}{
		{"missing peer", Params{"node": "server-a"}, tutorialSpec(), `faults: untrusted-peer: field "peer" is required`},
		{"missing node", Params{"peer": "hub"}, tutorialSpec(), `faults: untrusted-peer: field "node" is required`},
		{"unknown field", Params{"node": "a", "peer": "b", "cert": "x"}, tutorialSpec(), `faults: untrusted-peer: unknown field "cert"; allowed: node, peer`},
		{"not a string", Params{"node": 1, "peer": "hub"}, tutorialSpec(), `faults: untrusted-peer: field "node": 1 is not a string`},
		{"empty", Params{"node": "", "peer": "hub"}, tutorialSpec(), `faults: untrusted-peer: fields "node" and "peer" must not be empty`},
		{"no such node", Params{"node": "server-z", "peer": "hub"}, tutorialSpec(), `faults: untrusted-peer: no node "server-z" in topology "hub-and-spokes"`},
		{"no tls", Params{"node": "plain", "peer": "hub"}, tutorialSpec(), `faults: untrusted-peer: plain has no TLS settings, so there is no truststore to remove hub from`},
		{"not trusted", Params{"node": "server-a", "peer": "server-b"}, tutorialSpec(), `faults: untrusted-peer: server-a does not trust server-b to begin with; nothing to remove`},
		{"only via ca", Params{"node": "server-a", "peer": "hub"}, caSpec(), `faults: untrusted-peer: server-a trusts hub only through root, the authority that signed hub's certificate; use peer: root`},
		{"still via ca", Params{"node": "server-a", "peer": "hub"}, both(caSpec()), `faults: untrusted-peer: server-a would still trust hub through root, the authority that signed hub's certificate; remove root too`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMutation("untrusted-peer", tc.p)
			if err == nil {
				err = m.Mutate(tc.spec)
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	// The spec in the message from the brief.
	m, _ := NewMutation("untrusted-peer", Params{"node": "server-a", "peer": "hub"})
	s := tutorialSpec()
	s.Node("server-a").TLS.Trust = []string{"server-a"}
	if err := m.Mutate(s); err == nil || err.Error() != "faults: untrusted-peer: server-a does not trust hub to begin with; nothing to remove" {
		t.Errorf("got %v", err)
	}
}
