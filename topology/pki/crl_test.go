package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

func readCRL(t *testing.T, path string) *x509.RevocationList {
	t.Helper()
	b, rest := pem.Decode(read(t, path))
	if b == nil || b.Type != "X509 CRL" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("%s: not one PEM X509 CRL", path)
	}
	crl, err := x509.ParseRevocationList(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestRevoke(t *testing.T) {
	m := generate(t, chainSpec(), chainOptions())
	edge, root := m.Authorities["edge"], m.Authorities["root"]
	for name, a := range m.Authorities {
		crl := readCRL(t, a.CRLFile)
		if len(crl.RevokedCertificateEntries) != 0 || crl.CheckSignatureFrom(a.Cert) != nil {
			t.Errorf("%s: fresh CRL lists %d entries, signature %v", name, len(crl.RevokedCertificateEntries), crl.CheckSignatureFrom(a.Cert))
		}
	}

	file, err := m.Revoke("hub")
	if err != nil {
		t.Fatal(err)
	}
	if file != edge.CRLFile {
		t.Errorf("Revoke(hub) wrote %s, want the issuer's %s", file, edge.CRLFile)
	}
	if _, err := m.Revoke("pin"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoke("hub"); err != nil { // again: no duplicate
		t.Fatal(err)
	}
	crl := readCRL(t, edge.CRLFile)
	if err := crl.CheckSignatureFrom(edge.Cert); err != nil {
		t.Errorf("edge's CRL is not signed by edge: %v", err)
	}
	var serials []string
	for _, e := range crl.RevokedCertificateEntries {
		serials = append(serials, e.SerialNumber.String())
	}
	if want := []string{m.Nodes["hub"].Cert.SerialNumber.String(), m.Nodes["pin"].Cert.SerialNumber.String()}; strings.Join(serials, ",") != strings.Join(want, ",") {
		t.Errorf("edge's CRL lists %v, want hub's and pin's serials %v", serials, want)
	}
	if crl.Number.Int64() != 3 {
		t.Errorf("CRL number %v, want 3 (each list supersedes the last)", crl.Number)
	}

	// An intermediate is revoked in its parent's list.
	if file, err := m.Revoke("mid"); err != nil || file != root.CRLFile {
		t.Errorf("Revoke(mid) = %s, %v; want root's CRL", file, err)
	}
	if got := readCRL(t, root.CRLFile).RevokedCertificateEntries; len(got) != 1 || got[0].SerialNumber.Cmp(m.Authorities["mid"].Cert.SerialNumber) != 0 {
		t.Errorf("root's CRL: %v", got)
	}

	self := generate(t, example(t, "hub-and-spokes"), Options{})
	for name, want := range map[string]string{
		"hub":     `pki: revoke "hub": its certificate is self-signed, so no authority can revoke it; remove "hub" from its peers' trust lists instead`,
		"nowhere": `pki: revoke "nowhere": no node with tls and no authority of that name`,
	} {
		if _, err := self.Revoke(name); err == nil || err.Error() != want {
			t.Errorf("Revoke(%s) = %v\nwant %s", name, err, want)
		}
	}
	if _, err := m.Revoke("root"); err == nil || !strings.Contains(err.Error(), "self-signed") {
		t.Errorf("Revoke(root) = %v, want a refusal", err)
	}
}

// TestRevokedPeerRefused: the hub checks the CRL its authority published;
// a revoked spoke is refused with class revoked on the hub's side, and sees
// bad-certificate on its own. The same with the roles swapped: a spoke
// checking the CRL refuses a revoked hub.
func TestRevokedPeerRefused(t *testing.T) {
	m := generate(t, chainSpec(), chainOptions())
	crlFile, err := m.Revoke("server-a") // issued by mid
	if err != nil {
		t.Fatal(err)
	}
	load := func(node string, crl bool) *tlsconf.Material {
		nf := m.Nodes[node]
		f := tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile}
		if crl {
			f.CRLFile = crlFile
		}
		mat, err := tlsconf.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		return mat
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		scfg, _ := tlsconf.ServerConfig(load("hub", true), tlsconf.NeedClientCert)
		ccfg, _ := tlsconf.ClientConfig(load("server-a", false), "hub")
		scfg.MaxVersion, ccfg.MaxVersion = v, v
		c, s, _ := handshakeConfigs(t, scfg, ccfg)
		if tlsconf.Classify(s) != tlsconf.ClassRevoked || tlsconf.Classify(c) != tlsconf.ClassBadCertificate {
			t.Errorf("TLS %x, revoked client: server %s (%v), client %s (%v); want revoked, bad-certificate", v, tlsconf.Classify(s), s, tlsconf.Classify(c), c)
		}
		if s != nil && !strings.Contains(s.Error(), "CN=server-a,O=brokerlab") {
			t.Errorf("the hub's error does not name the revoked peer: %v", s)
		}
		// Not revoked: server-b passes the same check.
		ccfg, _ = tlsconf.ClientConfig(load("server-b", false), "hub")
		if c, s, _ := handshakeConfigs(t, scfg, ccfg); c != nil || s != nil {
			t.Errorf("TLS %x, server-b: client %v, server %v", v, c, s)
		}
	}
	// The client checks too: server-b dialing a revoked server-a.
	scfg, _ := tlsconf.ServerConfig(load("server-a", false), tlsconf.NeedClientCert)
	ccfg, _ := tlsconf.ClientConfig(load("server-b", true), "server-a")
	c, _, _ := handshakeConfigs(t, scfg, ccfg)
	if tlsconf.Classify(c) != tlsconf.ClassRevoked {
		t.Errorf("client dialing a revoked server: %s (%v), want revoked", tlsconf.Classify(c), c)
	}
}

func TestOpenSSLCRL(t *testing.T) {
	openssl := tool(t, "openssl", "apt-get install openssl")
	m := generate(t, example(t, "hub-and-spokes-ca"), Options{})
	root := m.Authorities["root"]
	args := []string{"verify", "-crl_check", "-CAfile", root.CertFile, "-CRLfile", root.CRLFile, m.Nodes["server-a"].CertFile}
	if out, err := run(t, openssl, args...); err != nil || !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify -crl_check before Revoke: %v", err)
	}
	if _, err := m.Revoke("server-a"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, openssl, args...); err == nil || !strings.Contains(out, "certificate revoked") {
		t.Errorf("openssl verify -crl_check after Revoke: %v, want certificate revoked", err)
	}
}
