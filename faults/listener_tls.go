package faults

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// ListenerTLS edits a node's TLS listener URI as an operator edits a
// transportConnector: needClientAuth, wantClientAuth (setting one true
// clears the other, as in ActiveMQ), enabledProtocols, enabledCipherSuites;
// or, with tls: false, turns it into a plaintext stomp:// listener on the
// same port (TLS switched off on the hub while the spokes still dial
// ssl://).
//
// Params: node (required), and at least one of needClientAuth,
// wantClientAuth, enabledProtocols, enabledCipherSuites, tls.
type ListenerTLS struct {
	node      string
	set       map[string]string
	plaintext bool
}

var listenerTLSFields = []string{"needClientAuth", "wantClientAuth", tlsconf.ParamEnabledProtocols, tlsconf.ParamEnabledCipherSuites, "tls"}

func init() { RegisterMutation("listener-tls", newListenerTLS) }

func newListenerTLS(p Params) (Mutation, error) {
	const kind = "listener-tls"
	node, err := nodeParam(kind, p, listenerTLSFields...)
	if err != nil {
		return nil, err
	}
	m := &ListenerTLS{node: node, set: map[string]string{}}
	for _, f := range listenerTLSFields {
		if _, given := p[f]; !given {
			continue
		}
		v, err := p.String(kind, f, "")
		if err != nil {
			return nil, err
		}
		switch f {
		case "tls":
			if v != "false" {
				return nil, fmt.Errorf("faults: %s: field \"tls\": only false is meaningful (a plaintext listener); got %q", kind, v)
			}
			m.plaintext = true
		case "needClientAuth", "wantClientAuth":
			if v != "true" && v != "false" {
				return nil, fmt.Errorf("faults: %s: field %q: %q is not true or false", kind, f, v)
			}
			m.set[f] = v
		default:
			if _, err := tlsconf.ParseKnobs(map[string]string{f: v}, false); err != nil {
				return nil, fmt.Errorf("faults: %s: field %q: %v", kind, f, err)
			}
			m.set[f] = v
		}
	}
	if !m.plaintext && len(m.set) == 0 {
		return nil, fmt.Errorf("faults: %s: give at least one of %v", kind, listenerTLSFields)
	}
	if m.plaintext && len(m.set) > 0 {
		return nil, fmt.Errorf("faults: %s: tls: false makes a plaintext listener, which has no TLS options to set", kind)
	}
	return m, nil
}

func (m *ListenerTLS) Name() string {
	if m.plaintext {
		return m.node + "'s listener speaks plaintext"
	}
	return fmt.Sprintf("%s's TLS listener has %s", m.node, knobWords(m.set))
}

func (m *ListenerTLS) Mutate(spec *topology.Spec) error {
	n := spec.Node(m.node)
	if n == nil {
		return fmt.Errorf("faults: listener-tls: no node %q in topology %q", m.node, spec.Name)
	}
	i := slices.IndexFunc(n.Listen, func(raw string) bool {
		u, err := url.Parse(raw)
		return err == nil && (u.Scheme == "stomp+ssl" || u.Scheme == "ssl" || u.Scheme == "stomp+tls")
	})
	if i < 0 {
		return fmt.Errorf("faults: listener-tls: %s has no TLS listener to change", m.node)
	}
	if !slices.ContainsFunc(spec.Links(), func(l topology.Link) bool { return l.To == m.node }) {
		return fmt.Errorf("faults: listener-tls: nobody dials %s, so its listener's settings would meet no peer; the scenario would test nothing", m.node)
	}
	u, _ := url.Parse(n.Listen[i])
	q := u.Query()
	if m.plaintext {
		u.Scheme, q = "stomp", url.Values{}
	}
	for k, v := range m.set {
		// ActiveMQ: setting need or want to true clears the other.
		if v == "true" {
			switch k {
			case "needClientAuth":
				q.Del("wantClientAuth")
			case "wantClientAuth":
				q.Del("needClientAuth")
			}
		}
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	n.Listen[i] = u.String()
	return nil
}

// knobWords lists settings as "a=x, b=y" in a stable order.
func knobWords(set map[string]string) string {
	s := ""
	for _, k := range sortedKeys(set) {
		if s != "" {
			s += ", "
		}
		s += k + "=" + set[k]
	}
	return s
}
