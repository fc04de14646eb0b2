package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/brokerlab/brokerlab/topology"
)

// DefaultPassword is the store password when Options.StorePassword is
// empty: keytool's and the JDK's cacerts' "changeit", which every Java
// user recognises.
const DefaultPassword = "changeit"

// NodeOptions shape one node's certificate. The zero value gives the
// default certificate: ECDSA P-256, CN and a DNS SAN with the node name,
// plus localhost, 127.0.0.1 and ::1, serverAuth and clientAuth.
type NodeOptions struct {
	KeyType    KeyType // "" is ecdsa-p256
	CommonName string  // "" is the node name
	// DNSNames and IPAddresses are the subject alternative names. nil means
	// the defaults (the node name and localhost; 127.0.0.1 and ::1); a
	// non-nil slice, even an empty one, replaces them. Both empty make a
	// CN-only certificate, as keytool -genkey without -ext SAN does.
	DNSNames    []string
	IPAddresses []net.IP
	// ExtKeyUsage nil means serverAuth and clientAuth, since a duplex
	// bridge makes every node both; a non-nil empty slice leaves the
	// extension out (any usage), as keytool does.
	ExtKeyUsage []x509.ExtKeyUsage
	// The validity window. An absolute time wins over an offset; an offset
	// counts from Options.Now; zero for both means the default, from an
	// hour before Now to Now + Options.Validity.
	NotBefore, NotAfter             time.Time
	NotBeforeOffset, NotAfterOffset time.Duration
	// SignatureAlgorithm is how the issuer signs the certificate; 0 lets
	// Go choose from the issuer's key (SHA-256 or better). x509.SHA1WithRSA
	// or x509.ECDSAWithSHA1 reproduce a certificate verifiers refuse.
	SignatureAlgorithm x509.SignatureAlgorithm
}

// AuthorityOptions shape one authority's certificate. The zero value is a
// root with an ECDSA P-256 key and the default validity window.
type AuthorityOptions struct {
	// Parent names the authority that signs this one, making it an
	// intermediate; "" makes a self-signed root. Chains may be of any
	// depth: root → intermediate → intermediate → node.
	Parent     string
	KeyType    KeyType // "" is ecdsa-p256
	CommonName string  // "" is "<name> CA"
	// The validity window, as in NodeOptions.
	NotBefore, NotAfter             time.Time
	NotBeforeOffset, NotAfterOffset time.Duration
}

// window resolves a validity window against Now and Validity.
func window(o *Options, nb, na time.Time, nbOff, naOff time.Duration) (notBefore, notAfter time.Time) {
	notBefore, notAfter = o.Now.Add(-time.Hour), o.Now.Add(o.Validity)
	switch {
	case !nb.IsZero():
		notBefore = nb
	case nbOff != 0:
		notBefore = o.Now.Add(nbOff)
	}
	switch {
	case !na.IsZero():
		notAfter = na
	case naOff != 0:
		notAfter = o.Now.Add(naOff)
	}
	return notBefore, notAfter
}

// checkOptions refuses options that name what the spec does not have, or
// that cannot make a certificate. Every error names the field.
func checkOptions(spec *topology.Spec, o *Options) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("pki: "+format, args...)) }
	for _, p := range []struct{ field, value string }{{"StorePassword", o.StorePassword}, {"KeyPassword", o.KeyPassword}} {
		for _, r := range p.value {
			if r < 0x20 || r > 0x7e {
				// Java hashes a JKS password as UTF-16 characters,
				// keystore-go as bytes: beyond ASCII they disagree, and
				// the file would open in one and not the other.
				bad("Options.%s has a character outside printable ASCII: JKS readers disagree on those; use ASCII", p.field)
				break
			}
		}
	}
	for _, name := range sortedKeys(o.Nodes) {
		no := o.Nodes[name]
		field := fmt.Sprintf("Options.Nodes[%q]", name)
		n := spec.Node(name)
		switch {
		case n == nil:
			bad("%s: the topology has no node %q", field, name)
			continue
		case !n.HasIdentity():
			bad("%s: node %q has no tls identity to shape", field, name)
			continue
		}
		if _, err := ParseKeyType(string(no.KeyType)); err != nil && no.KeyType != RSA1024 {
			bad("%s.KeyType: unknown key type %q: use one of %v", field, no.KeyType, KeyTypes())
		}
		if slices.ContainsFunc(no.IPAddresses, func(ip net.IP) bool { return ip.To16() == nil }) {
			bad("%s.IPAddresses: an entry is not an IP address", field)
		}
		if slices.Contains(no.DNSNames, "") {
			bad("%s.DNSNames: an entry is empty", field)
		}
		nb, na := window(o, no.NotBefore, no.NotAfter, no.NotBeforeOffset, no.NotAfterOffset)
		if !na.After(nb) {
			bad("%s: NotAfter %s is not after NotBefore %s", field, na.Format(time.RFC3339), nb.Format(time.RFC3339))
		}
	}
	for _, name := range sortedKeys(o.Authorities) {
		ao := o.Authorities[name]
		field := fmt.Sprintf("Options.Authorities[%q]", name)
		if spec.Authority(name) == nil {
			bad("%s: the topology has no authority %q; declare it under authorities", field, name)
			continue
		}
		if ao.Parent != "" && spec.Authority(ao.Parent) == nil {
			bad("%s.Parent: %q is not an authority of the topology; declare it under authorities", field, ao.Parent)
		}
		if _, err := ParseKeyType(string(ao.KeyType)); err != nil {
			bad("%s.KeyType: unknown key type %q: use one of %v", field, ao.KeyType, KeyTypes())
		}
		nb, na := window(o, ao.NotBefore, ao.NotAfter, ao.NotBeforeOffset, ao.NotAfterOffset)
		if !na.After(nb) {
			bad("%s: NotAfter %s is not after NotBefore %s", field, na.Format(time.RFC3339), nb.Format(time.RFC3339))
		}
	}
	if len(errs) == 0 {
		if _, err := authorityOrder(spec, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// authorityOrder lists the spec's authorities parents first, so each is
// signed by a parent that already exists, and refuses a cycle.
func authorityOrder(spec *topology.Spec, o *Options) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("pki: Options.Authorities: parents form a cycle: %v; one of them must be a root (Parent \"\")", append(path, name))
		case 2:
			return nil
		}
		state[name] = 1
		if p := o.Authorities[name].Parent; p != "" {
			if err := visit(p, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, a := range spec.Authorities {
		if err := visit(a.Name, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
