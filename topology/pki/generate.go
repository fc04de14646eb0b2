package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// File names inside a node's or an authority's directory.
const (
	CertFile          = "cert.pem"
	KeyFile           = "key.pem"
	TrustFile         = "trust.pem"
	CACertFile        = "ca.pem"
	CAKeyFile         = "ca-key.pem"
	CRLFile           = "crl.pem"
	KeyStoreP12File   = "keystore.p12"
	TrustStoreP12File = "truststore.p12"
	KeyStoreJKSFile   = "keystore.jks"
	TrustStoreJKSFile = "truststore.jks"
	organization      = "brokerlab"
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
	// Nodes shape the certificates of the nodes named (key type, names,
	// key usage, validity); a node not named gets the defaults.
	Nodes map[string]NodeOptions
	// Authorities shape the authorities named, and make intermediates of
	// those with a Parent; an authority not named is a root.
	Authorities map[string]AuthorityOptions
	// StorePassword protects every keystore and truststore; "" means
	// DefaultPassword, "changeit". KeyPassword protects the private key in
	// keystore.jks; "" means the store password. PKCS#12 keystores protect
	// their key with the store password, as keytool makes them (it ignores
	// -keypass for PKCS12), so KeyPassword does not apply to them.
	// Both must be printable ASCII.
	StorePassword, KeyPassword string
}

// NodeFiles are the files of one node that has tls. CertFile, KeyFile and
// Cert are empty for a node with tls but no identity, which only verifies
// the peers it dials; so are its keystore paths.
type NodeFiles struct {
	CertFile, KeyFile, TrustFile string
	Cert                         *x509.Certificate
	TrustedNames                 []string // the node's trust list, in order

	// Chain holds the authorities between Cert and its root, issuer first,
	// without the root: what CertFile and the keystores carry after Cert,
	// and what a peer needs besides its trust anchor. Empty for a
	// self-signed node and for one signed by a root.
	Chain   []*x509.Certificate
	Issuer  string  // the authority that signed Cert; "" when self-signed
	KeyType KeyType // the key type of Cert

	// The same identity and trust as Java keystores, with aliases as
	// keytool makes them: the key entry is aliased by the node's name, each
	// trusted certificate by the trusted node's or authority's name.
	// keystore.p12 and keystore.jks hold the key, Cert and Chain;
	// truststore.p12 and truststore.jks one trusted entry per trust list
	// entry (none when the node trusts nobody, which Java refuses to use).
	KeyStoreP12File, TrustStoreP12File string
	KeyStoreJKSFile, TrustStoreJKSFile string

	// SSLContext is what the node loads besides PEM file names, from its
	// topology's tls.format and tls.sslContext (sslcontext.go): its
	// keystores with their passwords, its key policy. nil: PEM, defaults.
	SSLContext *tlsconf.SSLContext
}

// AuthorityFiles are the files of one certificate authority.
type AuthorityFiles struct {
	CertFile, KeyFile string
	Cert              *x509.Certificate

	Parent  string              // the authority that signed this one; "" for a root
	Chain   []*x509.Certificate // the authorities above, parent first, without the root
	KeyType KeyType
	// CRLFile is the authority's certificate revocation list, PEM: empty
	// when generated, and listing every certificate Revoke has revoked
	// since.
	CRLFile string
}

// Material is everything Generate wrote. Nodes without tls have no entry.
type Material struct {
	Dir         string
	Nodes       map[string]*NodeFiles
	Authorities map[string]*AuthorityFiles
	// The passwords the keystores were written with, after defaults, for
	// whoever configures a broker with them. Never print them; String
	// leaves them out.
	StorePassword, KeyPassword string

	mu       sync.Mutex
	now      time.Time // Options.Now; zero when it was not given
	validity time.Duration
	revoked  map[string][]x509.RevocationListEntry // by authority
}

// String describes the material without its passwords, so that a %v in a
// log or a test failure does not print them; GoString does the same for %#v.
func (m *Material) String() string {
	return fmt.Sprintf("pki.Material{Dir: %s, %d nodes, %d authorities}", m.Dir, len(m.Nodes), len(m.Authorities))
}

func (m *Material) GoString() string { return m.String() }

// Generate makes keys and certificates for every authority and every node
// with tls in spec and writes them under dir (created if needed; use a
// fresh one per run, as files of nodes no longer in the spec are not
// removed). Key files are PKCS#8 with mode 0600, and so are keystores.
func Generate(spec *topology.Spec, dir string, o Options) (*Material, error) {
	nowGiven := !o.Now.IsZero()
	if !nowGiven {
		o.Now = time.Now()
	}
	if o.Validity == 0 {
		o.Validity = 24 * time.Hour
	}
	if o.Validity < 0 {
		return nil, fmt.Errorf("pki: Options.Validity is negative (%s); give a positive duration or 0 for 24h", o.Validity)
	}
	if o.StorePassword == "" {
		o.StorePassword = DefaultPassword
	}
	if o.KeyPassword == "" {
		o.KeyPassword = o.StorePassword
	}
	if err := errors.Join(check(spec), checkOptions(spec, &o)); err != nil {
		return nil, err
	}
	order, _ := authorityOrder(spec, &o) // checked above
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pki: create %s: %w", dir, err)
	}
	m := &Material{Dir: dir, Nodes: map[string]*NodeFiles{}, Authorities: map[string]*AuthorityFiles{},
		StorePassword: o.StorePassword, KeyPassword: o.KeyPassword,
		validity: o.Validity, revoked: map[string][]x509.RevocationListEntry{}}
	if nowGiven {
		m.now = o.Now
	}
	g := &generator{o: o, m: m, spec: spec, keys: map[string]crypto.Signer{}}
	heights := pathLengths(spec, &o)
	for _, name := range order {
		if err := g.authority(name, heights[name]); err != nil {
			return nil, err
		}
	}
	for _, n := range spec.Nodes {
		if n.TLS == nil {
			continue
		}
		nf := &NodeFiles{TrustedNames: append([]string(nil), n.TLS.Trust...)}
		m.Nodes[n.Name] = nf
		if n.HasIdentity() {
			if err := g.leaf(n, nf); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range spec.Nodes {
		if n.TLS != nil {
			if err := g.trust(n); err != nil {
				return nil, err
			}
			m.Nodes[n.Name].SSLContext = g.sslContext(spec, n)
		}
	}
	return m, nil
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

// pathLengths gives each authority the number of authorities that may
// follow it in a chain: 0 for one that signs only nodes (as before
// intermediates existed), one more than its deepest child otherwise. Real
// CAs set exactly this pathLenConstraint, and verifiers enforce it.
func pathLengths(spec *topology.Spec, o *Options) map[string]int {
	h := map[string]int{}
	var height func(string) int
	height = func(name string) int {
		if v, ok := h[name]; ok {
			return v
		}
		best := 0
		for _, a := range spec.Authorities {
			if o.Authorities[a.Name].Parent == name {
				best = max(best, height(a.Name)+1)
			}
		}
		h[name] = best
		return best
	}
	for _, a := range spec.Authorities {
		height(a.Name)
	}
	return h
}

type generator struct {
	o    Options
	m    *Material
	spec *topology.Spec
	keys map[string]crypto.Signer // authorities' keys, for signing
}

func (g *generator) authority(name string, pathLen int) error {
	ao := g.o.Authorities[name]
	key, err := newKey(ao.KeyType)
	if err != nil {
		return fmt.Errorf("pki: authority %q: %w", name, err)
	}
	cn := ao.CommonName
	if cn == "" {
		cn = name + " CA"
	}
	tmpl, err := g.template(cn, key.Public())
	if err != nil {
		return fmt.Errorf("pki: authority %q: %w", name, err)
	}
	tmpl.NotBefore, tmpl.NotAfter = window(&g.o, ao.NotBefore, ao.NotAfter, ao.NotBeforeOffset, ao.NotAfterOffset)
	tmpl.IsCA = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	tmpl.MaxPathLen = pathLen
	tmpl.MaxPathLenZero = pathLen == 0
	af := &AuthorityFiles{
		CertFile: filepath.Join(g.m.Dir, name, CACertFile),
		KeyFile:  filepath.Join(g.m.Dir, name, CAKeyFile),
		CRLFile:  filepath.Join(g.m.Dir, name, CRLFile),
		Parent:   ao.Parent,
		KeyType:  ao.KeyType.orDefault(),
	}
	parent, parentKey := tmpl, key
	if p := g.m.Authorities[ao.Parent]; p != nil {
		parent, parentKey = p.Cert, g.keys[ao.Parent]
		if p.Parent != "" {
			af.Chain = append([]*x509.Certificate{p.Cert}, p.Chain...)
		}
	}
	cert, err := sign(tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return fmt.Errorf("pki: authority %q: %w", name, err)
	}
	af.Cert = cert
	if err := writeCertAndKey(af.CertFile, af.KeyFile, []*x509.Certificate{cert}, key); err != nil {
		return err
	}
	g.keys[name] = key
	g.m.Authorities[name] = af
	// Every authority publishes a CRL from the start, so that a broker can
	// be pointed at it before anything is revoked.
	return g.m.writeCRL(name, key)
}

// leaf makes a node's certificate: self-signed, as keytool -genkey makes
// them, or signed by the authority its identity names.
func (g *generator) leaf(n *topology.Node, nf *NodeFiles) error {
	no := g.o.Nodes[n.Name]
	key, err := newKey(no.KeyType)
	if err != nil {
		return fmt.Errorf("pki: node %q: %w", n.Name, err)
	}
	cn := no.CommonName
	if cn == "" {
		cn = n.Name
	}
	tmpl, err := g.template(cn, key.Public())
	if err != nil {
		return fmt.Errorf("pki: node %q: %w", n.Name, err)
	}
	tmpl.NotBefore, tmpl.NotAfter = window(&g.o, no.NotBefore, no.NotAfter, no.NotBeforeOffset, no.NotAfterOffset)
	tmpl.DNSNames = []string{n.Name, "localhost"}
	if no.DNSNames != nil {
		tmpl.DNSNames = slices.Clone(no.DNSNames)
	}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if no.IPAddresses != nil {
		tmpl.IPAddresses = slices.Clone(no.IPAddresses)
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	if no.ExtKeyUsage != nil {
		tmpl.ExtKeyUsage = slices.Clone(no.ExtKeyUsage)
	}
	tmpl.KeyUsage = leafKeyUsage(key.Public())
	tmpl.SignatureAlgorithm = no.SignatureAlgorithm
	parent, parentKey := tmpl, key
	if is := n.TLS.Identity.Issuer; is != "" {
		a := g.m.Authorities[is]
		parent, parentKey = a.Cert, g.keys[is]
		nf.Issuer = is
		if a.Parent != "" {
			nf.Chain = append([]*x509.Certificate{a.Cert}, a.Chain...)
		}
	}
	cert, err := sign(tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return fmt.Errorf("pki: node %q: %w", n.Name, err)
	}
	nf.CertFile = filepath.Join(g.m.Dir, n.Name, CertFile)
	nf.KeyFile = filepath.Join(g.m.Dir, n.Name, KeyFile)
	nf.Cert = cert
	nf.KeyType = no.KeyType.orDefault()
	if err := writeCertAndKey(nf.CertFile, nf.KeyFile, append([]*x509.Certificate{cert}, nf.Chain...), key); err != nil {
		return err
	}
	return g.keyStores(n.Name, nf, key)
}

// trust writes a node's trust bundle and truststores: per trust entry, the
// named authority's certificate or the named node's own certificate,
// pinned. A node that trusts nobody gets an empty trust file, so that
// every node with tls has the same paths to hand to its broker.
func (g *generator) trust(n *topology.Node) error {
	nf := g.m.Nodes[n.Name]
	var bundle []byte
	var entries []trustEntry
	for _, name := range n.TLS.Trust {
		var cert *x509.Certificate
		if a := g.m.Authorities[name]; a != nil {
			cert = a.Cert
		} else {
			cert = g.m.Nodes[name].Cert
		}
		bundle = append(bundle, pemCert(cert)...)
		entries = append(entries, trustEntry{alias: name, cert: cert})
	}
	nf.TrustFile = filepath.Join(g.m.Dir, n.Name, TrustFile)
	if err := writeFile(nf.TrustFile, bundle, 0o644); err != nil {
		return err
	}
	return g.trustStores(n.Name, nf, entries)
}

// template holds what every certificate here shares.
func (g *generator) template(cn string, pub crypto.PublicKey) (*x509.Certificate, error) {
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(pub)
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

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
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
