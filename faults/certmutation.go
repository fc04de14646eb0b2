package faults

import (
	"fmt"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/transport"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Helpers shared by the certificate mutations (expired, not-yet-valid,
// hostname-mismatch, cn-only, client-eku, server-eku, wrong-ca, revoked):
// each breaks one node's certificate, and each must refuse a scenario in
// which no peer would ever look at that certificate.

// nodeParam reads the field every certificate mutation has, node, after
// checking that only node and the kind's optional fields are set.
func nodeParam(kind string, p Params, optional ...string) (string, error) {
	if err := p.Check(kind, append([]string{"node"}, optional...)...); err != nil {
		return "", err
	}
	if err := p.Require(kind, "node"); err != nil {
		return "", err
	}
	node, err := p.String(kind, "node", "")
	if err != nil {
		return "", err
	}
	if node == "" {
		return "", fmt.Errorf("faults: %s: field \"node\" must not be empty", kind)
	}
	return node, nil
}

// certNode returns node when it exists and has a certificate of its own.
func certNode(kind string, spec *topology.Spec, node string) (*topology.Node, error) {
	n := spec.Node(node)
	if n == nil {
		return nil, fmt.Errorf("faults: %s: no node %q in topology %q", kind, node, spec.Name)
	}
	if !n.HasIdentity() {
		return nil, fmt.Errorf("faults: %s: %s has no certificate of its own (no tls identity), so there is none to break", kind, node)
	}
	return n, nil
}

// certCheck is one peer that verifies a node's certificate, on one link.
type certCheck struct {
	by       string // the verifying node
	link     topology.Link
	asServer bool // checked as a server's certificate (by the dialler), else as a client's
}

// certChecks lists who verifies node's certificate, as the driver wires
// links: a dialler with tls dials the peer's first TLS listener and always
// verifies it; a TLS listener verifies a dialler's certificate when it asks
// for one (needClientAuth or wantClientAuth; brokerlab's connectors always
// present theirs).
func certChecks(spec *topology.Spec, node string) []certCheck {
	var out []certCheck
	for _, l := range spec.Links() {
		switch node {
		case l.To:
			from := spec.Node(l.From)
			if _, ok := tlsListener(spec.Node(node)); ok && from != nil && from.TLS != nil {
				out = append(out, certCheck{by: l.From, link: l, asServer: true})
			}
		case l.From:
			if ln, ok := tlsListener(spec.Node(l.To)); ok && ln.ClientAuth != transport.NoClientCert {
				out = append(out, certCheck{by: l.To, link: l})
			}
		}
	}
	return out
}

func tlsListener(n *topology.Node) (transport.Listener, bool) {
	if n == nil {
		return transport.Listener{}, false
	}
	for _, raw := range n.Listen {
		if l, err := transport.ParseListener(raw); err == nil && l.TLS {
			return l, true
		}
	}
	return transport.Listener{}, false
}

// Which certificate checks a mutation needs in order to be seen at all.
const (
	anyCheck = iota
	serverCheck
	clientCheck
)

// requireChecks refuses a mutation no peer would notice, so a scenario
// cannot pass while testing nothing.
func requireChecks(kind string, spec *topology.Spec, node string, want int) ([]certCheck, error) {
	var got []certCheck
	for _, c := range certChecks(spec, node) {
		if want == anyCheck || c.asServer == (want == serverCheck) {
			got = append(got, c)
		}
	}
	if len(got) > 0 {
		return got, nil
	}
	switch want {
	case serverCheck:
		return nil, fmt.Errorf("faults: %s: nobody dials %s over TLS, so no peer checks its certificate as a server's; the scenario would test nothing", kind, node)
	case clientCheck:
		return nil, fmt.Errorf("faults: %s: %s dials no TLS listener that asks for client certificates (needClientAuth or wantClientAuth), so no peer checks its certificate as a client's; the scenario would test nothing", kind, node)
	}
	return nil, fmt.Errorf("faults: %s: no peer ever checks %s's certificate: nobody dials it over TLS and it dials no TLS listener that asks for client certificates; the scenario would test nothing", kind, node)
}

// setNodeOptions changes node's certificate plan with edit, which reports
// a clash with what another mutation already changed: two mutations of one
// aspect of one certificate would silently override each other.
func setNodeOptions(o *pki.Options, node string, edit func(*pki.NodeOptions) error) error {
	no := o.Nodes[node]
	if err := edit(&no); err != nil {
		return err
	}
	if o.Nodes == nil {
		o.Nodes = map[string]pki.NodeOptions{}
	}
	o.Nodes[node] = no
	return nil
}

func validitySet(no *pki.NodeOptions) bool {
	return !no.NotBefore.IsZero() || !no.NotAfter.IsZero() || no.NotBeforeOffset != 0 || no.NotAfterOffset != 0
}

func clash(kind, node, what string) error {
	return fmt.Errorf("faults: %s: another mutation already changed %s's %s; use one such mutation per certificate", kind, node, what)
}

// lifetime is how long a certificate of o is valid, as pki.Generate
// defaults it, so that a moved window keeps its usual length.
func lifetime(o *pki.Options) time.Duration {
	if o.Validity > 0 {
		return o.Validity
	}
	return 24 * time.Hour
}

// positive reads a duration field that must be more than zero.
func positive(kind string, p Params, field string, def time.Duration) (time.Duration, error) {
	d, err := p.Duration(kind, field, def)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("faults: %s: field %q: %s is not positive", kind, field, d)
	}
	return d, nil
}

// short writes a duration as a person would: 1h, 90m → 1h30m, 45s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
