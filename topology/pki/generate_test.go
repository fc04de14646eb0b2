package pki

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/topology"
)

func example(t *testing.T, name string) *topology.Spec {
	t.Helper()
	spec, err := topology.Example(name)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func generate(t *testing.T, spec *topology.Spec, o Options) *Material {
	t.Helper()
	m, err := Generate(spec, t.TempDir(), o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return m
}

// readCert reads the single certificate of a PEM file.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	certs := readCerts(t, path)
	if len(certs) != 1 {
		t.Fatalf("%s holds %d certificates, want 1", path, len(certs))
	}
	return certs[0]
}

func readCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			t.Fatalf("%s: PEM block %q, want CERTIFICATE", path, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		certs = append(certs, c)
	}
	if len(strings.TrimSpace(string(data))) != 0 {
		t.Fatalf("%s: trailing bytes after the PEM blocks", path)
	}
	return certs
}

// verify checks b's certificate file against a's trust file, as a's TLS
// stack would when b connects to it or it dials b by name.
func verify(t *testing.T, m *Material, a, b string) error {
	t.Helper()
	roots := x509.NewCertPool()
	for _, c := range readCerts(t, m.Nodes[a].TrustFile) {
		roots.AddCert(c)
	}
	_, err := readCert(t, m.Nodes[b].CertFile).Verify(x509.VerifyOptions{
		Roots:     roots,
		DNSName:   b,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

// trusts says whether a trusts b by the spec: by name, or through b's issuer.
func trusts(spec *topology.Spec, a, b string) bool {
	tr, id := spec.Node(a).TLS.Trust, spec.Node(b).TLS.Identity
	return slices.Contains(tr, b) || id.Issuer != "" && slices.Contains(tr, id.Issuer)
}

// TestTrustMatrix checks every ordered pair of nodes: b's certificate
// verifies against a's trust file exactly when the spec says a trusts b.
func TestTrustMatrix(t *testing.T) {
	pinned := &topology.Spec{
		Name:        "pinned",
		Authorities: []*topology.Authority{{Name: "root"}, {Name: "other"}},
		Nodes: []*topology.Node{
			{Name: "x", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "root"}, Trust: []string{"root"}}},
			// y pins x's CA-issued leaf by name, without trusting root.
			{Name: "y", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "other"}, Trust: []string{"x"}}},
			{Name: "z", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "root"}, Trust: []string{"other", "y"}}},
			{Name: "s", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"root", "s"}}},
		},
	}
	specs := map[string]*topology.Spec{
		"hub-and-spokes":    example(t, "hub-and-spokes"),
		"hub-and-spokes-ca": example(t, "hub-and-spokes-ca"),
		"pinned":            pinned,
		"five spokes":       topology.HubAndSpokes(topology.HubAndSpokesOptions{Spokes: 5}),
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			m := generate(t, spec, Options{})
			pairs, trusted := 0, 0
			for _, a := range spec.Nodes {
				for _, b := range spec.Nodes {
					want := trusts(spec, a.Name, b.Name)
					err := verify(t, m, a.Name, b.Name)
					if (err == nil) != want {
						t.Errorf("%s verifying %s: err = %v, want trusted = %v", a.Name, b.Name, err, want)
					}
					if err != nil {
						var ua x509.UnknownAuthorityError
						if !errors.As(err, &ua) {
							t.Errorf("%s verifying %s: %v, want an unknown authority error", a.Name, b.Name, err)
						}
					}
					pairs++
					if want {
						trusted++
					}
				}
			}
			if trusted == 0 || trusted == pairs && name != "hub-and-spokes-ca" {
				t.Errorf("%d of %d pairs trusted: the matrix tests nothing", trusted, pairs)
			}
		})
	}
}

func TestCertificates(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	spec := example(t, "hub-and-spokes-ca")
	spec.Nodes[0].TLS.Identity = topology.Identity{SelfSigned: true}
	m := generate(t, spec, Options{Now: now, Validity: 48 * time.Hour})

	ca := readCert(t, m.Authorities["root"].CertFile)
	if !ca.IsCA || !ca.BasicConstraintsValid || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("root: IsCA=%v BasicConstraintsValid=%v MaxPathLen=%d", ca.IsCA, ca.BasicConstraintsValid, ca.MaxPathLen)
	}
	if ca.KeyUsage&x509.KeyUsageCertSign == 0 || ca.KeyUsage&x509.KeyUsageCRLSign == 0 {
		t.Errorf("root: KeyUsage = %b, want certSign and cRLSign", ca.KeyUsage)
	}
	if ca.Subject.CommonName != "root CA" || ca.CheckSignatureFrom(ca) != nil {
		t.Errorf("root: CN %q, self-signature %v", ca.Subject.CommonName, ca.CheckSignatureFrom(ca))
	}

	seen := map[string]bool{}
	for _, n := range spec.Nodes {
		c := readCert(t, m.Nodes[n.Name].CertFile)
		if !c.Equal(m.Nodes[n.Name].Cert) {
			t.Errorf("%s: cert.pem differs from Material's Cert", n.Name)
		}
		if c.Subject.CommonName != n.Name || !slices.Equal(c.Subject.Organization, []string{"brokerlab"}) {
			t.Errorf("%s: subject %v", n.Name, c.Subject)
		}
		if !slices.Equal(c.DNSNames, []string{n.Name, "localhost"}) {
			t.Errorf("%s: DNS SANs %v", n.Name, c.DNSNames)
		}
		if len(c.IPAddresses) != 2 || !c.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !c.IPAddresses[1].Equal(net.IPv6loopback) {
			t.Errorf("%s: IP SANs %v", n.Name, c.IPAddresses)
		}
		if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
			t.Errorf("%s: ExtKeyUsage %v", n.Name, c.ExtKeyUsage)
		}
		if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 || c.IsCA {
			t.Errorf("%s: KeyUsage %b, IsCA %v", n.Name, c.KeyUsage, c.IsCA)
		}
		if !c.NotBefore.Equal(now.Add(-time.Hour)) || !c.NotAfter.Equal(now.Add(48*time.Hour)) {
			t.Errorf("%s: valid %v .. %v", n.Name, c.NotBefore, c.NotAfter)
		}
		if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 || seen[c.SerialNumber.String()] {
			t.Errorf("%s: serial %v", n.Name, c.SerialNumber)
		}
		seen[c.SerialNumber.String()] = true
		if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || len(c.SubjectKeyId) == 0 {
			t.Errorf("%s: public key %T, subject key id %x", n.Name, c.PublicKey, c.SubjectKeyId)
		}
		issuer := ca
		if n.TLS.Identity.SelfSigned {
			issuer = c
			// CheckSignatureFrom refuses a parent that is not a CA, which a
			// pinned self-signed leaf is not; check the signature itself.
			if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
				t.Errorf("%s: not self-signed: %v", n.Name, err)
			}
		} else if err := c.CheckSignatureFrom(ca); err != nil {
			t.Errorf("%s: not signed by root: %v", n.Name, err)
		}
		if c.Issuer.String() != issuer.Subject.String() {
			t.Errorf("%s: issuer %v, want %v", n.Name, c.Issuer, issuer.Subject)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	spec := example(t, "hub-and-spokes-ca")
	dir := t.TempDir()
	// A key file left readable by an earlier run must come back 0600.
	if err := os.MkdirAll(filepath.Join(dir, "hub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hub", KeyFile), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Generate(spec, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type pair struct {
		key  string
		cert *x509.Certificate
	}
	var all []pair
	for _, a := range m.Authorities {
		all = append(all, pair{a.KeyFile, a.Cert})
	}
	for _, n := range m.Nodes {
		all = append(all, pair{n.KeyFile, n.Cert})
	}
	for _, p := range all {
		fi, err := os.Stat(p.key)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p.key, fi.Mode().Perm())
		}
		data, _ := os.ReadFile(p.key)
		b, _ := pem.Decode(data)
		if b == nil || b.Type != "PRIVATE KEY" {
			t.Fatalf("%s: not a PKCS#8 PEM key", p.key)
		}
		key, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", p.key, err)
		}
		if !key.(*ecdsa.PrivateKey).PublicKey.Equal(p.cert.PublicKey) {
			t.Errorf("%s does not match its certificate", p.key)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestNodesWithoutIdentity(t *testing.T) {
	spec := &topology.Spec{Name: "t", Nodes: []*topology.Node{
		{Name: "plain"},
		{Name: "verifier", TLS: &topology.NodeTLS{Trust: []string{"server"}}},
		{Name: "loner", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}}},
		{Name: "server", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}}},
	}}
	m := generate(t, spec, Options{})
	if _, ok := m.Nodes["plain"]; ok {
		t.Errorf("a node without tls got files")
	}
	if _, err := os.Stat(filepath.Join(m.Dir, "plain")); !os.IsNotExist(err) {
		t.Errorf("a node without tls got a directory: %v", err)
	}
	v := m.Nodes["verifier"]
	if v.CertFile != "" || v.KeyFile != "" || v.Cert != nil || len(readCerts(t, v.TrustFile)) != 1 {
		t.Errorf("verifier: %+v", v)
	}
	if data, err := os.ReadFile(m.Nodes["loner"].TrustFile); err != nil || len(data) != 0 {
		t.Errorf("loner's trust file: %q, %v; want an empty file", data, err)
	}
}

func TestExpired(t *testing.T) {
	m := generate(t, example(t, "hub-and-spokes"), Options{Now: time.Now().Add(-48 * time.Hour), Validity: time.Hour})
	err := verify(t, m, "hub", "server-a")
	var ci x509.CertificateInvalidError
	if !errors.As(err, &ci) || ci.Reason != x509.Expired {
		t.Errorf("verify = %v, want an expired certificate", err)
	}
}

func TestGenerateErrors(t *testing.T) {
	self := topology.Identity{SelfSigned: true}
	tests := []struct {
		name string
		spec *topology.Spec
		o    Options
		want string
	}{
		{"negative validity", &topology.Spec{}, Options{Validity: -time.Hour}, "pki: Options.Validity is negative"},
		{"unknown issuer", &topology.Spec{Nodes: []*topology.Node{{Name: "a", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "root"}}}}},
			Options{}, `pki: node "a": issuer "root" is not an authority`},
		{"unknown trust", &topology.Spec{Nodes: []*topology.Node{{Name: "a", TLS: &topology.NodeTLS{Trust: []string{"b"}}}}},
			Options{}, `pki: node "a" trusts "b", which is neither a node nor an authority`},
		{"trusts a node without identity", &topology.Spec{Nodes: []*topology.Node{{Name: "a", TLS: &topology.NodeTLS{Trust: []string{"b"}}}, {Name: "b"}}},
			Options{}, `pki: node "a" trusts node "b", which has no tls identity`},
		{"bad name", &topology.Spec{Nodes: []*topology.Node{{Name: "../a", TLS: &topology.NodeTLS{Identity: self}}}},
			Options{}, `pki: node name "../a" cannot name a directory`},
		{"clash", &topology.Spec{Authorities: []*topology.Authority{{Name: "a"}}, Nodes: []*topology.Node{{Name: "a", TLS: &topology.NodeTLS{Identity: self}}}},
			Options{}, `pki: node "a" clashes with the authority of that name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			_, err := Generate(tt.spec, dir, tt.o)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Generate = %v, want %q…", err, tt.want)
			}
			if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
				t.Errorf("Generate wrote %s before refusing the spec", dir)
			}
		})
	}
}

// TestOpenSSL checks the files with another implementation: what Java and
// ActiveMQ users reach for when a handshake fails.
func TestOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		msg := "OPENSSL NOT FOUND: the PEM files are not cross-checked with openssl verify; install openssl (apt-get install openssl)"
		if os.Getenv("BROKERLAB_REQUIRE_ALL") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	tutorial := generate(t, example(t, "hub-and-spokes"), Options{})
	ca := generate(t, example(t, "hub-and-spokes-ca"), Options{})
	tests := []struct {
		name   string
		m      *Material
		a, b   string
		wantOK bool
	}{
		{"hub trusts server-a's self-signed certificate", tutorial, "hub", "server-a", true},
		{"server-a trusts itself", tutorial, "server-a", "server-a", true},
		{"server-a does not trust server-b", tutorial, "server-a", "server-b", false},
		{"server-b trusts hub through root", ca, "server-b", "hub", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(openssl, "verify", "-CAfile", tt.m.Nodes[tt.a].TrustFile, tt.m.Nodes[tt.b].CertFile).CombinedOutput()
			if (err == nil) != tt.wantOK {
				t.Errorf("openssl verify -CAfile %s/trust.pem %s/cert.pem: %v\n%s", tt.a, tt.b, err, out)
			}
			if !tt.wantOK && !strings.Contains(string(out), "self-signed certificate") && !strings.Contains(string(out), "self signed certificate") {
				t.Errorf("openssl said %q, want a complaint about an untrusted self-signed certificate", out)
			}
		})
	}
}
