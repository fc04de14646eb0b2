package tlsconf

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func newCRL(t *testing.T, issuer *testCert, revoked ...*testCert) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour)}
	for _, r := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: r.cert.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer.cert, issuer.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// newCA is a CA that may sign CRLs; newCert's CAs sign certificates only.
func newCA(t *testing.T, cn string) *testCert {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func crlPEM(der ...[]byte) []byte {
	var out []byte
	for _, d := range der {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: d})...)
	}
	return out
}

func TestLoadCRLs(t *testing.T) {
	ca, ca2 := newCA(t, "lab CA"), newCA(t, "other CA")
	leaf := newCert(t, certSpec{cn: "server-a", issuer: ca})
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"two PEM lists": crlPEM(newCRL(t, ca, leaf), newCRL(t, ca2)),
		"DER":           newCRL(t, ca, leaf),
	} {
		m, err := Load(Files{CRLFile: writeFile(t, dir, strings.ReplaceAll(name, " ", "-"), data)})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(m.CRLs) == 0 || len(m.CRLs[0].RevokedCertificateEntries) != 1 {
			t.Errorf("%s: %d lists", name, len(m.CRLs))
		}
	}
	if _, err := Load(Files{CRLFile: writeFile(t, dir, "empty.crl", nil)}); Classify(err) != ClassBadCRL || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty CRL file: %v", err)
	}
}

// The checking side names the revoked peer and says revoked; the other side
// learns only bad_certificate.
func TestRevokedPeer(t *testing.T) {
	must := mustConfig(t)
	ca := newCA(t, "lab CA")
	hub := newCert(t, certSpec{cn: "hub", dns: []string{"hub"}, issuer: ca})
	spoke := newCert(t, certSpec{cn: "server-a", dns: []string{"server-a"}, issuer: ca})
	good := newCert(t, certSpec{cn: "server-b", dns: []string{"server-b"}, issuer: ca})
	// Same issuer name, other key: a list anyone could have made.
	impostor := newCA(t, "lab CA")
	dir := t.TempDir()
	crl := writeFile(t, dir, "crl.pem", crlPEM(newCRL(t, ca, spoke, hub)))
	fake := writeFile(t, dir, "fake.pem", crlPEM(newCRL(t, impostor, good)))

	withCRL := func(id *testCert, file string) *Material {
		m := material(t, id, ca)
		mm, err := Load(Files{CertFile: m.Files.CertFile, KeyFile: m.Files.KeyFile, TrustFile: m.Files.TrustFile, CRLFile: file})
		if err != nil {
			t.Fatal(err)
		}
		return mm
	}
	hubServer := must(ServerConfig(withCRL(hub, crl), NeedClientCert))
	if hubServer.VerifyConnection == nil {
		t.Fatal("ServerConfig with CRLs has no VerifyConnection")
	}

	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		o := pair(t, pin(hubServer, v, v), pin(must(ClientConfig(material(t, spoke, ca), "hub")), v, v))
		if Classify(o.server) != ClassRevoked || Classify(o.client) != ClassBadCertificate {
			t.Errorf("TLS %x: server %s (%v), client %s (%v); want revoked, bad-certificate", v, Classify(o.server), o.server, Classify(o.client), o.client)
		}
		re, ok := errors.AsType[*RevokedError](o.server)
		if !ok || re.Subject != "CN=server-a" || re.Serial.Cmp(spoke.cert.SerialNumber) != 0 || re.Issuer != "CN=lab CA" || re.CRLFile != crl {
			t.Errorf("TLS %x: server error %#v", v, o.server)
		}
		if got := Classify(errors.New(o.server.Error())); got != ClassRevoked {
			t.Errorf("the revoked error as text classifies as %q", got)
		}
	}
	if o := pair(t, hubServer, must(ClientConfig(material(t, good, ca), "hub"))); o.client != nil || o.server != nil {
		t.Errorf("a peer the CRL does not list: client %v, server %v", o.client, o.server)
	}
	// The client checks the server.
	o := pair(t, must(ServerConfig(material(t, hub, ca), NoClientCert)), must(ClientConfig(withCRL(nil, crl), "hub")))
	if Classify(o.client) != ClassRevoked {
		t.Errorf("client dialing a revoked server: %s (%v)", Classify(o.client), o.client)
	}
	// A list not signed by the issuer revokes nothing.
	o = pair(t, must(ServerConfig(withCRL(hub, fake), NeedClientCert)), must(ClientConfig(material(t, good, ca), "hub")))
	if o.client != nil || o.server != nil {
		t.Errorf("a forged CRL was believed: client %v, server %v", o.client, o.server)
	}
}
