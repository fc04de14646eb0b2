package pki

import (
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// A topology's tls.format and sslContext make the PKI write each node's
// stores with the node's passwords, and tell the node to load them.
func TestNodeSSLContext(t *testing.T) {
	spec, err := topology.Example("hub-and-spokes-keystores")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Generate(spec, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		node   string
		typ    tlsconf.StoreType
		keyPW  string
		suffix string
	}{{"hub", tlsconf.StoreJKS, "hub-key-pw", ".jks"}, {"server-a", tlsconf.StorePKCS12, "", ".p12"}, {"server-b", tlsconf.StorePKCS12, "", ".p12"}} {
		c := m.Nodes[tt.node].SSLContext
		if c == nil || c.KeyStore == nil {
			t.Fatalf("%s: no keystores in %+v", tt.node, c)
		}
		if !strings.HasSuffix(c.KeyStore.KeyStore, tt.suffix) || c.KeyStore.KeyPassword != tt.keyPW {
			t.Errorf("%s: %s", tt.node, c.KeyStore)
		}
		mat, err := tlsconf.Load(tlsconf.Files{SSLContext: c})
		if err != nil {
			t.Fatalf("%s: %v", tt.node, err)
		}
		if mat.KeyStoreType != tt.typ || mat.TrustStoreType != tt.typ || mat.Leaf.Subject.CommonName != tt.node {
			t.Errorf("%s: loaded %s/%s for %s", tt.node, mat.KeyStoreType, mat.TrustStoreType, mat.Leaf.Subject)
		}
		if strings.Contains(mat.Files.SSLContext.String(), "pw") || mat.Files.SSLContext.KeyStore.KeyStorePassword != "" {
			t.Errorf("%s: material keeps a password: %s", tt.node, mat.Files.SSLContext)
		}
		// The store password is the node's own, not the default.
		wrong := *c.KeyStore
		wrong.KeyStorePassword = DefaultPassword
		_, err = tlsconf.Load(tlsconf.Files{SSLContext: &tlsconf.SSLContext{KeyStore: &wrong}})
		if tlsconf.Classify(err) != tlsconf.ClassBadKeystorePassword || strings.Contains(err.Error(), DefaultPassword) {
			t.Errorf("%s with the default password: %v", tt.node, err)
		}
	}
}
