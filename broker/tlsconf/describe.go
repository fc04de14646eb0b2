package tlsconf

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"
)

// describeTime is minute precision in UTC: enough to see "expired an hour
// ago" or "valid from tomorrow", short enough for one line.
const describeTime = "2006-01-02T15:04Z"

// Describe is a one-line summary of c for explanations and events, e.g.
//
//	CN=hub, SAN=[hub localhost 127.0.0.1 ::1], issuer=CN=hub (self-signed), valid 2026-11-22T10:00Z..2026-11-23T10:00Z
//
// The extended key usages are added only when they would refuse the
// certificate to a broker, i.e. when they exclude serverAuth or clientAuth;
// a CA certificate is marked "CA".
func Describe(c *x509.Certificate) string {
	if c == nil {
		return "no certificate"
	}
	var b strings.Builder
	subject := c.Subject.String()
	if subject == "" {
		subject = "subject=<empty>"
	}
	b.WriteString(subject)
	fmt.Fprintf(&b, ", SAN=[%s]", strings.Join(sans(c), " "))
	fmt.Fprintf(&b, ", issuer=%s", c.Issuer.String())
	if selfSigned(c) {
		b.WriteString(" (self-signed)")
	}
	fmt.Fprintf(&b, ", valid %s..%s", c.NotBefore.UTC().Format(describeTime), c.NotAfter.UTC().Format(describeTime))
	if c.IsCA {
		b.WriteString(", CA")
	}
	if eku := restrictiveEKU(c); eku != "" {
		fmt.Fprintf(&b, ", EKU=[%s]", eku)
	}
	return b.String()
}

func sans(c *x509.Certificate) []string {
	var s []string
	s = append(s, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		s = append(s, ip.String())
	}
	for _, u := range c.URIs {
		s = append(s, u.String())
	}
	s = append(s, c.EmailAddresses...)
	return s
}

// selfSigned means issued by its own key: same name and a signature its own
// public key verifies. Equal names alone would also match a certificate
// re-issued by a different CA of the same name, which is the very confusion
// an explanation must not add to.
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// restrictiveEKU lists c's extended key usages when they leave out one of
// the two a broker node needs; "" when there are none (any usage) or both.
func restrictiveEKU(c *x509.Certificate) string {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return ""
	}
	if slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) ||
		slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) && slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return ""
	}
	return strings.Join(ekuNames(c), " ")
}

// ekuNames names c's extended key usages, known ones first, then the
// OIDs of unknown ones; nil when there are none.
func ekuNames(c *x509.Certificate) []string {
	var names []string
	for _, u := range c.ExtKeyUsage {
		names = append(names, ekuName(u))
	}
	for _, oid := range c.UnknownExtKeyUsage {
		names = append(names, oid.String())
	}
	return names
}

func ekuName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	}
	return fmt.Sprintf("eku(%d)", int(u))
}

// Expiry says, for an explanation, where now falls in c's validity window:
// "" when inside it, else e.g. "expired 2h0m0s ago" or "not valid for
// another 24h0m0s".
func Expiry(c *x509.Certificate, now time.Time) string {
	switch {
	case c == nil:
		return ""
	case now.After(c.NotAfter):
		return "expired " + now.Sub(c.NotAfter).Round(time.Second).String() + " ago"
	case now.Before(c.NotBefore):
		return "not valid for another " + c.NotBefore.Sub(now).Round(time.Second).String()
	}
	return ""
}
