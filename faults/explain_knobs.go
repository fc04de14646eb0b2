package faults

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Explanations for the policy classes (weak-key, bad-signature-algorithm)
// and for mistakes whose class is an old one but whose cause the evidence
// tells apart: a chain without its intermediate (unknown-authority), a
// verifier whose clock is off (expired), an IP address the certificate
// does not name (hostname-mismatch). special returns nil when none
// applies, and Explain falls back to the class's usual text.

func (e *explainer) special() []string {
	owner, verifier := e.peer, e.self
	if e.remote {
		owner, verifier = e.self, e.peer
	}
	switch e.f.Class {
	case tlsconf.ClassWeakKey:
		return e.weakKey(owner, verifier)
	case tlsconf.ClassBadSignatureAlgorithm:
		return e.badSignature(owner, verifier)
	case tlsconf.ClassUnknownAuthority:
		return e.missingIntermediate(owner, verifier)
	case tlsconf.ClassBadCertificate:
		// The refuser did not say why; the owner's file may.
		if lines := e.missingIntermediate(owner, verifier); lines != nil {
			return lines
		}
		c, _ := e.cert(owner)
		switch {
		case c == nil:
		case weakRSA(c) > 0:
			return e.weakKey(owner, verifier)
		case sha1Signed(c):
			return e.badSignature(owner, verifier)
		}
	case tlsconf.ClassExpired, tlsconf.ClassNotYetValid:
		return e.clockSkew(owner, verifier)
	case tlsconf.ClassHostnameMismatch:
		return e.ipSAN(owner, verifier)
	}
	return nil
}

// weakRSA is the bit length of c's RSA key when it is under the default
// policy's minimum, else 0.
func weakRSA(c *x509.Certificate) int {
	if k, ok := c.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < tlsconf.DefaultMinRSAKeyBits {
		return k.N.BitLen()
	}
	return 0
}

func sha1Signed(c *x509.Certificate) bool {
	switch c.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		return !bytes.Equal(c.RawIssuer, c.RawSubject) // a pinned self-signed certificate's signature is never checked
	}
	return false
}

func (e *explainer) weakKey(owner, verifier string) []string {
	key := "a short RSA key"
	if c, _ := e.cert(owner); c != nil && weakRSA(c) > 0 {
		key = fmt.Sprintf("a %d-bit RSA key", weakRSA(c))
	}
	return []string{
		fmt.Sprintf("%s refused %s's certificate: it has %s, and %s's policy requires at least %d bits.", verifier, owner, key, verifier, tlsconf.DefaultMinRSAKeyBits),
		fmt.Sprintf("The certificate is otherwise valid and trusted; the policy (sslContext minRSAKeyBits, default %d, as NIST SP 800-131A and hardened jdk.certpath.disabledAlgorithms \"RSA keySize < 2048\") refuses the key.", tlsconf.DefaultMinRSAKeyBits),
		"Java says \"Algorithm constraints check failed on keysize limits\" for the same certificate.",
		e.seen(),
		fmt.Sprintf("Fix: give %s a new key pair of at least 2048 bits (keytool -genkeypair -keyalg RSA -keysize 2048, or -keyalg EC) and a certificate for it, then re-import that certificate where %s's old one was trusted; lowering minRSAKeyBits only hides the weak key.", owner, owner),
	}
}

func (e *explainer) badSignature(owner, verifier string) []string {
	alg := "SHA-1"
	if c, _ := e.cert(owner); c != nil {
		alg = c.SignatureAlgorithm.String()
	}
	return []string{
		fmt.Sprintf("%s refused %s's certificate: its issuer signed it with %s, an algorithm verifiers no longer accept.", verifier, owner, alg),
		"Go refuses SHA-1 and MD5 certificate signatures outright (\"insecure algorithm\", reported as an unknown authority); Java refuses SHA-1 for chains to its own CAs and, with jdk.certpath.disabledAlgorithms listing SHA1, for every chain.",
		e.seen(),
		fmt.Sprintf("Fix: have %s re-issue %s's certificate with SHA-256 or better (keytool -gencert -sigalg SHA256withRSA or SHA256withECDSA; openssl x509 -req -sha256).", e.issuerName(owner), owner),
	}
}

// missingIntermediate recognises a certificate file that holds the leaf
// but not the intermediate that signed it, when the verifier trusts the
// intermediate's own issuer: the path exists, one link was not sent.
func (e *explainer) missingIntermediate(owner, verifier string) []string {
	leaf, chain := e.cert(owner)
	if leaf == nil || len(chain) > 0 || bytes.Equal(leaf.RawIssuer, leaf.RawSubject) || e.c.Spec == nil {
		return nil
	}
	var inter string
	var interCert *x509.Certificate
	for _, a := range e.c.Spec.Authorities {
		if c, _ := e.cert(a.Name); c != nil && bytes.Equal(c.RawSubject, leaf.RawIssuer) && !bytes.Equal(c.RawIssuer, c.RawSubject) {
			inter, interCert = a.Name, c
		}
	}
	if interCert == nil {
		return nil
	}
	anchor := ""
	for _, t := range e.trusted(verifier) {
		if bytes.Equal(t.RawSubject, interCert.RawIssuer) {
			anchor = t.Subject.CommonName
		}
	}
	if anchor == "" {
		return nil
	}
	file := e.c.CertFiles[owner]
	return []string{
		fmt.Sprintf("%s sent its certificate without the intermediate CA that issued it, so %s cannot build a path to the root it trusts.", owner, verifier),
		fmt.Sprintf("%s's certificate was issued by %s (%s), which was issued by %s; %s trusts %s, but %s's certificate file %s holds only the leaf.", owner, inter, interCert.Subject, anchor, verifier, anchor, owner, file),
		"Go and Java both verify only with what the server sends plus their truststore; neither fetches a missing intermediate (browsers sometimes do, which is why this works in a browser and fails between brokers).",
		e.seen(),
		fmt.Sprintf("Fix: send the chain — append %s's certificate to %s (cat %s %s-ca.pem > chain.pem), or import the CA reply with its chain into %s's keystore (keytool -importcert -alias %s -file chain.pem -keystore %s.ks); do not add the intermediate to every truststore instead.", inter, file, file, inter, owner, owner, owner),
	}
}

// currentTime is the verifier's clock as Go's expiry error prints it.
var currentTime = regexp.MustCompile(`current time (\S+) is (?:after|before)`)

// clockSkew recognises an expiry verdict reached by a clock that is off:
// the time in the verifier's own error is far from the real one.
func (e *explainer) clockSkew(owner, verifier string) []string {
	m := currentTime.FindStringSubmatch(e.f.Reason)
	if m == nil || e.remote {
		return nil
	}
	seen, err := time.Parse(time.RFC3339, m[1])
	if err != nil {
		return nil
	}
	skew := seen.Sub(now())
	if skew.Abs() < 5*time.Minute {
		return nil
	}
	dir := "ahead"
	if skew < 0 {
		dir = "behind"
	}
	lines := []string{
		fmt.Sprintf("%s's clock is about %s %s: it read %s when the real time was %s, and judged %s's certificate by it.", verifier, approx(skew.Abs()), dir, when(seen), when(now()), owner),
	}
	if c, _ := e.cert(owner); c != nil && !now().Before(c.NotBefore) && !now().After(c.NotAfter) {
		lines = append(lines, fmt.Sprintf("%s's certificate is valid now (%s to %s): nothing is wrong with it.", owner, when(c.NotBefore), when(c.NotAfter)))
	}
	return append(lines, e.seen(),
		fmt.Sprintf("Fix: set %s's clock right and keep it so (NTP: timedatectl set-ntp true, chronyc tracking); do not re-issue certificates to suit a wrong clock.", verifier))
}

// ipSAN recognises a verifier that checked an IP address the certificate
// does not list ("doesn't contain any IP SANs").
func (e *explainer) ipSAN(owner, verifier string) []string {
	if !strings.Contains(e.f.Reason, "IP SANs") && !strings.Contains(e.f.Reason, "IP address") {
		return nil
	}
	ip := ""
	for _, w := range strings.Fields(e.f.Reason) {
		if net.ParseIP(strings.Trim(w, ",.:\"")) != nil {
			ip = strings.Trim(w, ",.:\"")
		}
	}
	names := "none"
	if c, _ := e.cert(owner); c != nil && len(sanList(c)) > 0 {
		names = strings.Join(sanList(c), ", ")
	}
	return []string{
		fmt.Sprintf("%s verified %s as the IP address %s, and %s's certificate names no such address.", verifier, owner, ip, owner),
		fmt.Sprintf("A name given as an address is checked against the certificate's IP SANs only (its SANs: %s); Java says \"No subject alternative names matching IP address %s found\".", names, ip),
		e.seen(),
		fmt.Sprintf("Fix: verify %s by its DNS name (the connector's serverName %s), or add the address to the certificate (keytool -ext SAN=dns:%s,ip:%s; openssl -addext subjectAltName=DNS:%s,IP:%s).", owner, owner, owner, ip, owner, ip),
	}
}
