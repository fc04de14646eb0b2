package pki

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/topology"
)

// tool finds a command-line tool the interop tests run. Missing, the test
// is skipped loudly, or fails when BROKERLAB_REQUIRE_ALL=1, so that CI,
// which installs them, never passes by skipping.
func tool(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s NOT FOUND: the stores are not cross-checked with %s; install it (%s)", strings.ToUpper(name), name, install)
		if os.Getenv("BROKERLAB_REQUIRE_ALL") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// run runs a tool and returns its combined output and error.
func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	t.Logf("$ %s %s\n%s", filepath.Base(name), strings.Join(args, " "), out)
	return string(out), err
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
}

// keyTypesSpec has one self-signed node per key type, trusting them all,
// and the chain of chainSpec.
func keyTypesSpec() (*topology.Spec, Options) {
	spec, o := chainSpec(), chainOptions()
	o.Nodes = map[string]NodeOptions{}
	var all []string
	for _, kt := range KeyTypes() {
		all = append(all, string(kt))
	}
	for _, kt := range KeyTypes() {
		spec.Nodes = append(spec.Nodes, &topology.Node{Name: string(kt),
			TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: all}})
		o.Nodes[string(kt)] = NodeOptions{KeyType: kt}
	}
	o.StorePassword, o.KeyPassword = "store-secret", "key-secret"
	return spec, o
}

// javaFlags start keytool's JVM for a short run: without JIT tiers and a
// large heap it starts in half the time, which matters on a shared CI box.
var javaFlags = []string{"-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"}

// TestKeytool lists the stores with Java's keytool and has it use private
// keys (keytool -certreq signs with the key), so that the aliases, the
// passwords and the key protection are Java's, not just ours. Each call
// starts a JVM, so the calls are few: one per format and kind of store,
// and key types spread over the two formats.
func TestKeytool(t *testing.T) {
	keytool := tool(t, "keytool", "a JDK, e.g. apt-get install openjdk-17-jdk-headless")
	kt := func(args ...string) (string, error) {
		return run(t, keytool, append(slices.Clone(javaFlags), args...)...)
	}
	spec, o := keyTypesSpec()
	m := generate(t, spec, o)
	hub := m.Nodes["hub"]

	out, err := kt("-list", "-keystore", hub.KeyStoreJKSFile, "-storepass", "store-secret")
	if err != nil {
		t.Fatalf("keytool -list keystore.jks: %v", err)
	}
	mustContain(t, out, "Keystore type: JKS", "Your keystore contains 1 entry", "hub, ", "PrivateKeyEntry")
	// -v shows the chain Java sees: the leaf and two intermediates.
	out, err = kt("-list", "-v", "-keystore", hub.KeyStoreP12File, "-storepass", "store-secret")
	if err != nil {
		t.Fatalf("keytool -list keystore.p12: %v", err)
	}
	mustContain(t, out, "Keystore type: PKCS12", "Your keystore contains 1 entry", "Alias name: hub", "Entry type: PrivateKeyEntry",
		"Certificate chain length: 3", "Owner: CN=hub, O=brokerlab", "Owner: CN=edge CA, O=brokerlab", "Owner: CN=mid CA, O=brokerlab")

	for _, ts := range []string{m.Nodes["ed25519"].TrustStoreJKSFile, m.Nodes["ed25519"].TrustStoreP12File} {
		out, err := kt("-list", "-keystore", ts, "-storepass", "store-secret")
		if err != nil {
			t.Fatalf("keytool -list %s: %v", ts, err)
		}
		mustContain(t, out, fmt.Sprintf("Your keystore contains %d entries", len(KeyTypes())), "trustedCertEntry")
		for _, kt := range KeyTypes() {
			mustContain(t, out, string(kt)+", ")
		}
	}

	// Java signs with keys of each family, from either format; the JKS key
	// under its own key password.
	for _, c := range []struct {
		kt  KeyType
		jks bool
	}{{RSA2048, true}, {ECDSAP384, false}, {Ed25519, true}, {RSA3072, false}} {
		nf := m.Nodes[string(c.kt)]
		args := []string{"-certreq", "-alias", string(c.kt), "-storepass", "store-secret", "-keystore", nf.KeyStoreP12File}
		if c.jks {
			args = []string{"-certreq", "-alias", string(c.kt), "-storepass", "store-secret", "-keypass", "key-secret", "-keystore", nf.KeyStoreJKSFile}
		}
		out, err := kt(args...)
		if err != nil || !strings.Contains(out, "BEGIN NEW CERTIFICATE REQUEST") {
			t.Errorf("%s: keytool could not sign with the key: %v", c.kt, err)
		}
	}
}

// TestOpenSSLStores reads the PKCS#12 files and verifies the chains with
// OpenSSL, what Java and ActiveMQ users reach for when a handshake fails.
func TestOpenSSLStores(t *testing.T) {
	openssl := tool(t, "openssl", "apt-get install openssl")
	m := generate(t, chainSpec(), Options{Authorities: chainOptions().Authorities, StorePassword: "store-secret"})
	hub := m.Nodes["hub"]

	out, err := run(t, openssl, "pkcs12", "-in", hub.KeyStoreP12File, "-passin", "pass:store-secret", "-nokeys")
	if err != nil {
		t.Fatalf("openssl pkcs12 -nokeys: %v", err)
	}
	mustContain(t, out, "subject=O = brokerlab, CN = hub", "subject=O = brokerlab, CN = edge CA", "subject=O = brokerlab, CN = mid CA")
	if n := strings.Count(out, "-----BEGIN CERTIFICATE-----"); n != 3 {
		t.Errorf("openssl pkcs12 shows %d certificates, want 3 (leaf and two intermediates, no root)", n)
	}
	out, err = run(t, openssl, "pkcs12", "-in", hub.KeyStoreP12File, "-passin", "pass:store-secret", "-nocerts", "-nodes")
	if err != nil {
		t.Fatalf("openssl pkcs12 -nocerts: %v", err)
	}
	mustContain(t, out, "friendlyName: hub", "-----BEGIN PRIVATE KEY-----")
	out, err = run(t, openssl, "pkcs12", "-in", hub.TrustStoreP12File, "-passin", "pass:store-secret", "-nokeys")
	if err != nil {
		t.Fatalf("openssl pkcs12 truststore: %v", err)
	}
	mustContain(t, out, "friendlyName: root", "2.16.840.1.113894.746875.1.1", "subject=O = brokerlab, CN = root CA")
	if out, err := run(t, openssl, "pkcs12", "-in", hub.KeyStoreP12File, "-passin", "pass:wrong", "-nokeys"); err == nil ||
		!strings.Contains(out, "Mac verify error") {
		t.Errorf("openssl pkcs12 with a wrong password: %v", err)
	}

	// openssl verify -CAfile root -untrusted intermediates leaf.
	dir := t.TempDir()
	leaf := filepath.Join(dir, "hub-leaf.pem")
	inter := filepath.Join(dir, "hub-intermediates.pem")
	writeTemp(t, leaf, pemCert(hub.Cert))
	var chain []byte
	for _, c := range hub.Chain {
		chain = append(chain, pemCert(c)...)
	}
	writeTemp(t, inter, chain)
	root := m.Authorities["root"].CertFile
	if out, err := run(t, openssl, "verify", "-CAfile", root, "-untrusted", inter, leaf); err != nil || !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify with the intermediates: %v", err)
	}
	if out, err := run(t, openssl, "verify", "-CAfile", root, leaf); err == nil || !strings.Contains(out, "unable to get local issuer certificate") {
		t.Errorf("openssl verify without the intermediates: %v, want unable to get local issuer certificate", err)
	}
	// The leaf file carries its chain: the common case needs no split.
	if out, err := run(t, openssl, "verify", "-CAfile", root, "-untrusted", hub.CertFile, hub.CertFile); err != nil || !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify -untrusted cert.pem cert.pem: %v", err)
	}
	// An intermediate as the trust anchor needs -partial_chain in OpenSSL.
	mid := m.Authorities["mid"].CertFile
	if out, err := run(t, openssl, "verify", "-partial_chain", "-CAfile", mid, "-untrusted", inter, leaf); err != nil || !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify -partial_chain against mid: %v", err)
	}
}

func writeTemp(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
