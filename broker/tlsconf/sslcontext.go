package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// SSLContext is a node's TLS settings beyond PEM file names: ActiveMQ's
// <sslContext> stores, and the node's key policy and clock. It hangs off
// Files so that every path that hands a node its Files (drivers,
// mutations, probes) carries it too.
type SSLContext struct {
	// KeyStore, when set, replaces Files.CertFile, KeyFile and TrustFile
	// (giving both is an error): the node's identity and trust come from
	// ActiveMQ's keyStore, keyStorePassword, keyPassword, trustStore and
	// trustStorePassword, each store's type read from its content.
	// Files.CRLFile applies when KeyStore.CRLFile is empty.
	KeyStore *KeyStore
	Policy
}

// String never shows a password.
func (c SSLContext) String() string {
	ks := "none"
	if c.KeyStore != nil {
		ks = c.KeyStore.String()
	}
	return fmt.Sprintf("sslContext{%s minRSAKeyBits=%d clockOffset=%s}", ks, c.MinRSAKeyBits, c.ClockOffset)
}

// Policy is what a node accepts of its peers' certificates, and the clock
// it checks them by.
type Policy struct {
	// MinRSAKeyBits refuses a peer certificate with a shorter RSA key, as
	// Java's jdk.certpath.disabledAlgorithms ("RSA keySize < 2048" in
	// hardened set-ups) and NIST SP 800-131A do. 0 means
	// DefaultMinRSAKeyBits; negative means no minimum. Go itself refuses
	// keys under 1024 bits whatever this says.
	MinRSAKeyBits int
	// ClockOffset is how far this node's clock is off: certificates are
	// checked at time.Now()+ClockOffset (tls.Config.Time). It reproduces a
	// node whose clock drifted past a certificate's validity.
	ClockOffset time.Duration
}

// DefaultMinRSAKeyBits is the policy's RSA floor when none is given.
const DefaultMinRSAKeyBits = 2048

func (p Policy) minRSA() int {
	if p.MinRSAKeyBits == 0 {
		return DefaultMinRSAKeyBits
	}
	return p.MinRSAKeyBits
}

// Now is the node's clock.
func (p Policy) Now() time.Time { return time.Now().Add(p.ClockOffset) }

// loadContext loads Files with an SSLContext: from the keystores when it
// names them, else from the PEM files, then takes its policy.
func loadContext(f Files) (*Material, error) {
	c := *f.SSLContext
	var m *Material
	if c.KeyStore != nil {
		if f.CertFile != "" || f.KeyFile != "" || f.TrustFile != "" {
			return nil, errors.New("tlsconf: both SSLContext.KeyStore and CertFile/KeyFile/TrustFile are set: give the node its keystores or its PEM files, not both")
		}
		ks := *c.KeyStore
		if ks.CRLFile == "" {
			ks.CRLFile = f.CRLFile
		}
		var err error
		if m, err = LoadKeyStore(ks); err != nil {
			return nil, err
		}
		stripped := m.Stores // LoadKeyStore removed the passwords
		c.KeyStore = &stripped
	} else {
		plain := f
		plain.SSLContext = nil
		var err error
		if m, err = Load(plain); err != nil {
			return nil, err
		}
	}
	m.Files = f
	m.Files.SSLContext = &c
	m.Policy = c.Policy
	return m, nil
}

// settle gives a configuration the material's policy, clock and CRLs.
// VerifyConnection, not VerifyPeerCertificate: it runs on resumed sessions
// too, and sees the verified chains, which tell each certificate's issuer.
func settle(cfg *tls.Config, m *Material) {
	p := m.Policy
	if p.ClockOffset != 0 {
		cfg.Time = p.Now
	}
	minRSA := p.minRSA()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if minRSA > 0 {
			if err := checkKeySizes(cs.PeerCertificates, minRSA); err != nil {
				return err
			}
		}
		if len(m.CRLs) > 0 {
			return m.verifyRevocation(cs)
		}
		return nil
	}
}

// WeakKeyError is a peer certificate whose key the node's policy refuses.
// crypto/tls then sends bad_certificate, so the peer sees bad-certificate.
type WeakKeyError struct {
	Subject   string
	Bits, Min int
}

func (e *WeakKeyError) Error() string {
	return fmt.Sprintf("tlsconf: weak key: %s has a %d-bit RSA key; this node's policy requires at least %d bits", e.Subject, e.Bits, e.Min)
}

func checkKeySizes(certs []*x509.Certificate, minRSA int) error {
	for _, c := range certs {
		if k, ok := c.PublicKey.(interface{ Size() int }); ok && c.PublicKeyAlgorithm == x509.RSA {
			if bits := k.Size() * 8; bits < minRSA {
				return &WeakKeyError{Subject: c.Subject.String(), Bits: bits, Min: minRSA}
			}
		}
	}
	return nil
}

// policyTextClasses extend Classify's text table with the words of this
// file's errors, for errors that crossed a process boundary as text.
var policyTextClasses = []textClass{
	{"tlsconf: weak key:", ClassWeakKey},
	{"insecure algorithm SHA1", ClassBadSignatureAlgorithm},
	{"insecure algorithm MD5", ClassBadSignatureAlgorithm},
}

func init() {
	textClasses = append(policyTextClasses, textClasses...)
}
