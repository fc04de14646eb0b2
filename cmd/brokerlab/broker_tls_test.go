package main

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

func hubStores(t *testing.T) (*topology.Spec, *pki.Material) {
	t.Helper()
	spec, err := topology.Example("hub-and-spokes-ca")
	if err != nil {
		t.Fatal(err)
	}
	mat, err := pki.Generate(spec, t.TempDir(), pki.Options{StorePassword: "store-secret"})
	if err != nil {
		t.Fatal(err)
	}
	return spec, mat
}

func servedCert(t *testing.T, addr string) *x509.Certificate {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// A broker runs from Java keystores with passwords from the environment,
// and SIGHUP makes new connections use a renewed certificate.
func TestBrokerKeystoresAndHangup(t *testing.T) {
	spec, mat := hubStores(t)
	hubFiles := mat.Nodes["hub"]
	t.Setenv(envKeyStorePassword, "store-secret")
	t.Setenv(envTrustStorePassword, "store-secret")
	hub := start(t, "hub", "broker", "--name", "hub", "--listen", "stomp+ssl://127.0.0.1:0",
		"--keystore", hubFiles.KeyStoreJKSFile, "--truststore", hubFiles.TrustStoreP12File)
	addr := hub.readyLines(t, 1)[0].Listeners[0].Addr
	if got := servedCert(t, addr); !got.Equal(hubFiles.Cert) {
		t.Fatalf("serving serial %X, want the keystore's %X", got.SerialNumber, hubFiles.Cert.SerialNumber)
	}
	renewed, err := mat.Reissue(spec, "hub")
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(bound)
	for !strings.Contains(hub.stderr.String(), "TLS files reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload reported after SIGHUP; stderr:\n%s", hub.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := servedCert(t, addr); !got.Equal(renewed) {
		t.Fatalf("after SIGHUP serving serial %X, want the renewed %X", got.SerialNumber, renewed.SerialNumber)
	}
	if code := hub.terminate(t); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}

func TestBrokerWrongKeystorePasswordExit2(t *testing.T) {
	_, mat := hubStores(t)
	t.Setenv(envKeyStorePassword, "not-it")
	r := brokerlab(t, "broker", "--name", "hub", "--listen", "stomp+ssl://127.0.0.1:0", "--keystore", mat.Nodes["hub"].KeyStoreJKSFile)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, exitUsage, r.stderr)
	}
	for _, want := range []string{"keystore.jks", "keyStorePassword"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "not-it") {
		t.Errorf("stderr shows the password:\n%s", r.stderr)
	}
	r = brokerlab(t, "broker", "--name", "hub", "--listen", "stomp+ssl://127.0.0.1:0", "--keystore", "k.jks", "--tls-cert", "c.pem")
	if r.code != exitUsage || !strings.Contains(r.stderr, "use the keystores or the PEM files") {
		t.Errorf("keystore and PEM together: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
