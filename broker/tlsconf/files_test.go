package tlsconf

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadGood(t *testing.T) {
	hub, spoke := node(t, "hub"), node(t, "server-a")
	ecKey, err := x509.MarshalECPrivateKey(hub.key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaCert := newCert(t, certSpec{cn: "rsa", dns: []string{"rsa"}, key: rsaKey})
	ca := newCert(t, certSpec{cn: "lab CA", isCA: true})
	leaf := newCert(t, certSpec{cn: "server-b", dns: []string{"server-b"}, issuer: ca})

	cases := []struct {
		name       string
		cert, key  []byte
		trust      []byte
		wantChain  int
		wantLeafCN string
		wantTrust  []string
	}{
		{"PKCS#8 key, two trusted", hub.certPEM, hub.keyPEM, cat(hub.certPEM, spoke.certPEM), 1, "hub", []string{"CN=hub", "CN=server-a"}},
		{"SEC 1 EC key", hub.certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecKey}), nil, 1, "hub", nil},
		{"mislabelled key", hub.certPEM, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: ecKey}), nil, 1, "hub", nil},
		{"PKCS#1 RSA key", rsaCert.certPEM, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), nil, 1, "rsa", nil},
		{"leaf followed by its chain", cat(leaf.certPEM, ca.certPEM), leaf.keyPEM, ca.certPEM, 2, "server-b", []string{"CN=lab CA"}},
		{"combined cert and key in one file", cat(hub.certPEM, hub.keyPEM), cat(hub.certPEM, hub.keyPEM), nil, 1, "hub", nil},
		{"empty trust file trusts nobody", hub.certPEM, hub.keyPEM, []byte("\n"), 1, "hub", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := Files{
				CertFile:  writeFile(t, t.TempDir(), "cert.pem", tc.cert),
				KeyFile:   writeFile(t, t.TempDir(), "key.pem", tc.key),
				TrustFile: writeFile(t, t.TempDir(), "trust.pem", tc.trust),
			}
			m, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if m.Trust == nil {
				t.Fatal("Trust is nil")
			}
			if got := len(m.Certificate.Certificate); got != tc.wantChain {
				t.Errorf("chain length %d, want %d", got, tc.wantChain)
			}
			if m.Leaf == nil || m.Leaf.Subject.CommonName != tc.wantLeafCN || m.Certificate.Leaf != m.Leaf {
				t.Errorf("Leaf = %v, want CN %s", m.Leaf, tc.wantLeafCN)
			}
			if strings.Join(m.TrustedSubjects, "|") != strings.Join(tc.wantTrust, "|") || len(m.Trusted) != len(tc.wantTrust) {
				t.Errorf("TrustedSubjects = %q, want %q", m.TrustedSubjects, tc.wantTrust)
			}
		})
	}
}

func TestLoadTrustOnly(t *testing.T) {
	m, err := Load(Files{})
	if err != nil || m.Certificate != nil || m.Leaf != nil || m.Trust == nil {
		t.Fatalf("Load(Files{}) = %+v, %v; want no certificate and an empty, non-nil pool", m, err)
	}
}

func TestLoadErrors(t *testing.T) {
	hub, other := node(t, "hub"), node(t, "other")
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPKCS8, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	// A key block whose body is not a key: its bytes must never be echoed.
	secret := []byte("not-a-key-but-secret-looking-0123456789")
	damagedKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: secret})
	truncated := hub.certPEM[:len(hub.certPEM)-30]

	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	file := func(name string, data []byte) string { return writeFile(t, dir, name, data) }

	cases := []struct {
		name  string
		files Files
		want  []string // substrings, in order
	}{
		{"missing certificate", Files{CertFile: p("nope.pem"), KeyFile: file("k1.pem", hub.keyPEM)},
			[]string{"tlsconf: read certificate " + p("nope.pem") + ": open ", "no such file or directory"}},
		{"missing key", Files{CertFile: file("c1.pem", hub.certPEM), KeyFile: p("nokey.pem")},
			[]string{"tlsconf: read key " + p("nokey.pem") + ": open "}},
		{"missing trust", Files{TrustFile: p("notrust.pem")},
			[]string{"tlsconf: read trust " + p("notrust.pem") + ": open "}},
		{"certificate without key", Files{CertFile: file("c2.pem", hub.certPEM)},
			[]string{"tlsconf: certificate ", "given without a key: set KeyFile"}},
		{"key without certificate", Files{KeyFile: file("k2.pem", hub.keyPEM)},
			[]string{"tlsconf: key ", "given without a certificate: set CertFile"}},
		{"certificate not PEM", Files{CertFile: file("c3.pem", []byte("hello")), KeyFile: file("k3.pem", hub.keyPEM)},
			[]string{"tlsconf: " + p("c3.pem") + `: no PEM "CERTIFICATE" block found: expected a PEM certificate (-----BEGIN CERTIFICATE-----)`, "not PEM"}},
		{"certificate is a JKS keystore", Files{CertFile: file("c4.jks", []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2}), KeyFile: file("k4.pem", hub.keyPEM)},
			[]string{"no PEM", "Java keystore", "keytool"}},
		{"key not PEM", Files{CertFile: file("c5.pem", hub.certPEM), KeyFile: file("k5.der", []byte{0x30, 0x82, 1, 2})},
			[]string{"tlsconf: " + p("k5.der") + `: no PEM "PRIVATE KEY" block found: expected a PEM private key (-----BEGIN PRIVATE KEY-----)`, "DER"}},
		{"key file holds the certificate", Files{CertFile: file("c6.pem", hub.certPEM), KeyFile: file("k6.pem", hub.certPEM)},
			[]string{`no PEM "PRIVATE KEY" block found`, "does KeyFile point at the certificate?"}},
		{"key of another certificate", Files{CertFile: file("c7.pem", hub.certPEM), KeyFile: file("k7.pem", other.keyPEM)},
			[]string{"tlsconf: " + p("k7.pem") + " does not match the certificate in " + p("c7.pem") + " (public keys differ): use the key the certificate was issued for"}},
		{"key of another type", Files{CertFile: file("c8.pem", hub.certPEM), KeyFile: file("k8.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edPKCS8}))},
			[]string{"does not match the certificate", "the certificate has an ECDSA key, the key file an Ed25519 key"}},
		{"encrypted key", Files{CertFile: file("c9.pem", hub.certPEM), KeyFile: file("k9.pem", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}))},
			[]string{"the private key is encrypted", "openssl pkey"}},
		{"damaged key", Files{CertFile: file("c10.pem", hub.certPEM), KeyFile: file("k10.pem", damagedKey)},
			[]string{"tlsconf: " + p("k10.pem") + `: block 1 ("PRIVATE KEY") is not a PKCS#8, PKCS#1 or EC private key: the key is damaged`}},
		{"trust block 2 is a key", Files{TrustFile: file("t1.pem", cat(hub.certPEM, hub.keyPEM))},
			[]string{"tlsconf: " + p("t1.pem") + ": block 2 is not a certificate"}},
		{"trust block 2 truncated", Files{TrustFile: file("t2.pem", cat(other.certPEM, truncated))},
			[]string{"tlsconf: " + p("t2.pem") + ": block 2 is truncated or malformed PEM"}},
		{"trust not PEM", Files{TrustFile: file("t3.pem", []byte("hub.crt"))},
			[]string{"no PEM \"CERTIFICATE\" block found", "or an empty file to trust nobody"}},
		{"certificate file holds a CSR", Files{CertFile: file("c11.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1}})), KeyFile: file("k11.pem", hub.keyPEM)},
			[]string{`block 1 is "CERTIFICATE REQUEST", not a certificate`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(tc.files)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", m)
			}
			msg := err.Error()
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q\nwant it to contain, in order, %q", msg, tc.want)
				}
				rest = rest[i+len(w):]
			}
			if !strings.HasPrefix(msg, "tlsconf: ") {
				t.Errorf("error %q lacks the tlsconf: prefix", msg)
			}
			for _, leak := range [][]byte{secret, []byte(base64.StdEncoding.EncodeToString(secret)[:16]), hub.keyPEM[28:60], other.keyPEM[28:60]} {
				if strings.Contains(msg, string(leak)) {
					t.Errorf("error %q contains key material", msg)
				}
			}
		})
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
