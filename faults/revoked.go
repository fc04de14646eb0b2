package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Revoked revokes node's certificate after the PKI is made: its issuer's
// CRL lists its serial, and every node with tls loads the CRLs of all the
// authorities (ActiveMQ's crlPath on each broker's sslContext), so a peer
// that verifies the certificate refuses it (revoked) and the node sees
// only a bad_certificate alert. Only a CA-signed certificate can be
// revoked: a self-signed one has no authority to sign a list, and a pinned
// certificate is a trust anchor, which no CRL reaches (neither Java nor
// tlsconf checks anchors).
//
// Params: node (required).
type Revoked struct {
	node string
}

func init() { RegisterMutation("revoked", newRevoked) }

// crlBundle is the CRL file every node loads, inside the PKI's directory;
// topology names cannot start with "_", so it never clashes with a node's.
const crlBundle = "_crls.pem"

func newRevoked(p Params) (Mutation, error) {
	node, err := nodeParam("revoked", p)
	if err != nil {
		return nil, err
	}
	return &Revoked{node: node}, nil
}

func (m *Revoked) Name() string {
	return fmt.Sprintf("%s's certificate is revoked (its issuer's CRL lists it)", m.node)
}

// Mutate changes nothing in the topology; it refuses a certificate no CRL
// can revoke, or one every checking peer pins (trusts by name).
func (m *Revoked) Mutate(spec *topology.Spec) error {
	n, err := certNode("revoked", spec, m.node)
	if err != nil {
		return err
	}
	if n.TLS.Identity.SelfSigned {
		return fmt.Errorf("faults: revoked: %s's certificate is self-signed, so no authority can revoke it; use a CA-signed topology (e.g. hub-and-spokes-ca), or untrusted-peer to take it out of its peers' truststores", m.node)
	}
	checks, err := requireChecks("revoked", spec, m.node, anyCheck)
	if err != nil {
		return err
	}
	var pinners []string
	for _, c := range checks {
		if v := spec.Node(c.by); v != nil && v.TLS != nil && slices.Contains(v.TLS.Trust, m.node) {
			pinners = append(pinners, c.by)
		}
	}
	if len(pinners) == len(checks) {
		return fmt.Errorf("faults: revoked: %s trust %s by name, which pins its certificate as a trust anchor that no CRL revokes; have them trust %s, its issuer, instead", strings.Join(pinners, " and "), m.node, n.TLS.Identity.Issuer)
	}
	return nil
}

func (m *Revoked) MutateMaterial(mat *pki.Material, files map[string]tlsconf.Files, _ *topology.Spec) error {
	if _, err := mat.Revoke(m.node); err != nil {
		return fmt.Errorf("faults: revoked: %w", err)
	}
	// One file with every authority's list, rewritten on each revocation
	// so that it stays current when several mutations revoke.
	var bundle []byte
	for _, name := range sortedKeys(mat.Authorities) {
		data, err := os.ReadFile(mat.Authorities[name].CRLFile)
		if err != nil {
			return fmt.Errorf("faults: revoked: read %s's CRL: %w", name, err)
		}
		bundle = append(bundle, data...)
	}
	path := filepath.Join(mat.Dir, crlBundle)
	if err := os.WriteFile(path, bundle, 0o644); err != nil {
		return fmt.Errorf("faults: revoked: %w", err)
	}
	for name, f := range files {
		if f.CRLFile != "" && f.CRLFile != path {
			return fmt.Errorf("faults: revoked: %s already loads the CRL file %s", name, f.CRLFile)
		}
		f.CRLFile = path
		files[name] = f
	}
	return nil
}
