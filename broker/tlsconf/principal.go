package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
)

// Principal is who the peer of a connection proved to be: the subject DN
// of its certificate, as RFC 4514 writes it ("CN=server-a,O=brokerlab",
// most specific first), and its subject alternative names (DNS names, IP
// addresses, URIs, e-mail addresses, in that order). Java's
// getSubjectX500Principal().getName() gives the same string; ActiveMQ's
// certificate login modules print getSubjectDN(), which puts a space after
// each comma.
//
// Only a verified certificate names a principal: with no verified chain
// (no certificate sent, or verification skipped) Principal returns "" and
// nil, so a security layer never grants on an unchecked claim.
func Principal(cs tls.ConnectionState) (subjectDN string, sans []string) {
	if len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return "", nil
	}
	c := cs.PeerCertificates[0]
	return c.Subject.String(), sanList(c)
}

// sanList is describe.go's sans, under a name Principal's result does not
// shadow.
func sanList(c *x509.Certificate) []string { return sans(c) }
