package pki

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"path/filepath"
)

// trustEntry is one trusted certificate with the alias keytool -import
// -alias would give it: the name of the trusted node or authority.
type trustEntry struct {
	alias string
	cert  *x509.Certificate
}

// keyStores writes a node's identity as keystore.p12 and keystore.jks: the
// key entry aliased by the node's name, holding the key, the certificate
// and the chain above it without the root, as cert.pem does. Keystores
// hold a private key, so they are 0600 like key.pem.
func (g *generator) keyStores(node string, nf *NodeFiles, key crypto.Signer) error {
	chain := append([]*x509.Certificate{nf.Cert}, nf.Chain...)
	storePW, keyPW, _ := g.storePasswords(node)
	p12, err := encodePKCS12KeyStore(node, key, chain, storePW)
	if err != nil {
		return fmt.Errorf("pki: node %q: keystore.p12: %w", node, err)
	}
	jks, err := encodeJKSKeyStore(node, key, chain, storePW, keyPW, g.o.Now)
	if err != nil {
		return fmt.Errorf("pki: node %q: keystore.jks: %w", node, err)
	}
	nf.KeyStoreP12File = filepath.Join(g.m.Dir, node, KeyStoreP12File)
	nf.KeyStoreJKSFile = filepath.Join(g.m.Dir, node, KeyStoreJKSFile)
	if err := writeFile(nf.KeyStoreP12File, p12, 0o600); err != nil {
		return err
	}
	return writeFile(nf.KeyStoreJKSFile, jks, 0o600)
}

// trustStores writes a node's trust list as truststore.p12 and
// truststore.jks, one trusted certificate entry per trust list entry (in
// the list's order in the PKCS#12 file, by alias in the JKS one, whose
// format keeps no order). A truststore holds no secret, hence 0644; its
// password only guards its integrity.
func (g *generator) trustStores(node string, nf *NodeFiles, entries []trustEntry) error {
	_, _, trustPW := g.storePasswords(node)
	p12, err := encodePKCS12TrustStore(entries, trustPW)
	if err != nil {
		return fmt.Errorf("pki: node %q: truststore.p12: %w", node, err)
	}
	jks, err := encodeJKSTrustStore(entries, trustPW, g.o.Now)
	if err != nil {
		return fmt.Errorf("pki: node %q: truststore.jks: %w", node, err)
	}
	nf.TrustStoreP12File = filepath.Join(g.m.Dir, node, TrustStoreP12File)
	nf.TrustStoreJKSFile = filepath.Join(g.m.Dir, node, TrustStoreJKSFile)
	if err := writeFile(nf.TrustStoreP12File, p12, 0o644); err != nil {
		return err
	}
	return writeFile(nf.TrustStoreJKSFile, jks, 0o644)
}
