package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Files names the PEM files of one node's TLS identity and trust.
//
// CertFile holds the leaf certificate, optionally followed by its chain;
// private-key blocks in it are skipped, so one combined PEM file may serve as
// both CertFile and KeyFile. KeyFile holds an unencrypted PKCS#8, PKCS#1 or
// SEC 1 (EC) private key. TrustFile holds the certificates this node trusts;
// an empty file, or no TrustFile at all, trusts nobody. CRLFile, optional,
// holds certificate revocation lists (see KeyStore.CRLFile).
type Files struct {
	CertFile, KeyFile, TrustFile string
	CRLFile                      string
	// SSLContext, when set, gives what PEM file names cannot: ActiveMQ's
	// keystores (in place of CertFile, KeyFile and TrustFile), the key
	// policy and the node's clock (sslcontext.go).
	SSLContext *SSLContext
}

// Material is what Load read from Files, or LoadKeyStore from a KeyStore,
// ready for ServerConfig and ClientConfig and for explanations of failures.
type Material struct {
	Files       Files
	Certificate *tls.Certificate  // nil when there is no CertFile
	Leaf        *x509.Certificate // Certificate's leaf, parsed; nil with it
	// Trust is never nil: an empty pool trusts nobody. The system roots are
	// never used, because a lab whose verdicts depend on the machine it runs
	// on reproduces nothing.
	Trust           *x509.CertPool
	TrustedSubjects []string            // Subject of each trusted certificate, in file order
	Trusted         []*x509.Certificate // the trusted certificates, in file order

	// Stores is what LoadKeyStore read, its passwords removed; zero after
	// Load. The types are those found in the files' content.
	Stores                       KeyStore
	KeyStoreType, TrustStoreType StoreType
	KeyAlias                     string   // the key entry's alias, where the format keeps one we read (JKS)
	TrustedAliases               []string // per Trusted entry, its alias; "" where unknown (PEM, PKCS#12)
	// CRLs are the revocation lists of Files.CRLFile or Stores.CRLFile;
	// when there are any, ServerConfig and ClientConfig check peers
	// against them.
	CRLs []*x509.RevocationList
	// Policy is the key policy and clock ServerConfig and ClientConfig
	// apply (from Files.SSLContext; defaults otherwise).
	Policy Policy
}

// PEM block types a private key may come in.
const (
	pemPKCS8     = "PRIVATE KEY"
	pemPKCS1     = "RSA PRIVATE KEY"
	pemEC        = "EC PRIVATE KEY"
	pemEncrypted = "ENCRYPTED PRIVATE KEY"
	pemCert      = "CERTIFICATE"
)

// Load reads and checks the files. Every error names the file and says what
// to do about it; none carries key material.
func Load(f Files) (*Material, error) {
	if f.SSLContext != nil {
		return loadContext(f)
	}
	m := &Material{Files: f, Trust: x509.NewCertPool()}
	switch {
	case f.CertFile == "" && f.KeyFile != "":
		return nil, fmt.Errorf("tlsconf: key %s given without a certificate: set CertFile to the certificate issued for it", f.KeyFile)
	case f.CertFile != "" && f.KeyFile == "":
		return nil, fmt.Errorf("tlsconf: certificate %s given without a key: set KeyFile to its private key", f.CertFile)
	case f.CertFile != "":
		cert, err := loadKeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, err
		}
		m.Certificate, m.Leaf = cert, cert.Leaf
	}
	if f.TrustFile != "" {
		certs, err := loadTrust(f.TrustFile)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			m.trust(c)
		}
	}
	if f.CRLFile != "" {
		crls, err := loadCRLs(f.CRLFile)
		if err != nil {
			return nil, err
		}
		m.CRLs = crls
	}
	return m, nil
}

// trust adds c to the pool and to the lists that describe it.
func (m *Material) trust(c *x509.Certificate) {
	m.Trust.AddCert(c)
	m.Trusted = append(m.Trusted, c)
	m.TrustedSubjects = append(m.TrustedSubjects, c.Subject.String())
}

func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	chain, err := loadChain(certFile)
	if err != nil {
		return nil, err
	}
	key, err := loadKey(keyFile)
	if err != nil {
		return nil, err
	}
	if err := keyMatches(chain[0], key); err != nil {
		return nil, fmt.Errorf("tlsconf: %s does not match the certificate in %s (%v): use the key the certificate was issued for", keyFile, certFile, err)
	}
	return tlsCertificate(key, chain), nil
}

// loadChain reads the leaf and its chain, skipping private-key blocks so a
// combined cert+key PEM works.
func loadChain(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: read certificate %s: %w", path, err)
	}
	blocks, err := pemBlocks(path, data)
	if err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for i, b := range blocks {
		switch b.Type {
		case pemCert:
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("tlsconf: %s: block %d: %v: the certificate is damaged, issue it again", path, i+1, err)
			}
			chain = append(chain, c)
		case pemPKCS8, pemPKCS1, pemEC, pemEncrypted:
		default:
			return nil, fmt.Errorf("tlsconf: %s: block %d is %q, not a certificate: a certificate file holds CERTIFICATE blocks, leaf first", path, i+1, b.Type)
		}
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("tlsconf: %s: no PEM %q block found: expected a PEM certificate (-----BEGIN CERTIFICATE-----)%s", path, pemCert, sniff(data, blocks))
	}
	return chain, nil
}

func loadKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: read key %s: %w", path, err)
	}
	blocks, err := pemBlocks(path, data)
	if err != nil {
		return nil, err
	}
	for i, b := range blocks {
		if b.Type == pemEncrypted || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, fmt.Errorf("tlsconf: %s: the private key is encrypted: give an unencrypted key (openssl pkey -in %s -out key.pem)", path, path)
		}
		if b.Type != pemPKCS8 && b.Type != pemPKCS1 && b.Type != pemEC {
			continue
		}
		key, ok := parseKey(b.Bytes)
		if !ok {
			// The parsers' own messages are left out: they describe the
			// DER they choked on, and this is a private key.
			return nil, fmt.Errorf("tlsconf: %s: block %d (%q) is not a PKCS#8, PKCS#1 or EC private key: the key is damaged; export it again", path, i+1, b.Type)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("tlsconf: %s: a %T cannot sign a TLS handshake: use an RSA, ECDSA or Ed25519 key", path, key)
		}
		return s, nil
	}
	hint := sniff(data, blocks)
	if hint == "" && len(blocks) > 0 {
		hint = fmt.Sprintf(" (found only %q blocks: does KeyFile point at the certificate?)", blocks[0].Type)
	}
	return nil, fmt.Errorf("tlsconf: %s: no PEM %q block found: expected a PEM private key (-----BEGIN PRIVATE KEY-----)%s", path, pemPKCS8, hint)
}

// parseKey tries every encoding whatever the PEM label says, as
// tls.X509KeyPair does: mislabelled keys are common and harmless.
func parseKey(der []byte) (any, bool) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, true
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, true
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, true
	}
	return nil, false
}

// loadTrust reads a bundle of trusted certificates. An empty file is valid
// and trusts nobody, which is how a scenario says "this node trusts no one".
func loadTrust(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: read trust %s: %w", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	blocks, err := pemBlocks(path, data)
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("tlsconf: %s: no PEM %q block found: expected PEM certificates (-----BEGIN CERTIFICATE-----), or an empty file to trust nobody%s", path, pemCert, sniff(data, blocks))
	}
	var certs []*x509.Certificate
	for i, b := range blocks {
		if b.Type != pemCert {
			return nil, fmt.Errorf("tlsconf: %s: block %d is not a certificate (it is %q): a trust file holds only CERTIFICATE blocks", path, i+1, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: %s: block %d: %v: the certificate is damaged, export it again", path, i+1, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// pemBlocks decodes every PEM block. pem.Decode silently stops at a block
// with no valid END line, which would make a truncated last certificate
// vanish from a trust bundle; such a remainder is an error instead.
func pemBlocks(path string, data []byte) ([]*pem.Block, error) {
	var blocks []*pem.Block
	rest := data
	for {
		b, r := pem.Decode(rest)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
		rest = r
	}
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("tlsconf: %s: block %d is truncated or malformed PEM: copy the whole block, from -----BEGIN to -----END", path, len(blocks)+1)
	}
	return blocks, nil
}

// sniff guesses what a file holding no usable PEM is, because the usual
// cause is a keystore or DER file handed over from a Java or Windows side.
func sniff(data []byte, blocks []*pem.Block) string {
	switch {
	case len(blocks) > 0:
		return ""
	case len(bytes.TrimSpace(data)) == 0:
		return " (the file is empty)"
	case bytes.HasPrefix(data, jksMagic):
		return " (it looks like a Java keystore: convert it with keytool -importkeystore -deststoretype PKCS12, then openssl pkcs12 -nodes)"
	case data[0] == 0x30:
		return " (it looks like binary DER or PKCS#12: convert it with openssl x509 -inform der, or openssl pkcs12 -nodes)"
	}
	return " (the file is not PEM)"
}

// keyMatches reports why key is not the private half of cert's public key.
func keyMatches(cert *x509.Certificate, key crypto.Signer) error {
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return fmt.Errorf("certificate public key %T is not supported", cert.PublicKey)
	}
	if pub.Equal(key.Public()) {
		return nil
	}
	if a, b := keyKind(cert.PublicKey), keyKind(key.Public()); a != b {
		return fmt.Errorf("the certificate has an %s key, the key file an %s key", a, b)
	}
	return errors.New("public keys differ")
}

func keyKind(k crypto.PublicKey) string {
	switch k.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", k)
}
