package faults

import (
	"fmt"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// ConnectorTLS edits the TLS settings of node's connector to `to`, as an
// operator edits the ssl:// URI inside static:(…): serverName,
// verifyHostName, enabledProtocols, enabledCipherSuites; ssl true or false
// makes it dial ssl:// or tcp:// whatever the peer's listener speaks (a
// plaintext connector pointed at a TLS port, or the reverse).
//
// Params: node and to (required), and at least one of the settings.
type ConnectorTLS struct {
	link topology.Link
	set  map[string]string
}

var connectorTLSFields = []string{"serverName", tlsconf.ParamVerifyHostName, tlsconf.ParamEnabledProtocols, tlsconf.ParamEnabledCipherSuites, "ssl"}

func init() { RegisterMutation("connector-tls", newConnectorTLS) }

func newConnectorTLS(p Params) (Mutation, error) {
	const kind = "connector-tls"
	node, err := nodeParam(kind, p, append([]string{"to"}, connectorTLSFields...)...)
	if err != nil {
		return nil, err
	}
	if err := p.Require(kind, "to"); err != nil {
		return nil, err
	}
	to, err := p.String(kind, "to", "")
	if err != nil {
		return nil, err
	}
	m := &ConnectorTLS{link: topology.Link{From: node, To: to}, set: map[string]string{}}
	for _, f := range connectorTLSFields {
		if _, given := p[f]; !given {
			continue
		}
		v, err := p.String(kind, f, "")
		if err != nil {
			return nil, err
		}
		switch f {
		case "serverName":
			if v == "" {
				return nil, fmt.Errorf("faults: %s: field \"serverName\" must not be empty", kind)
			}
		case "ssl":
			if v != "true" && v != "false" {
				return nil, fmt.Errorf("faults: %s: field \"ssl\": %q is not true or false", kind, v)
			}
		default:
			if _, err := tlsconf.ParseKnobs(map[string]string{f: v}, true); err != nil {
				return nil, fmt.Errorf("faults: %s: field %q: %v", kind, f, err)
			}
		}
		m.set[f] = v
	}
	if len(m.set) == 0 {
		return nil, fmt.Errorf("faults: %s: give at least one of %v", kind, connectorTLSFields)
	}
	return m, nil
}

func (m *ConnectorTLS) Name() string {
	return fmt.Sprintf("connector %s has %s", m.link, knobWords(m.set))
}

func (m *ConnectorTLS) Mutate(spec *topology.Spec) error {
	c := spec.Connector(m.link)
	if c == nil {
		return fmt.Errorf("faults: connector-tls: topology %q has no link %s; links: %v", spec.Name, m.link, spec.Links())
	}
	if c.TLS == nil {
		c.TLS = map[string]string{}
	}
	for k, v := range m.set {
		c.TLS[k] = v
	}
	return nil
}
