package faults

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// Failure is one classified TLS failure as a node observed it, usually
// taken from an events.TLSFailed event.
type Failure struct {
	Link        topology.Link // the bridge's link; its From node dials
	Node        string        // the node that observed the failure
	Side        string        // events.SideClient or events.SideServer: Node's side of the handshake
	Class       tlsconf.Class
	Peer        string // the peer's node name, if known
	PeerSubject string // the subject of the certificate the peer presented, if any
	Reason      string // the error as the TLS stack said it
}

// Context is what Explain may consult to be specific: the topology (to tell
// a missing trust entry from a stale file, and to phrase fixes for
// CA-signed topologies) and the files the PKI wrote. Any of it may be nil.
type Context struct {
	Spec       *topology.Spec
	TrustFiles map[string]string // node -> trust.pem path
	CertFiles  map[string]string // node (or authority) -> certificate path
}

// Explain turns a failure into plain words: which node, which side, which
// file or setting, what the peer said, and the fix — with the ActiveMQ /
// keytool equivalent, since the same mistakes are made there. The first
// line is a one-line summary ("server-a does not trust hub."), the
// fix (a line starting "Fix:") comes last, followed at most by a note.
func Explain(f Failure, c Context) string {
	e := newExplainer(f, c)
	lines := e.special() // explain_knobs.go: policy classes, and causes the evidence pins down
	switch {
	case lines != nil:
	case f.Class == tlsconf.ClassUnknownAuthority:
		lines = e.unknownAuthority()
	case f.Class == tlsconf.ClassBadCertificate:
		lines = e.badCertificate()
	case f.Class == tlsconf.ClassClientCertRequired:
		lines = e.clientCertRequired()
	case f.Class == tlsconf.ClassHostnameMismatch:
		lines = e.hostnameMismatch()
	case f.Class == tlsconf.ClassExpired || f.Class == tlsconf.ClassNotYetValid:
		lines = e.validity()
	case f.Class == tlsconf.ClassBadKeyUsage:
		lines = e.badKeyUsage()
	case f.Class == tlsconf.ClassRevoked:
		lines = e.revoked()
	case f.Class == tlsconf.ClassNotTLS:
		lines = e.notTLS()
	case f.Class == tlsconf.ClassProtocolVersion || f.Class == tlsconf.ClassNoCommonCipher:
		lines = e.negotiation()
	case f.Class == tlsconf.ClassHandshakeTimeout:
		lines = e.handshakeTimeout()
	case f.Class == tlsconf.ClassConnectionReset:
		lines = e.connectionReset()
	case f.Class == tlsconf.ClassBadRecordMAC:
		lines = e.badRecordMAC()
	default:
		lines = e.other()
	}
	return strings.Join(slices.DeleteFunc(lines, func(s string) bool { return s == "" }), "\n")
}

// explainer holds the roles worked out once, so each class's text can
// speak of "the client", "the server", "the node that saw it" and "the
// other end" without re-deriving them.
type explainer struct {
	f              Failure
	c              Context
	self, peer     string // who observed it, and the other end
	client, server string // Link.From dials Link.To
	bridge         string
	remote         bool // Reason is the peer's alert, not our own verdict
}

func newExplainer(f Failure, c Context) *explainer {
	e := &explainer{f: f, c: c, client: f.Link.From, server: f.Link.To, bridge: f.Link.String()}
	side := f.Side
	if side == "" {
		side = events.SideClient
		if f.Node != "" && f.Node == f.Link.To {
			side = events.SideServer
		}
		e.f.Side = side
	}
	if side == events.SideServer && f.Link == (topology.Link{}) && f.Node != "" {
		// A server-side failure no link could be found for: the client
		// showed no certificate and saw no TLS failure of its own.
		e.server, e.client, e.bridge = f.Node, "a client", "(unknown link)"
	}
	if side == events.SideServer {
		e.self, e.peer = f.Link.To, f.Link.From
		if e.client == "a client" {
			e.peer = e.client
		}
	} else {
		e.self, e.peer = f.Link.From, f.Link.To
	}
	if f.Node != "" {
		e.self = f.Node
	}
	if f.Peer != "" {
		e.peer = f.Peer
	}
	if f.Link == (topology.Link{}) {
		e.unplaced()
	}
	if c.Spec != nil {
		if con := c.Spec.Connector(f.Link); con != nil && con.Name != "" {
			e.bridge = con.Name
		}
	}
	// Go reports an alert received from the peer as "remote error: tls: …";
	// anything else is this side's own verdict.
	e.remote = strings.Contains(f.Reason, "remote error")
	return e
}

// unplaced names the ends of a failure that could not be placed on a link
// (a server saw a handshake stall before any certificate, with several
// links leading in): the node that saw it is known, the other end may not be.
func (e *explainer) unplaced() {
	other := e.f.Peer
	if other == "" {
		other = "the other end"
	}
	if e.f.Side == events.SideServer {
		e.server, e.client = e.f.Node, other
		if other == "the other end" {
			e.client = "a dialling node"
		}
		e.self, e.peer = e.server, e.client
		e.bridge = "a bridge into " + e.server
		return
	}
	e.client, e.server = e.f.Node, other
	e.self, e.peer = e.client, e.server
	e.bridge = "a bridge from " + e.client
}

func (e *explainer) isClient(node string) bool { return node == e.client }

// role says what node was doing, e.g. "server-a (dialling hub for bridge
// server-a->hub)" or "hub (accepting server-a's bridge server-a->hub)".
func (e *explainer) role(node string) string {
	if e.f.Link == (topology.Link{}) {
		if e.isClient(node) {
			return node + " (dialling)"
		}
		return node + " (accepting a connection it could not tie to a link)"
	}
	if e.isClient(node) {
		return fmt.Sprintf("%s (dialling %s for bridge %s)", node, e.server, e.bridge)
	}
	return fmt.Sprintf("%s (accepting %s's bridge %s)", node, e.client, e.bridge)
}

// seen is the line quoting what the stack said, and on which side.
func (e *explainer) seen() string {
	if e.f.Reason == "" {
		return ""
	}
	if e.remote {
		return fmt.Sprintf("%s's alert, as %s received it on the %s side: %q.", e.peer, e.self, e.f.Side, e.f.Reason)
	}
	return fmt.Sprintf("%s's %s side reported: %q.", e.self, e.f.Side, e.f.Reason)
}

// presented notes the certificate subject the peer showed, when known,
// because "what answered was not who you think" is a real cause.
func (e *explainer) presented() string {
	if e.f.PeerSubject == "" {
		return ""
	}
	return fmt.Sprintf("%s presented a certificate for %q.", e.peer, e.f.PeerSubject)
}

// trustFile is " <path>" of node's truststore file, or "" when unknown,
// to follow the words "its truststore".
func (e *explainer) trustFile(node string) string {
	if p := e.c.TrustFiles[node]; p != "" {
		return " " + p
	}
	return ""
}

func (e *explainer) node(name string) *topology.Node {
	if e.c.Spec == nil {
		return nil
	}
	return e.c.Spec.Node(name)
}

// trust is what the topology says about truster trusting trustee.
type trust int

const (
	trustUnknown trust = iota // no spec, or truster not in it
	trustNone                 // truster has no TLS at all
	trustMissing              // trustee is not covered by truster's trust list
	trustDirect               // trustee is listed by name
	trustViaCA                // trustee's issuer is listed
)

func (e *explainer) trusts(truster, trustee string) trust {
	n := e.node(truster)
	switch {
	case n == nil:
		return trustUnknown
	case n.TLS == nil:
		return trustNone
	case slices.Contains(n.TLS.Trust, trustee):
		return trustDirect
	case signer(e.c.Spec, trustee) != "" && slices.Contains(n.TLS.Trust, signer(e.c.Spec, trustee)):
		return trustViaCA
	}
	return trustMissing
}

// trustStatus tells whether the topology explains the failure (the entry is
// missing) or not (the entry is there, so a file is stale or the wrong
// process answered) — the two need different fixes.
func (e *explainer) trustStatus(truster, trustee string) string {
	setting := "nodes." + truster + ".tls.trust"
	ca := signer(e.c.Spec, trustee)
	switch e.trusts(truster, trustee) {
	case trustNone:
		return fmt.Sprintf("nodes.%s has no tls settings, so %s trusts nobody.", truster, truster)
	case trustMissing:
		list := "[" + strings.Join(e.node(truster).TLS.Trust, ", ") + "]"
		if ca != "" {
			return fmt.Sprintf("In the topology, %s is %s; it lists neither %s nor %s, the authority that signed %s's certificate.", setting, list, trustee, ca, trustee)
		}
		return fmt.Sprintf("In the topology, %s is %s; it does not list %s.", setting, list, trustee)
	case trustDirect:
		return fmt.Sprintf("Yet %s lists %s: the truststore file is stale (made before %s's certificate was regenerated), or what answered did not present %s's current certificate.", setting, trustee, trustee, trustee)
	case trustViaCA:
		return fmt.Sprintf("Yet %s lists %s, which signed %s's certificate: the truststore file is stale, or %s presented a certificate %s did not sign.", setting, ca, trustee, trustee, ca)
	}
	return ""
}

// fixTrust is the fix for "truster does not trust trustee", in brokerlab
// and keytool terms. For a CA-signed trustee the authority is what to add,
// since that is what a truststore of a CA-signed network holds. When the
// topology already has the entry, adding it again would be no fix: the
// file is what is wrong, so the advice is to refresh it.
func (e *explainer) fixTrust(truster, trustee string) []string {
	what, entry := trustee+"'s certificate", trustee
	if ca := signer(e.c.Spec, trustee); ca != "" {
		what, entry = ca+", the authority that signed "+trustee+"'s certificate,", ca
	}
	keytool := fmt.Sprintf("keytool -import -alias %s -file %s.cert -keystore %s.ts", entry, entry, truster)
	var lines []string
	switch e.trusts(truster, trustee) {
	case trustDirect, trustViaCA:
		lines = append(lines, fmt.Sprintf("Fix: the topology already lists %s, so refresh %s's truststore file — in brokerlab regenerate the PKI; with ActiveMQ/keytool: keytool -delete -alias %s -keystore %s.ts, then %s — and check that %s reaches the real %s.",
			entry, truster, entry, truster, keytool, e.client, e.server))
	case trustNone:
		lines = append(lines, fmt.Sprintf("Fix: give %s tls settings (nodes.%s.tls, with an identity) and add %s to its truststore — in brokerlab add %q to nodes.%s.tls.trust; with ActiveMQ/keytool: %s",
			truster, truster, what, entry, truster, keytool))
	default:
		lines = append(lines, fmt.Sprintf("Fix: add %s to %s's truststore — in brokerlab add %q to nodes.%s.tls.trust; with ActiveMQ/keytool: %s",
			what, truster, entry, truster, keytool))
	}
	if p := e.c.CertFiles[entry]; p != "" {
		lines = append(lines, fmt.Sprintf("(%s.cert is %s's certificate, here %s.)", entry, entry, p))
	}
	return lines
}

// clientAuth is the server's client-certificate setting as ActiveMQ spells
// it on the listener URI: "needClientAuth=true", "wantClientAuth=true", or
// "" when the topology does not say.
func (e *explainer) clientAuth(server string) string {
	n := e.node(server)
	if n == nil {
		return ""
	}
	want := false
	for _, l := range n.Listen {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		q := u.Query()
		if q.Get("needClientAuth") == "true" {
			return "needClientAuth=true"
		}
		want = want || q.Get("wantClientAuth") == "true"
	}
	if want {
		return "wantClientAuth=true"
	}
	return ""
}

// requiresClientCerts phrases the server's listener setting.
func (e *explainer) requiresClientCerts(server string) string {
	if e.clientAuth(server) == "wantClientAuth=true" {
		return fmt.Sprintf("%s's listener asks for client certificates (wantClientAuth=true: optional, but checked when sent)", server)
	}
	return fmt.Sprintf("%s's listener requires client certificates (needClientAuth=true)", server)
}
