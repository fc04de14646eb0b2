package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// needTool finds an interop tool; missing, the test is skipped loudly, or
// fails when BROKERLAB_REQUIRE_ALL=1.
func needTool(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s NOT FOUND: what certs gen writes is not cross-checked with it; install it (%s)", strings.ToUpper(name), install)
		if os.Getenv("BROKERLAB_REQUIRE_ALL") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keytoolFlags start keytool's JVM for a short run, as the pki interop
// tests do.
var keytoolFlags = []string{"-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"}

func TestCertsGenFormats(t *testing.T) {
	for format, files := range formatFiles {
		t.Run(format, func(t *testing.T) {
			out := t.TempDir()
			r := brokerlab(t, "certs", "gen", "hub-and-spokes", "--out", out, "--format", format)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, node := range []string{"hub", "server-a", "server-b"} {
				entries, err := os.ReadDir(filepath.Join(out, node))
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range entries {
					got = append(got, e.Name())
				}
				want := slices.Clone(files)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s: files %v, want %v", node, got, want)
				}
			}
			if !strings.Contains(r.stdout, "hub-and-spokes: 3 nodes") || !strings.Contains(r.stdout, "SHA-256 ") {
				t.Errorf("summary:\n%s", r.stdout)
			}
		})
	}
	if r := brokerlab(t, "certs", "gen", "hub-and-spokes", "--out", t.TempDir(), "--format", "pfx"); r.code != exitUsage {
		t.Errorf("--format pfx: exit %d", r.code)
	}
	if r := brokerlab(t, "certs", "gen", "hub-and-spokes"); r.code != exitUsage || !strings.Contains(r.stderr, "--out") {
		t.Errorf("no --out: exit %d %s", r.code, r.stderr)
	}
}

var fingerprint = regexp.MustCompile(`SHA-?256: *([0-9A-F:]{95})`)

// keytool lists what gen wrote with the aliases keytool itself would have
// given, and the same SHA-256 fingerprints inspect prints.
func TestCertsGenKeytool(t *testing.T) {
	keytool := needTool(t, "keytool", "a JDK, e.g. apt-get install openjdk-17-jdk-headless")
	out := t.TempDir()
	if r := brokerlab(t, "certs", "gen", "hub-and-spokes", "--out", out, "--format", "jks", "--store-password", "s3cret-store"); r.code != exitOK {
		t.Fatalf("gen: %s", r.stderr)
	}
	ks := filepath.Join(out, "hub", "keystore.jks")
	list := runTool(t, keytool, append(slices.Clone(keytoolFlags), "-list", "-v", "-keystore", ks, "-storepass", "s3cret-store")...)
	if !strings.Contains(list, "Alias name: hub") || !strings.Contains(list, "PrivateKeyEntry") {
		t.Errorf("keytool -list keystore.jks:\n%s", list)
	}
	ts := runTool(t, keytool, append(slices.Clone(keytoolFlags), "-list", "-keystore", filepath.Join(out, "hub", "truststore.jks"), "-storepass", "s3cret-store")...)
	for _, alias := range []string{"hub,", "server-a,", "server-b,"} {
		if !strings.Contains(ts, alias) || !strings.Contains(ts, "trustedCertEntry") {
			t.Errorf("keytool -list truststore.jks lacks %s trustedCertEntry:\n%s", alias, ts)
		}
	}
	r := brokerlab(t, "certs", "inspect", ks, "--password", "s3cret-store")
	if r.code != exitOK || !strings.Contains(r.stdout, "entry 1: hub, PrivateKeyEntry") {
		t.Fatalf("inspect: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	kf, of := fingerprint.FindStringSubmatch(list), fingerprint.FindStringSubmatch(r.stdout)
	if kf == nil || of == nil || kf[1] != of[1] {
		t.Errorf("fingerprints differ: keytool %v, inspect %v", kf, of)
	}
	if strings.Contains(r.stdout, "s3cret-store") {
		t.Error("inspect printed the password")
	}
	bad := brokerlab(t, "certs", "inspect", ks, "--password", "wrong-one")
	if bad.code != exitFail || !strings.Contains(bad.stderr, "wrong password") || strings.Contains(bad.stderr, "wrong-one") {
		t.Errorf("wrong password: exit %d, stderr %q", bad.code, bad.stderr)
	}
}

// openssl reads the PKCS#12 stores and verifies the PEM certificates
// against the trust files gen wrote: server-a's certificate against the
// hub's trust, as the hub's listener would.
func TestCertsGenOpenSSL(t *testing.T) {
	openssl := needTool(t, "openssl", "apt-get install openssl")
	p12, pem := t.TempDir(), t.TempDir()
	for dir, format := range map[string]string{p12: "p12", pem: "pem"} {
		if r := brokerlab(t, "certs", "gen", "hub-and-spokes-ca", "--out", dir, "--format", format); r.code != exitOK {
			t.Fatalf("gen %s: %s", format, r.stderr)
		}
	}
	certs := runTool(t, openssl, "pkcs12", "-in", filepath.Join(p12, "hub", "keystore.p12"), "-passin", "pass:changeit", "-nokeys")
	if !regexp.MustCompile(`subject=.*CN ?= ?hub`).MatchString(certs) {
		t.Errorf("openssl pkcs12 keystore:\n%s", certs)
	}
	runTool(t, openssl, "pkcs12", "-in", filepath.Join(p12, "hub", "truststore.p12"), "-passin", "pass:changeit", "-nokeys")
	v := runTool(t, openssl, "verify", "-CAfile", filepath.Join(pem, "hub", "trust.pem"), filepath.Join(pem, "server-a", "cert.pem"))
	if !strings.Contains(v, ": OK") {
		t.Errorf("openssl verify: %s", v)
	}
	r := brokerlab(t, "certs", "inspect", filepath.Join(p12, "hub", "keystore.p12"), "--password", "changeit")
	if r.code != exitOK || !strings.Contains(r.stdout, "PKCS12") || !strings.Contains(r.stdout, "entry 1: hub, PrivateKeyEntry") || !strings.Contains(r.stdout, "issuer:   CN=root CA") {
		t.Errorf("inspect p12: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCertsInspectTopology(t *testing.T) {
	r := brokerlab(t, "certs", "inspect", "hub-and-spokes")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, w := range []string{"server-a    pinned    self      -", "server-a->hub", " ok"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, r.stdout)
		}
	}
	// The tutorial's forgotten import: the hub does not trust server-b.
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(broken, []byte(`name: broken
nodes:
  hub:
    listen: ["stomp+ssl://127.0.0.1:0?needClientAuth=true"]
    tls: {identity: {self_signed: true}, trust: [hub, server-a]}
  server-a:
    listen: ["stomp://127.0.0.1:0"]
    tls: {identity: {self_signed: true}, trust: [server-a, hub]}
    connect: [{to: hub, duplex: true}]
  server-b: {like: server-a}
`), 0o644)
	r = brokerlab(t, "certs", "inspect", broken)
	if r.code != exitFail || !strings.Contains(r.stdout, "server-b->hub") || !strings.Contains(r.stdout, "MISSING TRUST: hub requires client certificates and does not trust server-b") {
		t.Errorf("broken topology: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCertsSubcommandHelp(t *testing.T) {
	for _, sub := range []struct {
		name string
		want []string
	}{
		{"gen", []string{"--out", "--format", "--store-password", "--key-password", "keystore.jks", "Examples:", "Exit codes:"}},
		{"inspect", []string{"--password", "who trusts whom", "PrivateKeyEntry", "Examples:", "Exit codes:"}},
	} {
		r := brokerlab(t, "certs", sub.name, "--help")
		if r.code != exitOK {
			t.Errorf("certs %s --help: exit %d", sub.name, r.code)
		}
		for _, w := range sub.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("certs %s --help lacks %q:\n%s", sub.name, w, r.stdout)
			}
		}
	}
	if r := brokerlab(t, "certs", "frob"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown subcommand "frob"`) {
		t.Errorf("certs frob: exit %d %s", r.code, r.stderr)
	}
}
