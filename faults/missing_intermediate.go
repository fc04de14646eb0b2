package faults

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// MissingIntermediate has node's certificate issued by an intermediate
// authority (`<issuer>-intermediate`, signed by the node's issuer) and
// then leaves the intermediate out of the file the node presents: the
// leaf alone, as after `keytool -importcert` of the signed certificate
// without its chain, or a cert.pem copied without the CA bundle. Peers that
// trust only the root cannot build a path from the leaf to it.
//
// Params: node (required). The node must be CA-signed and load PEM files.
type MissingIntermediate struct {
	node, inter string
}

func init() { RegisterMutation("missing-intermediate", newMissingIntermediate) }

func newMissingIntermediate(p Params) (Mutation, error) {
	node, err := nodeParam("missing-intermediate", p)
	if err != nil {
		return nil, err
	}
	return &MissingIntermediate{node: node}, nil
}

func (m *MissingIntermediate) Name() string {
	return m.node + " presents its certificate without the intermediate that issued it"
}

// Mutate inserts the intermediate between the node's issuer and the node.
func (m *MissingIntermediate) Mutate(spec *topology.Spec) error {
	n, err := certNode("missing-intermediate", spec, m.node)
	if err != nil {
		return err
	}
	if n.TLS.Identity.Issuer == "" {
		return fmt.Errorf("faults: missing-intermediate: %s's certificate is self-signed, so it has no chain to leave out; use a CA-signed node", m.node)
	}
	if n.TLS.SSL.UsesStores() {
		return fmt.Errorf("faults: missing-intermediate: %s loads keystores; this mutation rewrites a PEM certificate file: use a node with format pem", m.node)
	}
	if _, err := requireChecks("missing-intermediate", spec, m.node, anyCheck); err != nil {
		return err
	}
	m.inter = n.TLS.Identity.Issuer + "-intermediate"
	if spec.Authority(m.inter) != nil || spec.Node(m.inter) != nil {
		return fmt.Errorf("faults: missing-intermediate: %q is already a name in topology %q", m.inter, spec.Name)
	}
	spec.Authorities = append(spec.Authorities, &topology.Authority{Name: m.inter})
	n.TLS.Identity.Issuer = m.inter
	return nil
}

func (m *MissingIntermediate) MutatePKI(o *pki.Options, spec *topology.Spec) error {
	if o.Authorities == nil {
		o.Authorities = map[string]pki.AuthorityOptions{}
	}
	root := ""
	for _, a := range spec.Authorities {
		if a.Name+"-intermediate" == m.inter {
			root = a.Name
		}
	}
	ao := o.Authorities[m.inter]
	ao.Parent = root
	o.Authorities[m.inter] = ao
	return nil
}

// MutateMaterial writes the leaf alone where the node's certificate file
// was, under _missing-intermediate/ so the PKI's own file stays whole.
func (m *MissingIntermediate) MutateMaterial(mat *pki.Material, files map[string]tlsconf.Files, _ *topology.Spec) error {
	nf := mat.Nodes[m.node]
	if nf == nil || nf.Cert == nil || len(nf.Chain) == 0 {
		return fmt.Errorf("faults: missing-intermediate: %s's certificate has no intermediate in its chain", m.node)
	}
	path := filepath.Join(mat.Dir, "_missing-intermediate", m.node, pki.CertFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("faults: missing-intermediate: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: nf.Cert.Raw}), 0o644); err != nil {
		return fmt.Errorf("faults: missing-intermediate: %w", err)
	}
	f := files[m.node]
	f.CertFile = path
	files[m.node] = f
	return nil
}
