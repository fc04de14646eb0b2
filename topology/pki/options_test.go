package pki

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// chainSpec is root → mid → edge, with one node per authority and a
// self-signed one; every node trusts the root only, except "pin", which
// trusts the intermediate "mid" as its anchor.
func chainSpec() *topology.Spec {
	id := func(issuer string) topology.Identity { return topology.Identity{Issuer: issuer} }
	return &topology.Spec{
		Name:        "chain",
		Authorities: []*topology.Authority{{Name: "edge"}, {Name: "root"}, {Name: "mid"}}, // parents after children on purpose
		Nodes: []*topology.Node{
			{Name: "hub", TLS: &topology.NodeTLS{Identity: id("edge"), Trust: []string{"root"}}},
			{Name: "server-a", TLS: &topology.NodeTLS{Identity: id("mid"), Trust: []string{"root"}}},
			{Name: "server-b", TLS: &topology.NodeTLS{Identity: id("root"), Trust: []string{"root"}}},
			{Name: "pin", TLS: &topology.NodeTLS{Identity: id("edge"), Trust: []string{"mid"}}},
		},
	}
}

func chainOptions() Options {
	return Options{Authorities: map[string]AuthorityOptions{"mid": {Parent: "root"}, "edge": {Parent: "mid"}}}
}

func TestIntermediates(t *testing.T) {
	spec := chainSpec()
	m := generate(t, spec, chainOptions())
	root, mid, edge := m.Authorities["root"], m.Authorities["mid"], m.Authorities["edge"]

	// Path lengths as a real hierarchy sets them.
	for _, tc := range []struct {
		a      *AuthorityFiles
		want   int
		parent *AuthorityFiles
	}{{root, 2, root}, {mid, 1, root}, {edge, 0, mid}} {
		c := tc.a.Cert
		if !c.IsCA || c.MaxPathLen != tc.want || (tc.want == 0) != c.MaxPathLenZero {
			t.Errorf("%s: IsCA %v MaxPathLen %d zero %v, want %d", c.Subject.CommonName, c.IsCA, c.MaxPathLen, c.MaxPathLenZero, tc.want)
		}
		if err := c.CheckSignatureFrom(tc.parent.Cert); err != nil {
			t.Errorf("%s not signed by %s: %v", c.Subject.CommonName, tc.parent.Cert.Subject.CommonName, err)
		}
	}
	if mid.Parent != "root" || edge.Parent != "mid" || root.Parent != "" {
		t.Errorf("parents: mid %q edge %q root %q", mid.Parent, edge.Parent, root.Parent)
	}
	if len(root.Chain) != 0 || len(mid.Chain) != 0 || len(edge.Chain) != 1 || !edge.Chain[0].Equal(mid.Cert) {
		t.Errorf("authority chains: root %d, mid %d, edge %v", len(root.Chain), len(mid.Chain), edge.Chain)
	}

	// cert.pem: the leaf, then the chain above it without the root.
	for node, want := range map[string][]*x509.Certificate{
		"hub":      {m.Nodes["hub"].Cert, edge.Cert, mid.Cert},
		"server-a": {m.Nodes["server-a"].Cert, mid.Cert},
		"server-b": {m.Nodes["server-b"].Cert},
	} {
		got := readCerts(t, m.Nodes[node].CertFile)
		if !slices.EqualFunc(got, want, (*x509.Certificate).Equal) {
			t.Errorf("%s/cert.pem holds %d certificates, want %d (leaf, then issuers up to and without the root)", node, len(got), len(want))
		}
		if !slices.EqualFunc(m.Nodes[node].Chain, want[1:], (*x509.Certificate).Equal) {
			t.Errorf("%s: NodeFiles.Chain has %d certificates, want %d", node, len(m.Nodes[node].Chain), len(want)-1)
		}
	}
	if m.Nodes["hub"].Issuer != "edge" {
		t.Errorf("hub's Issuer = %q", m.Nodes["hub"].Issuer)
	}

	// Every node verifies every other through the chain it presents.
	for _, a := range spec.Nodes {
		for _, b := range spec.Nodes {
			err := verifyChain(t, m, a.Name, b.Name)
			want := a.Name != "pin" || b.Name == "hub" || b.Name == "pin" || b.Name == "server-a"
			if (err == nil) != want {
				t.Errorf("%s verifying %s: %v, want trusted = %v", a.Name, b.Name, err, want)
			}
		}
	}
	// And a real handshake through two intermediates.
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		if c, s := handshake(t, m, "server-b", "hub", v); c != nil || s != nil {
			t.Errorf("server-b -> hub over %x: client %v, server %v", v, c, s)
		}
	}
}

// verifyChain is verify with the intermediates b presents.
func verifyChain(t *testing.T, m *Material, a, b string) error {
	t.Helper()
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range readCerts(t, m.Nodes[a].TrustFile) {
		roots.AddCert(c)
	}
	certs := readCerts(t, m.Nodes[b].CertFile)
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: b,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

func TestKeyTypes(t *testing.T) {
	spec := example(t, "hub-and-spokes-ca")
	for _, kt := range KeyTypes() {
		t.Run(string(kt), func(t *testing.T) {
			o := Options{
				Nodes:       map[string]NodeOptions{"hub": {KeyType: kt}, "server-a": {KeyType: kt}},
				Authorities: map[string]AuthorityOptions{"root": {KeyType: kt}},
			}
			m := generate(t, spec, o)
			for _, name := range []string{"hub", "server-a"} {
				nf := m.Nodes[name]
				checkKeyType(t, name, nf.Cert, kt)
				if nf.KeyType != kt {
					t.Errorf("%s: NodeFiles.KeyType = %q, want %q", name, nf.KeyType, kt)
				}
				// The key file parses and matches, whatever the type.
				if _, err := tls.LoadX509KeyPair(nf.CertFile, nf.KeyFile); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			checkKeyType(t, "root", m.Authorities["root"].Cert, kt)
			if m.Nodes["server-b"].KeyType != ECDSAP256 {
				t.Errorf("server-b, not named in Options.Nodes: key type %q, want the default", m.Nodes["server-b"].KeyType)
			}
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				if c, s := handshake(t, m, "server-a", "hub", v); c != nil || s != nil {
					t.Errorf("server-a -> hub over %x: client %v, server %v", v, c, s)
				}
			}
			// And through the keystores and the broker's loader: the hub
			// from JKS, server-a from PKCS#12.
			hub, err := tlsconf.LoadKeyStore(tlsconf.KeyStore{KeyStore: m.Nodes["hub"].KeyStoreJKSFile, KeyStorePassword: m.StorePassword,
				TrustStore: m.Nodes["hub"].TrustStoreJKSFile, TrustStorePassword: m.StorePassword})
			if err != nil {
				t.Fatal(err)
			}
			spoke, err := tlsconf.LoadKeyStore(tlsconf.KeyStore{KeyStore: m.Nodes["server-a"].KeyStoreP12File, KeyStorePassword: m.StorePassword,
				TrustStore: m.Nodes["server-a"].TrustStoreP12File, TrustStorePassword: m.StorePassword})
			if err != nil {
				t.Fatal(err)
			}
			scfg, _ := tlsconf.ServerConfig(hub, tlsconf.NeedClientCert)
			ccfg, _ := tlsconf.ClientConfig(spoke, "hub")
			if c, s, _ := handshakeConfigs(t, scfg, ccfg); c != nil || s != nil {
				t.Errorf("server-a -> hub from keystores: client %v, server %v", c, s)
			}
		})
	}
}

func checkKeyType(t *testing.T, name string, c *x509.Certificate, kt KeyType) {
	t.Helper()
	var got KeyType
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		got = KeyType("rsa" + strconv.Itoa(k.N.BitLen()))
	case *ecdsa.PublicKey:
		got = map[elliptic.Curve]KeyType{elliptic.P256(): ECDSAP256, elliptic.P384(): ECDSAP384}[k.Curve]
	case ed25519.PublicKey:
		got = Ed25519
	}
	if got != kt {
		t.Errorf("%s: public key %T is %q, want %q", name, c.PublicKey, got, kt)
	}
	_, isRSA := c.PublicKey.(*rsa.PublicKey)
	if !c.IsCA && (c.KeyUsage&x509.KeyUsageKeyEncipherment != 0) != isRSA {
		t.Errorf("%s: keyEncipherment %v for a %s key", name, c.KeyUsage&x509.KeyUsageKeyEncipherment != 0, kt)
	}
	if len(c.SubjectKeyId) != 20 {
		t.Errorf("%s: subject key id %x", name, c.SubjectKeyId)
	}
}

func TestNodeOptions(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	from, to := now.Add(-72*time.Hour), now.Add(-24*time.Hour)
	spec := example(t, "hub-and-spokes")
	spec.Nodes = append(spec.Nodes, &topology.Node{Name: "plain-cn", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}}})
	m := generate(t, spec, Options{Now: now, Nodes: map[string]NodeOptions{
		"hub": {CommonName: "hub.example.org", DNSNames: []string{"hub.example.org", "hub"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotBefore: from, NotAfter: to},
		"server-a": {NotBeforeOffset: time.Hour, NotAfterOffset: 2 * time.Hour, ExtKeyUsage: []x509.ExtKeyUsage{}},
		"plain-cn": {DNSNames: []string{}, IPAddresses: []net.IP{}},
	}})
	hub, a, b, cn := m.Nodes["hub"].Cert, m.Nodes["server-a"].Cert, m.Nodes["server-b"].Cert, m.Nodes["plain-cn"].Cert
	if hub.Subject.CommonName != "hub.example.org" || !slices.Equal(hub.DNSNames, []string{"hub.example.org", "hub"}) ||
		len(hub.IPAddresses) != 1 || !hub.IPAddresses[0].Equal(net.ParseIP("10.0.0.1")) {
		t.Errorf("hub: CN %q DNS %v IP %v", hub.Subject.CommonName, hub.DNSNames, hub.IPAddresses)
	}
	if !slices.Equal(hub.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || !hub.NotBefore.Equal(from) || !hub.NotAfter.Equal(to) {
		t.Errorf("hub: EKU %v, valid %v..%v", hub.ExtKeyUsage, hub.NotBefore, hub.NotAfter)
	}
	if len(a.ExtKeyUsage) != 0 || !a.NotBefore.Equal(now.Add(time.Hour)) || !a.NotAfter.Equal(now.Add(2*time.Hour)) {
		t.Errorf("server-a: EKU %v, valid %v..%v", a.ExtKeyUsage, a.NotBefore, a.NotAfter)
	}
	if !slices.Equal(b.DNSNames, []string{"server-b", "localhost"}) || len(b.IPAddresses) != 2 || b.Subject.CommonName != "server-b" {
		t.Errorf("server-b, not named: DNS %v IP %v CN %q; want the defaults", b.DNSNames, b.IPAddresses, b.Subject.CommonName)
	}
	if len(cn.DNSNames) != 0 || len(cn.IPAddresses) != 0 || cn.Subject.CommonName != "plain-cn" {
		t.Errorf("plain-cn: DNS %v IP %v; want a CN-only certificate", cn.DNSNames, cn.IPAddresses)
	}
	// Go ignores the CN: a CN-only certificate is valid for no name.
	roots := x509.NewCertPool()
	roots.AddCert(cn)
	_, err := cn.Verify(x509.VerifyOptions{Roots: roots, DNSName: "plain-cn", CurrentTime: now})
	if _, ok := err.(x509.HostnameError); !ok {
		t.Errorf("verifying plain-cn by its CN: %v, want a hostname error", err)
	}
}

func TestOptionsErrors(t *testing.T) {
	spec := func() *topology.Spec { return chainSpec() }
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"unknown node", Options{Nodes: map[string]NodeOptions{"nope": {}}}, `pki: Options.Nodes["nope"]: the topology has no node "nope"`},
		{"bad key type", Options{Nodes: map[string]NodeOptions{"hub": {KeyType: "dsa"}}}, `pki: Options.Nodes["hub"].KeyType: unknown key type "dsa"`},
		{"empty window", Options{Nodes: map[string]NodeOptions{"hub": {NotBeforeOffset: time.Hour, NotAfterOffset: time.Minute}}}, `pki: Options.Nodes["hub"]: NotAfter `},
		{"empty DNS name", Options{Nodes: map[string]NodeOptions{"hub": {DNSNames: []string{""}}}}, `pki: Options.Nodes["hub"].DNSNames: an entry is empty`},
		{"bad IP", Options{Nodes: map[string]NodeOptions{"hub": {IPAddresses: []net.IP{{1, 2}}}}}, `pki: Options.Nodes["hub"].IPAddresses`},
		{"unknown authority", Options{Authorities: map[string]AuthorityOptions{"nope": {}}}, `pki: Options.Authorities["nope"]: the topology has no authority`},
		{"unknown parent", Options{Authorities: map[string]AuthorityOptions{"mid": {Parent: "nope"}}}, `pki: Options.Authorities["mid"].Parent: "nope" is not an authority`},
		{"cycle", Options{Authorities: map[string]AuthorityOptions{"mid": {Parent: "edge"}, "edge": {Parent: "mid"}}}, `pki: Options.Authorities: parents form a cycle`},
		{"self parent", Options{Authorities: map[string]AuthorityOptions{"root": {Parent: "root"}}}, `pki: Options.Authorities: parents form a cycle`},
		{"non-ASCII password", Options{StorePassword: "pässword"}, `pki: Options.StorePassword has a character outside printable ASCII`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			_, err := Generate(spec(), dir, tt.o)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Generate = %v, want %q…", err, tt.want)
			}
			if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
				t.Errorf("Generate wrote %s before refusing the options", dir)
			}
		})
	}
	noID := &topology.Spec{Nodes: []*topology.Node{{Name: "v", TLS: &topology.NodeTLS{}}}}
	if _, err := Generate(noID, t.TempDir(), Options{Nodes: map[string]NodeOptions{"v": {}}}); err == nil ||
		!strings.Contains(err.Error(), `node "v" has no tls identity to shape`) {
		t.Errorf("options for a node without identity: %v", err)
	}
}

func TestParseKeyType(t *testing.T) {
	for _, k := range KeyTypes() {
		if got, err := ParseKeyType(string(k)); got != k || err != nil {
			t.Errorf("ParseKeyType(%q) = %q, %v", k, got, err)
		}
	}
	if got, err := ParseKeyType(""); got != ECDSAP256 || err != nil {
		t.Errorf(`ParseKeyType("") = %q, %v; want the default`, got, err)
	}
	if _, err := ParseKeyType("rsa1024"); err == nil || !strings.Contains(err.Error(), "rsa2048, rsa3072, rsa4096, ecdsa-p256, ecdsa-p384, ed25519") {
		t.Errorf("ParseKeyType(rsa1024) = %v", err)
	}
}
