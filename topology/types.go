package topology

import (
	"fmt"
	"maps"
	"time"
)

// Spec is a whole network of brokers as declared in a topology file, after
// `like:` has been expanded and every reference checked. Nodes and
// Authorities keep the order of the file so that generated names, ports and
// reports are stable from run to run.
type Spec struct {
	Name        string
	File        string // where it was loaded from; "" when built in code
	Authorities []*Authority
	Nodes       []*Node
}

// Authority is a certificate authority declared under `authorities:`.
// A node whose identity names it gets a certificate it signed.
type Authority struct {
	Name string
	Pos  Pos
}

// Node is one broker.
type Node struct {
	Name    string
	Listen  []string // listener URIs, e.g. "stomp+ssl://127.0.0.1:0?needClientAuth=true"
	TLS     *NodeTLS // nil: the node has no identity and trusts nobody
	Connect []*Connector
	// Security is the node's login stack and authorization (security.go);
	// nil: anyone may do anything.
	Security *Security
	Like     string // the node this one was copied from, kept for messages
	Pos      Pos
}

// NodeTLS is a node's identity and the names it trusts. Trust entries name
// nodes (their self-signed certificate is trusted, the classic tutorial's
// shared truststore) or authorities (everything they signed is trusted).
type NodeTLS struct {
	Identity Identity
	Trust    []string
	SSL      *SSLContext // format and sslContext (sslcontext.go); nil: PEM files
	Pos      Pos
}

// Identity says how a node's certificate is made: self-signed, or signed by
// the named authority.
type Identity struct {
	SelfSigned bool
	Issuer     string
}

// Connector is a network connector the node opens towards another node: the
// ActiveMQ `<networkConnector uri="static://(…)">` with its attributes.
type Connector struct {
	To                    string
	Name                  string // defaults to "<from>-><to>"
	Duplex                bool
	Network               ConnectorNetwork
	DynamicOnly           bool
	NetworkTTL            int // 0 means the default, 1
	InitialReconnectDelay time.Duration
	MaxReconnectDelay     time.Duration
	UseExponentialBackOff *bool  // nil means the default, true
	UserName, Password    string // the bridge's login on the peer; the password is never printed
	// TLS knobs for the peer URI: serverName, verifyHostName,
	// enabledProtocols, enabledCipherSuites (sslcontext.go).
	TLS map[string]string
	Pos Pos
}

// Pos is a line and column in a topology file, 1-based; zero when unknown.
type Pos struct {
	Line, Column int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Link is a directed connection between two nodes, named as scenarios and
// reports write it: "server-a->hub". The From side dials.
type Link struct {
	From, To string
}

func (l Link) String() string { return l.From + "->" + l.To }

// ParseLink reads "a->b".
func ParseLink(s string) (Link, error) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '-' && s[i+1] == '>' {
			l := Link{From: s[:i], To: s[i+2:]}
			if l.From == "" || l.To == "" {
				break
			}
			return l, nil
		}
	}
	return Link{}, fmt.Errorf("topology: link %q is not of the form \"from->to\" (e.g. \"server-a->hub\")", s)
}

// Node returns the node with the given name, or nil.
func (s *Spec) Node(name string) *Node {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// NodeNames lists the nodes' names in file order.
func (s *Spec) NodeNames() []string {
	var names []string
	for _, n := range s.Nodes {
		names = append(names, n.Name)
	}
	return names
}

// Authority returns the authority with the given name, or nil.
func (s *Spec) Authority(name string) *Authority {
	for _, a := range s.Authorities {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Links lists every connector as a link, in file order.
func (s *Spec) Links() []Link {
	var links []Link
	for _, n := range s.Nodes {
		for _, c := range n.Connect {
			links = append(links, Link{From: n.Name, To: c.To})
		}
	}
	return links
}

// Connector returns the connector behind a link, or nil.
func (s *Spec) Connector(l Link) *Connector {
	n := s.Node(l.From)
	if n == nil {
		return nil
	}
	for _, c := range n.Connect {
		if c.To == l.To {
			return c
		}
	}
	return nil
}

// Clone returns a deep copy, so that a scenario can mutate its own copy
// (drop a peer from a trust list, say) without touching the catalogue's.
func (s *Spec) Clone() *Spec {
	c := &Spec{Name: s.Name, File: s.File}
	for _, a := range s.Authorities {
		ac := *a
		c.Authorities = append(c.Authorities, &ac)
	}
	for _, n := range s.Nodes {
		c.Nodes = append(c.Nodes, n.Clone())
	}
	return c
}

// Clone returns a deep copy of the node.
func (n *Node) Clone() *Node {
	c := *n
	c.Listen = append([]string(nil), n.Listen...)
	if n.TLS != nil {
		t := *n.TLS
		t.Trust = append([]string(nil), n.TLS.Trust...)
		if n.TLS.SSL != nil {
			s := *n.TLS.SSL
			t.SSL = &s
		}
		c.TLS = &t
	}
	c.Security = n.Security.Clone()
	c.Connect = nil
	for _, con := range n.Connect {
		cc := *con
		cc.Network = con.Network.Clone()
		if con.UseExponentialBackOff != nil {
			b := *con.UseExponentialBackOff
			cc.UseExponentialBackOff = &b
		}
		cc.TLS = maps.Clone(con.TLS)
		c.Connect = append(c.Connect, &cc)
	}
	return &c
}
