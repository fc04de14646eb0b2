package faults

import (
	"crypto/x509"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// WrongCA replaces node's identity, after the PKI is made, with a fresh
// key and certificate its peers' truststores do not vouch for, keeping
// every name, usage and date of the old one:
//
//   - a self-signed node gets a new self-signed certificate, while its
//     peers still pin the old one: `keytool -genkey` run again on the hub
//     and the truststores never updated;
//   - a CA-signed node gets a certificate from another authority (issuer,
//     default "other-ca"), made for the occasion and trusted by nobody: a
//     certificate bought from the corporate CA for a network that trusts
//     its own.
//
// Params: node (required), issuer (the other authority's name; given for a
// self-signed node, its new certificate is issued by it rather than
// self-signed).
//
// It must act after generation: pinning the old certificate needs the old
// certificate to exist. The new files go under <pki>/_wrong-ca/, a name no
// node or authority can take; the node's truststore is left as it was.
type WrongCA struct {
	node, issuer string
}

func init() { RegisterMutation("wrong-ca", newWrongCA) }

// wrongCADir is where the replacement identity is written, inside the
// PKI's directory; topology names cannot start with "_".
const wrongCADir = "_wrong-ca"

func newWrongCA(p Params) (Mutation, error) {
	const kind = "wrong-ca"
	node, err := nodeParam(kind, p, "issuer")
	if err != nil {
		return nil, err
	}
	issuer, err := p.String(kind, "issuer", "")
	if err != nil {
		return nil, err
	}
	if _, given := p["issuer"]; given && !topology.ValidName(issuer) {
		return nil, fmt.Errorf("faults: %s: field \"issuer\": %q cannot name an authority; use letters, digits, '.', '_' and '-'", kind, issuer)
	}
	return &WrongCA{node: node, issuer: issuer}, nil
}

func (m *WrongCA) Name() string {
	if m.issuer != "" {
		return fmt.Sprintf("%s's certificate is issued by %s, which its peers do not trust", m.node, m.issuer)
	}
	return fmt.Sprintf("%s's certificate comes from an issuer its peers do not trust", m.node)
}

// Mutate changes nothing in the topology, on purpose: the topology still
// says the peers trust node, as the operator believes; only the files
// disagree. It refuses an issuer that is already an authority or a node of
// the topology, which some peer might trust.
func (m *WrongCA) Mutate(spec *topology.Spec) error {
	if _, err := certNode("wrong-ca", spec, m.node); err != nil {
		return err
	}
	if m.issuer != "" && (spec.Authority(m.issuer) != nil || spec.Node(m.issuer) != nil) {
		return fmt.Errorf("faults: wrong-ca: field \"issuer\": %q is already a name in topology %q; name a new authority, one nobody trusts", m.issuer, spec.Name)
	}
	_, err := requireChecks("wrong-ca", spec, m.node, anyCheck)
	return err
}

func (m *WrongCA) MutateMaterial(mat *pki.Material, files map[string]tlsconf.Files, spec *topology.Spec) error {
	nf := mat.Nodes[m.node]
	if nf == nil || nf.Cert == nil {
		return fmt.Errorf("faults: wrong-ca: the PKI has no certificate for %s", m.node)
	}
	dir := filepath.Join(mat.Dir, wrongCADir)
	if strings.HasPrefix(files[m.node].CertFile, dir+string(filepath.Separator)) {
		return clash("wrong-ca", m.node, "identity")
	}
	issuer := m.issuer
	if issuer == "" && nf.Issuer != "" {
		issuer = "other-ca"
		for spec.Authority(issuer) != nil || spec.Node(issuer) != nil || mat.Authorities[issuer] != nil {
			issuer = "other-" + issuer
		}
	}
	if mat.Authorities[issuer] != nil {
		return fmt.Errorf("faults: wrong-ca: the PKI already has an authority %q", issuer)
	}
	old := nf.Cert
	node := &topology.Node{Name: m.node, TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}}}
	mini := &topology.Spec{Name: spec.Name + " (wrong-ca)", Nodes: []*topology.Node{node}}
	if issuer != "" {
		node.TLS.Identity = topology.Identity{Issuer: issuer}
		mini.Authorities = []*topology.Authority{{Name: issuer}}
	}
	// The same certificate in every respect a peer checks before trust:
	// only the key and the issuer differ, so the failure can only be
	// unknown-authority.
	no := pki.NodeOptions{
		KeyType:     nf.KeyType,
		CommonName:  old.Subject.CommonName,
		DNSNames:    append([]string{}, old.DNSNames...),
		IPAddresses: append([]net.IP{}, old.IPAddresses...),
		ExtKeyUsage: append([]x509.ExtKeyUsage{}, old.ExtKeyUsage...),
		NotBefore:   old.NotBefore,
		NotAfter:    old.NotAfter,
	}
	made, err := pki.Generate(mini, dir, pki.Options{
		Nodes:         map[string]pki.NodeOptions{m.node: no},
		StorePassword: mat.StorePassword,
		KeyPassword:   mat.KeyPassword,
	})
	if err != nil {
		return fmt.Errorf("faults: wrong-ca: make %s's new identity: %w", m.node, err)
	}
	fresh := made.Nodes[m.node]
	// The node keeps its truststore; only its identity changes.
	repl := *nf
	repl.CertFile, repl.KeyFile, repl.Cert = fresh.CertFile, fresh.KeyFile, fresh.Cert
	repl.Chain, repl.Issuer, repl.KeyType = slices.Clone(fresh.Chain), fresh.Issuer, fresh.KeyType
	repl.KeyStoreP12File, repl.KeyStoreJKSFile = fresh.KeyStoreP12File, fresh.KeyStoreJKSFile
	mat.Nodes[m.node] = &repl
	if issuer != "" {
		mat.Authorities[issuer] = made.Authorities[issuer]
	}
	f := files[m.node]
	f.CertFile, f.KeyFile = fresh.CertFile, fresh.KeyFile
	files[m.node] = f
	return nil
}
