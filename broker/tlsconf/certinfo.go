package tlsconf

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// CertInfo is a certificate as a person checking it wants to see it: the
// fields keytool -list -v and openssl x509 -text show, and that decide a
// broker's handshake. Describe is the one-line form; CertInfo is for
// `brokerlab certs inspect` and `brokerlab diagnose`, which show it in full.
type CertInfo struct {
	Subject, Issuer string
	SANs            []string
	NotBefore       time.Time
	NotAfter        time.Time
	// Validity is "" inside the window, else e.g. "expired 2h0m0s ago".
	Validity    string
	KeyUsage    []string
	ExtKeyUsage []string // empty: any use (no extension)
	Key         string   // "RSA 2048", "ECDSA P-256", "Ed25519"
	Signature   string   // e.g. "SHA256-RSA"
	SHA256      string   // fingerprint of the DER, colon-separated hex as keytool prints it
	SelfSigned  bool
	IsCA        bool
}

// Info describes c as seen at now.
func Info(c *x509.Certificate, now time.Time) CertInfo {
	sum := sha256.Sum256(c.Raw)
	hex := make([]string, len(sum))
	for i, b := range sum {
		hex[i] = fmt.Sprintf("%02X", b)
	}
	return CertInfo{
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		SANs:        sans(c),
		NotBefore:   c.NotBefore.UTC(),
		NotAfter:    c.NotAfter.UTC(),
		Validity:    Expiry(c, now),
		KeyUsage:    keyUsages(c.KeyUsage),
		ExtKeyUsage: ekuNames(c),
		Key:         keyDescription(c.PublicKey),
		Signature:   c.SignatureAlgorithm.String(),
		SHA256:      strings.Join(hex, ":"),
		SelfSigned:  selfSigned(c),
		IsCA:        c.IsCA,
	}
}

// Lines renders ci for a terminal, one field a line, each prefixed by
// indent.
func (ci CertInfo) Lines(indent string) []string {
	issuer := ci.Issuer
	if ci.SelfSigned {
		issuer += " (self-signed)"
	}
	sanText := strings.Join(ci.SANs, ", ")
	if sanText == "" {
		sanText = "none (Go verifies names against SANs only; Java falls back to the CN for DNS names)"
	}
	validity := fmt.Sprintf("%s .. %s", ci.NotBefore.Format(time.RFC3339), ci.NotAfter.Format(time.RFC3339))
	if ci.Validity != "" {
		validity += "  <-- " + ci.Validity
	}
	eku := strings.Join(ci.ExtKeyUsage, ", ")
	if eku == "" {
		eku = "any (no extension)"
	}
	lines := []string{
		"subject:  " + ci.Subject,
		"issuer:   " + issuer,
		"SANs:     " + sanText,
		"valid:    " + validity,
		"key:      " + ci.Key + ", signed " + ci.Signature,
		"usage:    " + strings.Join(ci.KeyUsage, ", "),
		"ext use:  " + eku,
		"SHA-256:  " + ci.SHA256,
	}
	if ci.IsCA {
		lines = append(lines, "CA:       yes (may sign certificates)")
	}
	for i := range lines {
		lines[i] = indent + lines[i]
	}
	return lines
}

func keyDescription(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

var keyUsageNames = []struct {
	u    x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "nonRepudiation"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

func keyUsages(ku x509.KeyUsage) []string {
	var out []string
	for _, n := range keyUsageNames {
		if ku&n.u != 0 {
			out = append(out, n.name)
		}
	}
	return out
}
