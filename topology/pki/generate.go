package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/brokerlab/brokerlab/topology"
)

// File names inside a node's or an authority's directory.
const (
	CertFile     = "cert.pem"
	KeyFile      = "key.pem"
	TrustFile    = "trust.pem"
	CACertFile   = "ca.pem"
	CAKeyFile    = "ca-key.pem"
	organization = "brokerlab"
)

// Options tune Generate. The zero value is ready to use.
type Options struct {
	// Now is the moment certificates are made at; zero means time.Now().
	// Tests set it to make certificates that are not yet valid or expired.
	Now time.Time
	// Validity is how long certificates stay valid after Now; zero means
	// 24h. They are valid from an hour before Now, to absorb clock skew
	// between the processes and containers of one run.
	Validity time.Duration
}

// NodeFiles are the files of one node that has tls. CertFile, KeyFile and
// Cert are empty for a node with tls but no identity, which only verifies
// the peers it dials.
type NodeFiles struct {
	CertFile, KeyFile, TrustFile string
	Cert                         *x509.Certificate
	TrustedNames                 []string // the node's trust list, in order
}

// AuthorityFiles are the files of one certificate authority.
type AuthorityFiles struct {
	CertFile, KeyFile string
	Cert              *x509.Certificate
}

// Material is everything Generate wrote. Nodes without tls have no entry.
type Material struct {
	Dir         string
	Nodes       map[string]*NodeFiles
	Authorities map[string]*AuthorityFiles
}

// Generate makes keys and certificates for every authority and every node
// with tls in spec and writes them under dir (created if needed; use a
// fresh one per run, as files of nodes no longer in the spec are not
// removed). Key files are PKCS#8 with mode 0600.
func Generate(spec *topology.Spec, dir string, o Options) (*Material, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Validity == 0 {
		o.Validity = 24 * time.Hour
	}
	if o.Validity < 0 {
		return nil, fmt.Errorf("pki: Options.Validity is negative (%s); give a positive duration or 0 for 24h", o.Validity)
	}
	if err := check(spec); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pki: create %s: %w", dir, err)
	}
	g := &generator{o: o, m: &Material{Dir: dir,
		Nodes: map[string]*NodeFiles{}, Authorities: map[string]*AuthorityFiles{}}}
	keys := make(map[string]*ecdsa.PrivateKey)
	for _, a := range spec.Authorities {
		key, err := g.authority(a.Name)
		if err != nil {
			return nil, err
		}
		keys[a.Name] = key
	}
	for _, n := range spec.Nodes {
		if n.TLS == nil {
			continue
		}
		nf := &NodeFiles{TrustedNames: append([]string(nil), n.TLS.Trust...)}
		g.m.Nodes[n.Name] = nf
		if n.HasIdentity() {
			if err := g.leaf(n, nf, keys[n.TLS.Identity.Issuer]); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range spec.Nodes {
		if n.TLS != nil {
			if err := g.trust(n); err != nil {
				return nil, err
			}
		}
	}
	return g.m, nil
}

// check refuses what Generate cannot make sense of. It is narrower than
// topology's Validate on purpose: a scenario may break listeners or
// connectors to see what happens, and still needs certificates.
func check(spec *topology.Spec) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("pki: "+format, args...)) }
	names := make(map[string]string) // name -> "node" or "authority"
	for _, a := range spec.Authorities {
		if !topology.ValidName(a.Name) {
			bad("authority name %q cannot name a directory; use letters, digits, '.', '_' and '-'", a.Name)
		} else if kind, dup := names[a.Name]; dup {
			bad("authority %q clashes with the %s of that name; rename one", a.Name, kind)
		}
		names[a.Name] = "authority"
	}
	for _, n := range spec.Nodes {
		if !topology.ValidName(n.Name) {
			bad("node name %q cannot name a directory; use letters, digits, '.', '_' and '-'", n.Name)
		} else if kind, dup := names[n.Name]; dup {
			bad("node %q clashes with the %s of that name; rename one", n.Name, kind)
		}
		names[n.Name] = "node"
	}
	for _, n := range spec.Nodes {
		if n.TLS == nil {
			continue
		}
		id := n.TLS.Identity
		if id.SelfSigned && id.Issuer != "" {
			bad("node %q: identity is both self-signed and issued by %q; choose one", n.Name, id.Issuer)
		}
		if id.Issuer != "" && spec.Authority(id.Issuer) == nil {
			bad("node %q: issuer %q is not an authority of the topology; declare it under authorities", n.Name, id.Issuer)
		}
		for _, t := range n.TLS.Trust {
			if p := spec.Node(t); p != nil {
				if !p.HasIdentity() {
					bad("node %q trusts node %q, which has no tls identity to trust", n.Name, t)
				}
			} else if spec.Authority(t) == nil {
				bad("node %q trusts %q, which is neither a node nor an authority of the topology", n.Name, t)
			}
		}
	}
	return errors.Join(errs...)
}

type generator struct {
	o Options
	m *Material
}

func (g *generator) authority(name string) (*ecdsa.PrivateKey, error) {
	key, err := newKey()
	if err != nil {
		return nil, fmt.Errorf("pki: authority %q: %w", name, err)
	}
	tmpl, err := g.template(fmt.Sprintf("%s CA", name), key)
	if err != nil {
		return nil, fmt.Errorf("pki: authority %q: %w", name, err)
	}
	tmpl.IsCA = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	// It signs node certificates only, never another CA.
	tmpl.MaxPathLenZero = true
	cert, err := sign(tmpl, tmpl, key, key)
	if err != nil {
		return nil, fmt.Errorf("pki: authority %q: %w", name, err)
	}
	af := &AuthorityFiles{
		CertFile: filepath.Join(g.m.Dir, name, CACertFile),
		KeyFile:  filepath.Join(g.m.Dir, name, CAKeyFile),
		Cert:     cert,
	}
	if err := writeCertAndKey(af.CertFile, af.KeyFile, cert, key); err != nil {
		return nil, err
	}
	g.m.Authorities[name] = af
	return key, nil
}

// leaf makes a node's certificate: self-signed, or signed by caKey and the
// authority's certificate already in g.m.
func (g *generator) leaf(n *topology.Node, nf *NodeFiles, caKey *ecdsa.PrivateKey) error {
	key, err := newKey()
	if err != nil {
		return fmt.Errorf("pki: node %q: %w", n.Name, err)
	}
	tmpl, err := g.template(n.Name, key)
	if err != nil {
		return fmt.Errorf("pki: node %q: %w", n.Name, err)
	}
	tmpl.DNSNames = []string{n.Name, "localhost"}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	// digitalSignature is what ECDHE_ECDSA and TLS 1.3 use; keyEncipherment
	// only means something for RSA key transport.
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	parent, parentKey := tmpl, key // self-signed, as keytool -genkey makes them
	if is := n.TLS.Identity.Issuer; is != "" {
		parent, parentKey = g.m.Authorities[is].Cert, caKey
	}
	cert, err := sign(tmpl, parent, key, parentKey)
	if err != nil {
		return fmt.Errorf("pki: node %q: %w", n.Name, err)
	}
	nf.CertFile = filepath.Join(g.m.Dir, n.Name, CertFile)
	nf.KeyFile = filepath.Join(g.m.Dir, n.Name, KeyFile)
	nf.Cert = cert
	return writeCertAndKey(nf.CertFile, nf.KeyFile, cert, key)
}

// trust writes a node's trust bundle: per trust entry, the named
// authority's certificate or the named node's own certificate, pinned.
// A node that trusts nobody gets an empty file, so that every node with tls
// has the same three paths to hand to its broker.
func (g *generator) trust(n *topology.Node) error {
	nf := g.m.Nodes[n.Name]
	var bundle []byte
	for _, name := range n.TLS.Trust {
		var cert *x509.Certificate
		if a := g.m.Authorities[name]; a != nil {
			cert = a.Cert
		} else {
			cert = g.m.Nodes[name].Cert
		}
		bundle = append(bundle, pemCert(cert)...)
	}
	nf.TrustFile = filepath.Join(g.m.Dir, n.Name, TrustFile)
	return writeFile(nf.TrustFile, bundle, 0o644)
}

// template holds what every certificate here shares.
func (g *generator) template(cn string, key *ecdsa.PrivateKey) (*x509.Certificate, error) {
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key)
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{organization}},
		NotBefore:             g.o.Now.Add(-time.Hour),
		NotAfter:              g.o.Now.Add(g.o.Validity),
		SubjectKeyId:          skid,
		BasicConstraintsValid: true, // leaves say CA:FALSE outright
	}, nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return key, nil
}

// serialNumber is random, 128 bits at most and never zero, as RFC 5280
// and the CA/Browser Forum ask: two runs never issue the same serial.
func serialNumber() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit.Sub(limit, big.NewInt(1)))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// subjectKeyID is RFC 5280's method 1, the SHA-1 of the public key bits.
// Go adds it to CA certificates by itself; leaves get it too, as keytool's
// do, since Java uses it to match certificates.
func subjectKeyID(key *ecdsa.PrivateKey) ([]byte, error) {
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, fmt.Errorf("subject key id: %w", err)
	}
	sum := sha1.Sum(pub.Bytes())
	return sum[:], nil
}

func sign(tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse new certificate: %w", err)
	}
	return cert, nil
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
