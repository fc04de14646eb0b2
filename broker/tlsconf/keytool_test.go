package tlsconf

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTool finds a tool the interop tests run. Missing, the test is
// skipped loudly, or fails when BROKERLAB_REQUIRE_ALL=1, so that CI, which
// installs them, never passes by skipping.
func requireTool(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s NOT FOUND: stores made by real tools are not tested; install it (%s)", strings.ToUpper(name), install)
		if os.Getenv("BROKERLAB_REQUIRE_ALL") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// inDir runs a command in dir, failing the test if it fails.
func inDir(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("$ %s %s\n%s", filepath.Base(name), strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(name), err)
	}
	return string(out)
}

// TestActiveMQTutorialStores runs the ActiveMQ SSL tutorial's keytool
// commands as written and loads what they make. keytool has written
// PKCS#12 by default since Java 9, so broker.ks is PKCS#12 whatever its
// name; and -genkey without -ext SAN makes a certificate with a CN and no
// SAN, which Java accepts for the name in the CN and Go accepts for no name.
func TestActiveMQTutorialStores(t *testing.T) {
	keytool := requireTool(t, "keytool", "a JDK, e.g. apt-get install openjdk-17-jdk-headless")
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }

	// The tutorial, verbatim.
	inDir(t, dir, keytool, "-genkey", "-alias", "broker", "-keyalg", "RSA", "-keystore", "broker.ks", "-storepass", "password", "-keypass", "password", "-dname", "CN=broker", "-validity", "365")
	inDir(t, dir, keytool, "-export", "-alias", "broker", "-keystore", "broker.ks", "-file", "broker_cert", "-storepass", "password")
	inDir(t, dir, keytool, "-genkey", "-alias", "client", "-keyalg", "RSA", "-keystore", "client.ks", "-storepass", "password", "-keypass", "password", "-dname", "CN=client", "-validity", "365")
	inDir(t, dir, keytool, "-import", "-alias", "broker", "-keystore", "client.ts", "-file", "broker_cert", "-storepass", "password", "-noprompt")
	// And the way back, so that the broker trusts the client.
	inDir(t, dir, keytool, "-export", "-alias", "client", "-keystore", "client.ks", "-file", "client_cert", "-storepass", "password")
	inDir(t, dir, keytool, "-import", "-alias", "client", "-keystore", "broker.ts", "-file", "client_cert", "-storepass", "password", "-noprompt")

	brokerKS := KeyStore{KeyStore: path("broker.ks"), KeyStorePassword: "password", KeyPassword: "password", TrustStore: path("broker.ts"), TrustStorePassword: "password"}
	clientKS := KeyStore{KeyStore: path("client.ks"), KeyStorePassword: "password", KeyPassword: "password", TrustStore: path("client.ts"), TrustStorePassword: "password"}
	broker, client := mustLoad(t, brokerKS), mustLoad(t, clientKS)
	if broker.KeyStoreType != StorePKCS12 || broker.TrustStoreType != StorePKCS12 {
		t.Errorf("broker.ks is %q, broker.ts %q; keytool writes PKCS12 by default", broker.KeyStoreType, broker.TrustStoreType)
	}
	if broker.Leaf.Subject.String() != "CN=broker" || len(broker.Leaf.DNSNames) != 0 || len(client.TrustedSubjects) != 1 || client.TrustedSubjects[0] != "CN=broker" {
		t.Errorf("broker leaf %v SANs %v; client trusts %v", broker.Leaf.Subject, broker.Leaf.DNSNames, client.TrustedSubjects)
	}
	must := mustConfig(t)
	server := must(ServerConfig(broker, NeedClientCert))

	// Today's behaviour: the client refuses the CN-only certificate for
	// its name, the broker learns only bad_certificate. Java would accept
	// it (for "broker"; ActiveMQ ≥ 5.15.6 checks the name by default).
	t.Run("CN-only certificate, verified by name", func(t *testing.T) {
		o := pair(t, server, must(ClientConfig(client, "broker")))
		if Classify(o.client) != ClassHostnameMismatch || Classify(o.server) != ClassBadCertificate {
			t.Errorf("client %s (%v), server %s (%v); want hostname-mismatch, bad-certificate", Classify(o.client), o.client, Classify(o.server), o.server)
		}
		if o.client == nil || !strings.Contains(o.client.Error(), "legacy Common Name field") {
			t.Errorf("client error %v does not say why", o.client)
		}
	})

	// What verification by the pinned certificate would do: the exact
	// certificate is in the truststore, so the chain proves who the peer
	// is and the handshake succeeds, names aside. This is the shape of an
	// explicit opt-in the broker could offer (ActiveMQ's verifyHostName=
	// false); it is not ClientConfig's behaviour.
	t.Run("CN-only certificate, pinned", func(t *testing.T) {
		cfg := must(ClientConfig(client, "broker")).Clone()
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			for _, c := range client.Trusted {
				if c.Equal(cs.PeerCertificates[0]) {
					return nil
				}
			}
			return errors.New("peer certificate is not pinned")
		}
		o := pair(t, server, cfg)
		if o.client != nil || o.server != nil {
			t.Fatalf("client %v, server %v", o.client, o.server)
		}
		if dn, sans := Principal(o.serverState); dn != "CN=client" || sans != nil {
			t.Errorf("the broker sees principal %q %v", dn, sans)
		}
	})

	// The fix: the same command with -ext SAN=dns:broker, here as a JKS
	// keystore with its own key password; the client trusts it through a
	// JKS truststore made by keytool -import.
	t.Run("with a SAN, JKS", func(t *testing.T) {
		jt := func(args ...string) {
			inDir(t, dir, keytool, append([]string{"-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"}, args...)...)
		}
		jt("-genkey", "-alias", "broker", "-keyalg", "RSA", "-keystore", "broker.jks", "-storetype", "JKS", "-storepass", "password",
			"-keypass", "keypassword", "-dname", "CN=broker", "-ext", "SAN=dns:broker", "-validity", "365")
		jt("-export", "-alias", "broker", "-keystore", "broker.jks", "-file", "broker_san_cert", "-storepass", "password")
		jt("-import", "-alias", "broker", "-keystore", "client.jts", "-storetype", "JKS", "-file", "broker_san_cert", "-storepass", "password", "-noprompt")
		b := brokerKS
		b.KeyStore, b.KeyPassword = path("broker.jks"), "keypassword"
		bm := mustLoad(t, b)
		c := clientKS
		c.TrustStore = path("client.jts")
		cm := mustLoad(t, c)
		if bm.KeyStoreType != StoreJKS || bm.KeyAlias != "broker" || cm.TrustStoreType != StoreJKS || len(cm.TrustedAliases) != 1 || cm.TrustedAliases[0] != "broker" {
			t.Errorf("broker.jks %q alias %q; client.jts %q aliases %q", bm.KeyStoreType, bm.KeyAlias, cm.TrustStoreType, cm.TrustedAliases)
		}
		o := pair(t, must(ServerConfig(bm, NeedClientCert)), must(ClientConfig(cm, "broker")))
		if o.client != nil || o.server != nil {
			t.Fatalf("client %v, server %v", o.client, o.server)
		}
		if dn, _ := Principal(o.serverState); dn != "CN=client" {
			t.Errorf("the broker sees principal %q", dn)
		}

		// Wrong passwords, on keytool's own files of both formats.
		for _, tc := range []struct {
			k     KeyStore
			class Class
		}{
			{KeyStore{KeyStore: path("broker.ks"), KeyStorePassword: "wrong"}, ClassBadKeystorePassword},
			{KeyStore{KeyStore: path("broker.jks"), KeyStorePassword: "wrong", KeyPassword: "keypassword"}, ClassBadKeystorePassword},
			{KeyStore{KeyStore: path("broker.jks"), KeyStorePassword: "password"}, ClassBadKeyPassword}, // keyPassword forgotten
			{KeyStore{KeyStore: path("broker.jks"), KeyStorePassword: "password", KeyPassword: "wrong"}, ClassBadKeyPassword},
			{KeyStore{TrustStore: path("client.ts"), TrustStorePassword: "wrong"}, ClassBadTruststorePassword},
			{KeyStore{TrustStore: path("client.jts"), TrustStorePassword: "wrong"}, ClassBadTruststorePassword},
			{KeyStore{KeyStore: path("client.ts"), KeyStorePassword: "password"}, ClassNoPrivateKey},
			{KeyStore{TrustStore: path("broker_cert")}, ClassBadKeystore}, // the exported DER certificate itself
		} {
			_, err := LoadKeyStore(tc.k)
			if got := Classify(err); got != tc.class {
				t.Errorf("%v: %s (%v), want %s", tc.k, got, err, tc.class)
			}
		}
	})
}

// TestOpenSSLTrustStoreNotTrusted: openssl pkcs12 -export -nokeys makes a
// PKCS#12 file of certificates without Java's trusted-certificate
// attribute. Java ignores such certificates (keytool -list shows no
// entries); so does LoadKeyStore, and it says why.
func TestOpenSSLTrustStoreNotTrusted(t *testing.T) {
	openssl := requireTool(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	hub := node(t, "hub")
	writeFile(t, dir, "hub.pem", hub.certPEM)
	inDir(t, dir, openssl, "pkcs12", "-export", "-nokeys", "-in", "hub.pem", "-out", "trust.p12", "-passout", "pass:password")
	_, err := LoadKeyStore(KeyStore{TrustStore: filepath.Join(dir, "trust.p12"), TrustStorePassword: "password"})
	if Classify(err) != ClassTruststoreEmpty || !strings.Contains(err.Error(), "lack the attribute that marks them trusted for Java") {
		t.Errorf("openssl-made truststore: %v", err)
	}
	if keytool, lerr := exec.LookPath("keytool"); lerr == nil {
		out := inDir(t, dir, keytool, "-J-XX:TieredStopAtLevel=1", "-list", "-keystore", "trust.p12", "-storepass", "password")
		if !strings.Contains(out, "Your keystore contains 0 entries") {
			t.Errorf("keytool sees entries in an openssl truststore; LoadKeyStore's claim that Java ignores them is wrong")
		}
	}
}
