package faults

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// What the certificate files say. A TLS alert such as "bad certificate"
// says nothing of the cause, and the topology says what the operator
// meant, not what is in the files; the files that the nodes loaded
// (Context.CertFiles, Context.TrustFiles) say what is actually wrong:
// dates, names, issuer, key usage. Every function here degrades to nothing
// when a file is unknown or unreadable, and the class's general text is
// used instead.

// now is the explanations' clock: "expired 61 minutes ago" is measured
// against it. Tests fix it.
var now = time.Now

// readCerts reads every CERTIFICATE block of a PEM file; nil on any error.
func readCerts(path string) []*x509.Certificate {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil
		}
		out = append(out, c)
	}
}

// cert returns name's certificate as its file has it, leaf first, then
// the chain the file carries after it; nil when unknown.
func (e *explainer) cert(name string) (leaf *x509.Certificate, chain []*x509.Certificate) {
	certs := readCerts(e.c.CertFiles[name])
	if len(certs) == 0 {
		return nil, nil
	}
	return certs[0], certs[1:]
}

// trusted returns the certificates in truster's trust file; nil when
// unknown, unreadable or empty.
func (e *explainer) trusted(truster string) []*x509.Certificate {
	return readCerts(e.c.TrustFiles[truster])
}

// selfSigned tells a self-signed owner from a CA-signed one, by its
// certificate when readable, else by the topology. known is false when
// neither says.
func (e *explainer) selfSigned(owner string) (self, known bool) {
	if c, _ := e.cert(owner); c != nil {
		// CheckSignature, not CheckSignatureFrom: a self-signed leaf is
		// not a CA, and CheckSignatureFrom insists its parent be one.
		return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil, true
	}
	if n := e.node(owner); n != nil && n.TLS != nil {
		return n.TLS.Identity.SelfSigned, n.HasIdentity()
	}
	return false, false
}

// issuerName is the authority that signed owner's certificate: its name
// in the topology, else the CN of the certificate's issuer, else "its CA".
func (e *explainer) issuerName(owner string) string {
	if ca := signer(e.c.Spec, owner); ca != "" {
		return ca
	}
	if c, _ := e.cert(owner); c != nil && c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return "its CA"
}

// pinners are the nodes whose trust lists name owner itself, in file order.
func (e *explainer) pinners(owner string) []string {
	if e.c.Spec == nil {
		return nil
	}
	var out []string
	for _, n := range e.c.Spec.Nodes {
		if n.Name != owner && n.TLS != nil && slices.Contains(n.TLS.Trust, owner) {
			out = append(out, n.Name)
		}
	}
	return out
}

// when writes a certificate date as the stack prints it, in UTC.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// approx writes a distance in time the way a person says it.
func approx(d time.Duration) string {
	d = d.Abs()
	switch {
	case d < time.Minute:
		return plural(int(d/time.Second), "second")
	case d < 2*time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 72*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// certProblem is one thing wrong with a certificate, as a verifier would
// find it: what, in sentences, and the fix, a line starting "Fix:".
type certProblem struct {
	what []string
	fix  string
}

// diagnose checks owner's certificate as verifier checks it (as a
// server's certificate when owner is the link's server, else as a
// client's), in the order Go's verifier does: validity, name, trust, key
// usage. The first problem is the one the verifier reported.
func (e *explainer) diagnose(owner, verifier string) []certProblem {
	c, chain := e.cert(owner)
	if c == nil {
		return nil
	}
	var out []certProblem
	if p, ok := e.validityProblem(owner, c); ok {
		out = append(out, p)
	}
	if owner == e.server {
		if p, ok := e.nameProblem(owner, verifier, c); ok {
			out = append(out, p)
		}
	}
	if p, ok := e.trustProblem(owner, verifier, c, chain); ok {
		out = append(out, p)
	}
	if p, ok := e.usageProblem(owner, verifier, c); ok {
		out = append(out, p)
	}
	return out
}

func (e *explainer) validityProblem(owner string, c *x509.Certificate) (certProblem, bool) {
	t := now()
	switch {
	case t.After(c.NotAfter):
		return certProblem{
			what: []string{fmt.Sprintf("%s's certificate expired at %s (%s ago).", owner, when(c.NotAfter), approx(t.Sub(c.NotAfter)))},
			fix:  e.fixRenew(owner),
		}, true
	case t.Before(c.NotBefore):
		return certProblem{
			what: []string{fmt.Sprintf("%s's certificate is valid only from %s (in %s).", owner, when(c.NotBefore), approx(c.NotBefore.Sub(t)))},
			fix:  e.fixNotYetValid(owner),
		}, true
	}
	return certProblem{}, false
}

// nameProblem: the verifier checks the server's certificate against the
// node name it dials (tls.Config.ServerName), whatever address it dials.
func (e *explainer) nameProblem(owner, verifier string, c *x509.Certificate) (certProblem, bool) {
	if c.VerifyHostname(owner) == nil {
		return certProblem{}, false
	}
	if len(c.DNSNames) == 0 && len(c.IPAddresses) == 0 && len(c.EmailAddresses) == 0 && len(c.URIs) == 0 {
		return certProblem{what: e.cnOnly(owner, verifier, c), fix: e.fixSAN(owner, verifier, nil)}, true
	}
	names := sanList(c)
	return certProblem{
		what: []string{fmt.Sprintf("%s's certificate is valid for %s, not for %s, the name %s verifies.", owner, strings.Join(names, ", "), owner, verifier)},
		fix:  e.fixSAN(owner, verifier, names),
	}, true
}

// cnOnly says why a certificate without SANs works with ActiveMQ and not
// here: the difference between the two stacks is the whole story.
func (e *explainer) cnOnly(owner, verifier string, c *x509.Certificate) []string {
	cn := c.Subject.CommonName
	return []string{
		fmt.Sprintf("%s's certificate has no subjectAltName, only CN=%s.", owner, cn),
		fmt.Sprintf("Go has ignored the Common Name since Go 1.15 and needs a SAN with the name it dials (%s), so %s refuses the certificate (\"x509: certificate relies on legacy Common Name field\").", owner, verifier),
		"Java (ActiveMQ) accepts it: with no SAN it falls back to the CN, even with host name verification on, so the same keystores that work between ActiveMQ brokers fail against a Go peer.",
	}
}

func sanList(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// trustProblem: does verifier's truststore vouch for the certificate? Its
// dates and usage are set aside (checked apart), so that only trust is
// judged here.
func (e *explainer) trustProblem(owner, verifier string, c *x509.Certificate, chain []*x509.Certificate) (certProblem, bool) {
	anchors := e.trusted(verifier)
	if len(anchors) == 0 {
		return certProblem{}, false // unknown, or trusts nobody: the topology's words cover it
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, a := range anchors {
		roots.AddCert(a)
	}
	for _, i := range chain {
		inter.AddCert(i)
	}
	_, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		CurrentTime: c.NotBefore.Add(time.Second), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if _, unknown := errors.AsType[x509.UnknownAuthorityError](err); !unknown {
		return certProblem{}, false
	}
	file := e.trustFile(verifier)
	self := bytes.Equal(c.RawIssuer, c.RawSubject)
	for _, a := range anchors {
		if self && a.Subject.CommonName == c.Subject.CommonName && !a.Equal(c) {
			// The truststore pins a certificate with this name: an older
			// one, since the key differs.
			return certProblem{
				what: []string{
					fmt.Sprintf("%s's truststore%s pins a certificate for %s, but %s presents a different one, with another key: %s's key pair was made again after %s's truststore was filled.", verifier, file, c.Subject.CommonName, owner, owner, verifier),
				},
				fix: e.fixRepin(owner),
			}, true
		}
	}
	issuer, alias := "CN="+c.Issuer.CommonName, e.authorityOf(c)
	var held []string
	for _, a := range anchors {
		held = append(held, "CN="+a.Subject.CommonName)
	}
	return certProblem{
		what: []string{fmt.Sprintf("%s's certificate was issued by %s, which %s's truststore%s does not hold (it holds %s).", owner, issuer, verifier, file, strings.Join(held, ", "))},
		fix: fmt.Sprintf("Fix: have an authority %s trusts issue %s's certificate — in brokerlab regenerate the PKI; with keytool: %s — or, if %s is meant to be trusted, import its certificate into %s's truststore (keytool -importcert -alias %s -file %s.cert -keystore %s.ts).",
			verifier, owner, e.certreq(owner, e.trustedAuthority(verifier)), issuer, verifier, alias, alias, verifier),
	}, true
}

// authorityOf names the authority that issued c among the certificates
// the context knows (nodes' and authorities'), for keytool aliases; else
// it makes an alias of the issuer's CN, as keytool users do.
func (e *explainer) authorityOf(c *x509.Certificate) string {
	for _, name := range sortedKeys(e.c.CertFiles) {
		if a, _ := e.cert(name); a != nil && a.IsCA && bytes.Equal(a.RawSubject, c.RawIssuer) {
			return name
		}
	}
	return strings.ToLower(strings.Join(strings.Fields(c.Issuer.CommonName), "-"))
}

// trustedAuthority names an authority verifier trusts, for the fix's
// wording: the first authority of its trust list, else "your CA".
func (e *explainer) trustedAuthority(verifier string) string {
	if n := e.node(verifier); n != nil && n.TLS != nil {
		for _, t := range n.TLS.Trust {
			if e.c.Spec.Authority(t) != nil {
				return t
			}
		}
	}
	return "your CA"
}

func (e *explainer) usageProblem(owner, verifier string, c *x509.Certificate) (certProblem, bool) {
	need, needName, role := x509.ExtKeyUsageClientAuth, "clientAuth", fmt.Sprintf("%s presents it as a client, to %s's listener", owner, verifier)
	if owner == e.server {
		need, needName, role = x509.ExtKeyUsageServerAuth, "serverAuth", fmt.Sprintf("%s serves it on its listener, and %s, dialling it, needs", owner, verifier)
	}
	if len(c.ExtKeyUsage) == 0 || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) || slices.Contains(c.ExtKeyUsage, need) {
		return certProblem{}, false
	}
	what := fmt.Sprintf("%s's certificate allows only %s (extended key usage), but %s, which needs %s.", owner, ekuNames(c.ExtKeyUsage), role, needName)
	if owner == e.server {
		what = fmt.Sprintf("%s's certificate allows only %s (extended key usage), but %s %s.", owner, ekuNames(c.ExtKeyUsage), role, needName)
	}
	return certProblem{what: []string{what}, fix: e.fixUsage(owner)}, true
}

func ekuNames(us []x509.ExtKeyUsage) string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
		x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
		x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
	}
	var out []string
	for _, u := range us {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("usage %d", u))
		}
	}
	return strings.Join(out, ", ")
}

// The fixes, each in brokerlab's terms and as keytool commands. A
// self-signed certificate is made again on its node and re-imported where
// it is pinned; a CA-signed one is requested again from its authority and
// the truststores, which hold the authority, stay as they are.

// genkeypair is the keytool command that makes owner's key pair and
// self-signed certificate right: a SAN with its node name, both usages.
func genkeypair(owner string) string {
	return fmt.Sprintf("keytool -genkeypair -alias %s -keyalg RSA -keysize 2048 -validity 365 -dname CN=%s -ext SAN=dns:%s -ext EKU=serverAuth,clientAuth -keystore %s.ks", owner, owner, owner, owner)
}

// certreq is how owner gets a certificate from ca with keytool.
func (e *explainer) certreq(owner, ca string) string {
	return fmt.Sprintf("keytool -certreq -alias %s -keystore %s.ks -ext SAN=dns:%s -ext EKU=serverAuth,clientAuth -file %s.csr, have %s sign it, then keytool -importcert -alias %s -file %s-signed.cert -keystore %s.ks", owner, owner, owner, owner, ca, owner, owner, owner)
}

// reimport is how owner's new self-signed certificate reaches the
// truststores that pin it.
func (e *explainer) reimport(owner string) string {
	stores := "every truststore that holds it"
	if ps := e.pinners(owner); len(ps) > 0 {
		for i := range ps {
			ps[i] += ".ts"
		}
		stores = strings.Join(ps, " and ")
	}
	return fmt.Sprintf("keytool -exportcert -alias %s -keystore %s.ks -file %s.cert, then in %s: keytool -delete -alias %s and keytool -importcert -alias %s -file %s.cert", owner, owner, owner, stores, owner, owner, owner)
}

// remake is the keytool way to give owner a new, sound certificate.
func (e *explainer) remake(owner string) string {
	if self, known := e.selfSigned(owner); known && !self {
		return e.certreq(owner, e.issuerName(owner)) + "; the truststores hold " + e.issuerName(owner) + ", not " + owner + "'s certificate, so they need no change"
	}
	return fmt.Sprintf("keytool -delete -alias %s -keystore %s.ks, %s, %s", owner, owner, genkeypair(owner), e.reimport(owner))
}

func (e *explainer) fixRenew(owner string) string {
	return fmt.Sprintf("Fix: renew %s's certificate — in brokerlab regenerate the PKI; with keytool: %s — and keep clocks in sync (NTP).", owner, e.remake(owner))
}

func (e *explainer) fixNotYetValid(owner string) string {
	return fmt.Sprintf("Fix: synchronise the clocks of %s and its peers (NTP), or regenerate %s's certificate with a start date in the past (keytool -genkeypair … -startdate -1d, or the CA's equivalent).", owner, owner)
}

func (e *explainer) fixSAN(owner, verifier string, names []string) string {
	keep := ""
	if len(names) > 0 {
		keep = fmt.Sprintf(" (keep %s too if others dial that)", strings.Join(names, ", "))
	}
	how := fmt.Sprintf("%s, %s", genkeypair(owner), e.reimport(owner))
	if self, known := e.selfSigned(owner); known && !self {
		how = e.certreq(owner, e.issuerName(owner)) + " (make sure the CA copies the SAN extension)"
	}
	return fmt.Sprintf("Fix: re-issue %s's certificate with a SAN for the name it is dialled by, dns:%s%s — brokerlab gives every node certificate one; with keytool: %s.", owner, owner, keep, how)
}

func (e *explainer) fixRepin(owner string) string {
	return fmt.Sprintf("Fix: put %s's current certificate in the truststores that pin it — in brokerlab regenerate the PKI; with keytool: %s — or, if %s's old key pair still exists, put it back in %s.ks.", owner, e.reimport(owner), owner, owner)
}

func (e *explainer) fixUsage(owner string) string {
	how := fmt.Sprintf("%s, %s", genkeypair(owner), e.reimport(owner))
	if self, known := e.selfSigned(owner); known && !self {
		how = e.certreq(owner, e.issuerName(owner)) + " (with a CA template that allows both)"
	}
	return fmt.Sprintf("Fix: re-issue %s's certificate with both serverAuth and clientAuth, since every broker in a network both listens and dials (or with no extended key usage at all) — brokerlab's PKI does this for node certificates; with keytool: %s.", owner, how)
}
