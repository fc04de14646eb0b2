package pki

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

func TestKeyStoreFiles(t *testing.T) {
	spec := chainSpec()
	spec.Nodes = append(spec.Nodes, &topology.Node{Name: "verifier", TLS: &topology.NodeTLS{Trust: []string{"hub", "mid"}}},
		&topology.Node{Name: "loner", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}}})
	o := chainOptions()
	o.StorePassword, o.KeyPassword = "store-secret", "key-secret"
	m := generate(t, spec, o)
	if m.StorePassword != "store-secret" || m.KeyPassword != "key-secret" {
		t.Errorf("Material passwords not recorded")
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(format, m); strings.Contains(s, "secret") {
			t.Errorf("%s of Material = %q shows a password", format, s)
		}
	}

	hub := m.Nodes["hub"]
	wantChain := append([]*x509.Certificate{hub.Cert}, hub.Chain...)
	for path, mode := range map[string]os.FileMode{hub.KeyStoreP12File: 0o600, hub.KeyStoreJKSFile: 0o600, hub.TrustStoreP12File: 0o644, hub.TrustStoreJKSFile: 0o644} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}

	// PKCS#12: the key, the leaf, the chain, all under the store password;
	// the key bag named after the node.
	data := read(t, hub.KeyStoreP12File)
	key, leaf, cas, err := pkcs12.DecodeChain(data, "store-secret")
	if err != nil {
		t.Fatalf("keystore.p12: %v", err)
	}
	if !leaf.Equal(hub.Cert) || !slices.EqualFunc(cas, hub.Chain, (*x509.Certificate).Equal) || !key.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(hub.Cert.PublicKey) {
		t.Errorf("keystore.p12: leaf %v, %d CA certificates, key %T", leaf.Subject, len(cas), key)
	}
	if got := keyBagNames(t, data); !slices.Equal(got, []string{"hub"}) {
		t.Errorf("keystore.p12 key bag friendlyName = %q, want [hub]", got)
	}
	if _, _, _, err := pkcs12.DecodeChain(data, "changeit"); err != pkcs12.ErrIncorrectPassword {
		t.Errorf("keystore.p12 opened with the wrong password: %v", err)
	}
	trust, err := pkcs12.DecodeTrustStore(read(t, hub.TrustStoreP12File), "store-secret")
	if err != nil || len(trust) != 1 || !trust[0].Equal(m.Authorities["root"].Cert) {
		t.Errorf("truststore.p12: %d certificates, %v", len(trust), err)
	}

	// JKS: one key entry aliased hub under the key password, its chain.
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(read(t, hub.KeyStoreJKSFile)), []byte("store-secret")); err != nil {
		t.Fatalf("keystore.jks: %v", err)
	}
	if !slices.Equal(ks.Aliases(), []string{"hub"}) {
		t.Errorf("keystore.jks aliases %v, want [hub]", ks.Aliases())
	}
	if _, err := ks.GetPrivateKeyEntry("hub", []byte("store-secret")); err == nil {
		t.Errorf("keystore.jks: the key opened with the store password, want only the key password")
	}
	entry, err := ks.GetPrivateKeyEntry("hub", []byte("key-secret"))
	if err != nil {
		t.Fatal(err)
	}
	var got []*x509.Certificate
	for _, c := range entry.CertificateChain {
		cert, err := x509.ParseCertificate(c.Content)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cert)
	}
	if !slices.EqualFunc(got, wantChain, (*x509.Certificate).Equal) {
		t.Errorf("keystore.jks chain has %d certificates, want %d", len(got), len(wantChain))
	}
	v := keystore.New(keystore.WithOrderedAliases())
	if err := v.Load(bytes.NewReader(read(t, m.Nodes["verifier"].TrustStoreJKSFile)), []byte("store-secret")); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Aliases(), []string{"hub", "mid"}) || !v.IsTrustedCertificateEntry("hub") {
		t.Errorf("verifier's truststore.jks aliases %v, want [hub mid] as trusted entries", v.Aliases())
	}

	// A node without identity has truststores only; one that trusts nobody
	// has empty ones.
	if vf := m.Nodes["verifier"]; vf.KeyStoreP12File != "" || vf.KeyStoreJKSFile != "" || vf.TrustStoreP12File == "" {
		t.Errorf("verifier: %+v", vf)
	}
	if certs, err := pkcs12.DecodeTrustStore(read(t, m.Nodes["loner"].TrustStoreP12File), "store-secret"); err != nil || len(certs) != 0 {
		t.Errorf("loner's truststore.p12: %d certificates, %v; want none", len(certs), err)
	}
}

// TestKeyStoresLoad feeds every store Generate writes to the broker's own
// loader, and shakes hands with the result: the writer and the reader
// agree, for both formats, across formats, and with a key password.
func TestKeyStoresLoad(t *testing.T) {
	o := chainOptions()
	o.KeyPassword = "key-secret"
	m := generate(t, chainSpec(), o)
	load := func(node, format string) *tlsconf.Material {
		t.Helper()
		nf := m.Nodes[node]
		k := tlsconf.KeyStore{KeyStorePassword: m.StorePassword, TrustStorePassword: m.StorePassword}
		switch format {
		case "jks":
			k.KeyStore, k.TrustStore, k.KeyPassword = nf.KeyStoreJKSFile, nf.TrustStoreJKSFile, m.KeyPassword
		case "p12":
			k.KeyStore, k.TrustStore = nf.KeyStoreP12File, nf.TrustStoreP12File
		}
		mat, err := tlsconf.LoadKeyStore(k)
		if err != nil {
			t.Fatalf("LoadKeyStore(%s %s): %v", node, format, err)
		}
		return mat
	}
	for _, sf := range []string{"jks", "p12"} {
		for _, cf := range []string{"jks", "p12"} {
			t.Run("server "+sf+", client "+cf, func(t *testing.T) {
				srv, cli := load("hub", sf), load("server-a", cf)
				if len(srv.Certificate.Certificate) != 3 {
					t.Errorf("hub presents %d certificates, want the leaf and two intermediates", len(srv.Certificate.Certificate))
				}
				if sf == "jks" && (srv.KeyAlias != "hub" || !slices.Equal(srv.TrustedAliases, []string{"root"})) {
					t.Errorf("hub from JKS: alias %q, trusted %q", srv.KeyAlias, srv.TrustedAliases)
				}
				scfg, err := tlsconf.ServerConfig(srv, tlsconf.NeedClientCert)
				if err != nil {
					t.Fatal(err)
				}
				ccfg, err := tlsconf.ClientConfig(cli, "hub")
				if err != nil {
					t.Fatal(err)
				}
				c, s, state := handshakeConfigs(t, scfg, ccfg)
				if c != nil || s != nil {
					t.Fatalf("client %v, server %v", c, s)
				}
				dn, sans := tlsconf.Principal(state)
				if dn != "CN=server-a,O=brokerlab" || !slices.Equal(sans, []string{"server-a", "localhost", "127.0.0.1", "::1"}) {
					t.Errorf("hub sees principal %q %v", dn, sans)
				}
			})
		}
	}
	// PKCS#12 keys are protected by the store password: a distinct key
	// password fails there as it fails in Java.
	_, err := tlsconf.LoadKeyStore(tlsconf.KeyStore{KeyStore: m.Nodes["hub"].KeyStoreP12File, KeyStorePassword: m.StorePassword, KeyPassword: m.KeyPassword})
	if tlsconf.Classify(err) != tlsconf.ClassBadKeyPassword {
		t.Errorf("keystore.p12 with a key password: %v, want bad-key-password", err)
	}
}

// handshakeConfigs runs one handshake over a pipe and returns both errors
// and the server's view of the connection.
func handshakeConfigs(t *testing.T, server, client *tls.Config) (clientErr, serverErr error, state tls.ConnectionState) {
	t.Helper()
	c, s := net.Pipe()
	done := make(chan error, 1)
	go func() {
		srv := tls.Server(s, server)
		err := srv.Handshake()
		state = srv.ConnectionState()
		if err == nil {
			_, err = srv.Write([]byte("x"))
		}
		s.Close()
		done <- err
	}()
	cli := tls.Client(c, client)
	clientErr = cli.Handshake()
	if clientErr == nil {
		_, clientErr = cli.Read(make([]byte, 1))
	}
	c.Close()
	serverErr = <-done
	return clientErr, serverErr, state
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// keyBagNames lists the friendlyName of every key bag in a PKCS#12 file
// whose key bags are in plain SafeContents, as go-pkcs12 writes them.
func keyBagNames(t *testing.T, der []byte) []string {
	t.Helper()
	var pfx pfxPDU
	if err := unmarshalAll(der, &pfx); err != nil {
		t.Fatal(err)
	}
	authSafe, err := octets(pfx.AuthSafe.Content)
	if err != nil {
		t.Fatal(err)
	}
	var cis []contentInfo
	if err := unmarshalAll(authSafe, &cis); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ci := range cis {
		if !ci.ContentType.Equal(oidData) {
			continue
		}
		sc, err := octets(ci.Content)
		if err != nil {
			t.Fatal(err)
		}
		var bags []safeBag
		if err := unmarshalAll(sc, &bags); err != nil {
			t.Fatal(err)
		}
		for _, b := range bags {
			for _, a := range b.Attributes {
				if a.ID.Equal(oidFriendlyName) {
					var v asn1.RawValue
					if err := unmarshalAll(a.Value.Bytes, &v); err != nil {
						t.Fatal(err)
					}
					var r []rune
					for i := 0; i+1 < len(v.Bytes); i += 2 {
						r = append(r, rune(v.Bytes[i])<<8|rune(v.Bytes[i+1]))
					}
					names = append(names, string(r))
				}
			}
		}
	}
	return names
}
