package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"time"
)

// Revoke revokes the certificate of a node (or of an intermediate
// authority) and rewrites the CRL of the authority that issued it, signed
// by that authority, listing it and everything revoked before. It returns
// the CRL's path, the issuer's CRLFile. A peer that checks revocation must
// load the CRL again to see the change, as ActiveMQ must restart to read
// its crlPath again.
//
// A self-signed certificate cannot be revoked: there is no authority to
// sign the list. Take it out of its peers' trust lists instead.
func (m *Material) Revoke(name string) (crlFile string, err error) {
	var cert *x509.Certificate
	var issuer string
	switch {
	case m.Nodes[name] != nil:
		nf := m.Nodes[name]
		if nf.Cert == nil {
			return "", fmt.Errorf("pki: revoke %q: the node has no certificate to revoke", name)
		}
		cert, issuer = nf.Cert, nf.Issuer
	case m.Authorities[name] != nil:
		cert, issuer = m.Authorities[name].Cert, m.Authorities[name].Parent
	default:
		return "", fmt.Errorf("pki: revoke %q: no node with tls and no authority of that name", name)
	}
	if issuer == "" {
		return "", fmt.Errorf("pki: revoke %q: its certificate is self-signed, so no authority can revoke it; remove %q from its peers' trust lists instead", name, name)
	}
	key, err := readKey(m.Authorities[issuer].KeyFile)
	if err != nil {
		return "", fmt.Errorf("pki: revoke %q: %w", name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.revoked[issuer] {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return m.Authorities[issuer].CRLFile, nil // revoked already
		}
	}
	at := m.clock().Add(-time.Hour) // as NotBefore: absorbs clock skew
	m.revoked[issuer] = append(m.revoked[issuer], x509.RevocationListEntry{
		SerialNumber:   cert.SerialNumber,
		RevocationTime: at,
		ReasonCode:     1, // keyCompromise, the reason a lab revokes for
	})
	if err := m.writeCRL(issuer, key); err != nil {
		return "", err
	}
	return m.Authorities[issuer].CRLFile, nil
}

// clock is the time CRLs are made at: Options.Now when it was given, so
// that a run at a chosen time stays consistent; else the time of the call.
func (m *Material) clock() time.Time {
	if !m.now.IsZero() {
		return m.now
	}
	return time.Now()
}

// writeCRL writes the authority's CRL with the entries revoked so far. Its
// number counts the entries, so each new list supersedes the one before.
// Callers hold m.mu, or own m alone (Generate).
func (m *Material) writeCRL(name string, key crypto.Signer) error {
	af := m.Authorities[name]
	now := m.clock()
	entries := m.revoked[name]
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(int64(len(entries)) + 1),
		ThisUpdate:                now.Add(-time.Hour),
		NextUpdate:                now.Add(m.validity),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, af.Cert, key)
	if err != nil {
		return fmt.Errorf("pki: authority %q: create CRL: %w", name, err)
	}
	return writeFile(af.CRLFile, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644)
}

func readKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read authority key: %w", err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s holds no PEM key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PKCS#8 key", path)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: a %T cannot sign", path, k)
	}
	return s, nil
}
