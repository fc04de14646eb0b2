package pki

import (
	"testing"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

func TestReissue(t *testing.T) {
	for _, name := range []string{"hub-and-spokes-ca", "hub-and-spokes"} {
		spec, err := topology.Example(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Generate(spec, t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		old := m.Nodes["hub"]
		cert, err := m.Reissue(spec, "hub")
		if name == "hub-and-spokes" {
			if err == nil {
				t.Error("reissued a self-signed, pinned certificate")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if cert.SerialNumber.Cmp(old.Cert.SerialNumber) == 0 || cert.Issuer.String() != old.Cert.Issuer.String() {
			t.Fatalf("new certificate: serial %X issuer %s; old serial %X issuer %s", cert.SerialNumber, cert.Issuer, old.Cert.SerialNumber, old.Cert.Issuer)
		}
		// The files at the old paths hold the new identity, in every format.
		for _, f := range []tlsconf.Files{
			{CertFile: old.CertFile, KeyFile: old.KeyFile},
			{SSLContext: &tlsconf.SSLContext{KeyStore: &tlsconf.KeyStore{KeyStore: old.KeyStoreJKSFile, KeyStorePassword: m.StorePassword}}},
			{SSLContext: &tlsconf.SSLContext{KeyStore: &tlsconf.KeyStore{KeyStore: old.KeyStoreP12File, KeyStorePassword: m.StorePassword}}},
		} {
			mat, err := tlsconf.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Leaf.Equal(cert) {
				t.Errorf("%+v holds serial %X, want %X", f, mat.Leaf.SerialNumber, cert.SerialNumber)
			}
		}
		if !m.Nodes["hub"].Cert.Equal(cert) {
			t.Error("Material still records the old certificate")
		}
	}
}
