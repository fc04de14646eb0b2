package faults

import (
	"fmt"
	"net"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// NoIPSANs leaves the IP addresses out of node's certificate, keeping its
// DNS names: fine for peers that dial it by name, refused by one that
// dials, and verifies, an address ("No subject alternative names matching
// IP address 127.0.0.1 found" in Java; "doesn't contain any IP SANs" in
// Go). A scenario pairs it with a connector whose serverName is an IP
// (connector-tls serverName: 127.0.0.1); without one it tests nothing and
// is refused.
//
// Params: node (required).
type NoIPSANs struct{ node string }

func init() { RegisterMutation("no-ip-sans", newNoIPSANs) }

func newNoIPSANs(p Params) (Mutation, error) {
	node, err := nodeParam("no-ip-sans", p)
	if err != nil {
		return nil, err
	}
	return &NoIPSANs{node: node}, nil
}

func (m *NoIPSANs) Name() string { return m.node + "'s certificate has no IP address SANs" }

func (m *NoIPSANs) Mutate(spec *topology.Spec) error {
	if _, err := certNode("no-ip-sans", spec, m.node); err != nil {
		return err
	}
	_, err := requireChecks("no-ip-sans", spec, m.node, serverCheck)
	return err
}

// MutatePKI runs after every Mutate, so a connector-tls mutation listed
// after this one still counts.
func (m *NoIPSANs) MutatePKI(o *pki.Options, spec *topology.Spec) error {
	byIP := false
	for _, l := range spec.Links() {
		if c := spec.Connector(l); l.To == m.node && c != nil && net.ParseIP(c.TLS["serverName"]) != nil {
			byIP = true
		}
	}
	if !byIP {
		return fmt.Errorf("faults: no-ip-sans: no connector dials %s by an IP address (tls serverName), so nobody checks its IP SANs; add connector-tls with serverName: 127.0.0.1", m.node)
	}
	return setNodeOptions(o, m.node, func(no *pki.NodeOptions) error {
		if no.IPAddresses != nil || no.DNSNames != nil {
			return clash("no-ip-sans", m.node, "subject alternative names")
		}
		no.IPAddresses = []net.IP{}
		return nil
	})
}
