package broker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// identity writes a self-signed certificate for name and its key, as PEM,
// to dir/cert.pem and dir/key.pem (replacing them), and returns the
// certificate.
func identity(t *testing.T, dir, name string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := x509.MarshalPKCS8PrivateKey(key)
	write := func(file string, b *pem.Block) {
		tmp := filepath.Join(dir, "."+file)
		if err := os.WriteFile(tmp, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
	}
	write("key.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: pk})
	write("cert.pem", &pem.Block{Type: "CERTIFICATE", Bytes: der})
	c, _ := x509.ParseCertificate(der)
	return c
}

func pemFiles(dir string) tlsconf.Files {
	return tlsconf.Files{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
}

// served is the certificate a new connection to addr is shown.
func served(t *testing.T, addr string) *x509.Certificate {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

func TestReloadTLS(t *testing.T) {
	dir := t.TempDir()
	first := identity(t, dir, "hub")
	rec := events.NewRecorder(nil)
	b, err := New(Options{Name: "hub", Listen: []string{"stomp+ssl://127.0.0.1:0"}, TLS: pemFiles(dir), Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Kill()
	addr := b.Listeners()[0].Addr
	old, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if !served(t, addr).Equal(first) {
		t.Fatal("not serving the first certificate")
	}

	second := identity(t, dir, "hub")
	if !served(t, addr).Equal(first) {
		t.Fatal("changed certificate before any reload")
	}
	if err := b.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if !served(t, addr).Equal(second) {
		t.Fatal("a new connection after ReloadTLS does not get the new certificate")
	}
	if !old.ConnectionState().PeerCertificates[0].Equal(first) {
		t.Fatal("the established connection's certificate changed")
	}
	if e, ok, _ := rec.Wait(0, time.Now().Add(time.Second), func(e events.Event) bool { return e.Kind == events.TLSReloaded }, nil); !ok || !strings.Contains(e.Reason, "serial") || e.Class != "" {
		t.Errorf("tls-reloaded event: %+v", e)
	}

	// A half-written rotation (a key that is not the certificate's) is
	// refused and the node keeps serving the last good certificate.
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: first.Raw}), 0o600)
	if err := b.ReloadTLS(); tlsconf.Classify(err) != tlsconf.ClassKeyMismatch {
		t.Fatalf("reload with a mismatched key: %v", err)
	}
	if !served(t, addr).Equal(second) {
		t.Fatal("after a failed reload the node does not serve the last good certificate")
	}
}

func TestStartFailedEvent(t *testing.T) {
	dir := t.TempDir()
	identity(t, dir, "hub")
	other := t.TempDir()
	identity(t, other, "hub")
	rec := events.NewRecorder(nil)
	f := pemFiles(dir)
	f.KeyFile = filepath.Join(other, "key.pem")
	_, err := New(Options{Name: "hub", Listen: []string{"stomp+ssl://127.0.0.1:0"}, TLS: f, Events: rec})
	if err == nil {
		t.Fatal("a broker with a mismatched key started")
	}
	evs := rec.Events()
	if len(evs) != 1 || evs[0].Kind != events.StartFailed || evs[0].Class != string(tlsconf.ClassKeyMismatch) || evs[0].Node != "hub" ||
		!strings.Contains(evs[0].Reason, f.KeyFile) {
		t.Fatalf("events = %v", evs)
	}
}

func TestTLSKnobErrorsNameTheParameter(t *testing.T) {
	dir := t.TempDir()
	identity(t, dir, "hub")
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Listen: []string{"stomp+ssl://127.0.0.1:0?enabledProtocols=TLSv1.4"}}, `Listen[0]: listener "stomp+ssl://127.0.0.1:0?enabledProtocols=TLSv1.4": tlsconf: enabledProtocols="TLSv1.4": unknown protocol`},
		{Options{Listen: []string{"stomp+ssl://127.0.0.1:0?transport.enabledCipherSuites=TLS_NOPE"}}, `transport.enabledCipherSuites="TLS_NOPE"`},
		{Options{Connect: []string{"static://(ssl://127.0.0.1:1?serverName=x&socket.verifyHostName=perhaps)"}}, `Connect[0]: peer "ssl://127.0.0.1:1?serverName=x&socket.verifyHostName=perhaps": tlsconf: socket.verifyHostName="perhaps" is not true or false`},
		{Options{Connect: []string{"static://(tcp://127.0.0.1:1?enabledProtocols=TLSv1.3)"}}, `enabledProtocols applies only to ssl:// peers`},
	} {
		tt.o.Name, tt.o.TLS = "hub", pemFiles(dir)
		_, err := New(tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want it to contain %q", err, tt.want)
		}
	}
}

// A connector's knobs reach its handshakes: the listener allows only TLS
// 1.3, the connector only 1.2, and the bridge fails with protocol-version
// on both ends; with a common version it comes up.
func TestConnectorKnobs(t *testing.T) {
	hubDir, spokeDir := t.TempDir(), t.TempDir()
	hubCert, spokeCert := identity(t, hubDir, "hub"), identity(t, spokeDir, "spoke")
	trust := func(dir string, c *x509.Certificate) tlsconf.Files {
		f := pemFiles(dir)
		f.TrustFile = filepath.Join(dir, "trust.pem")
		os.WriteFile(f.TrustFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644)
		return f
	}
	hubRec := events.NewRecorder(nil)
	hub, err := New(Options{Name: "hub", Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true&enabledProtocols=TLSv1.3"}, TLS: trust(hubDir, spokeCert), Events: hubRec})
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	defer hub.Kill()
	for _, tt := range []struct {
		protocols string
		state     string
	}{{"TLSv1.2", events.StateTLSFailed}, {"TLSv1.2,TLSv1.3", events.StateUp}} {
		rec := events.NewRecorder(nil)
		uri := "static://(ssl://" + hub.Listeners()[0].Addr + "?serverName=hub&enabledProtocols=" + tt.protocols + ")?name=spoke-%3Ehub"
		spoke, err := New(Options{Name: "spoke", Connect: []string{uri}, TLS: trust(spokeDir, hubCert), Events: rec})
		if err != nil {
			t.Fatal(err)
		}
		if err := spoke.Start(); err != nil {
			t.Fatal(err)
		}
		e, ok, _ := rec.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
			return e.Kind == events.BridgeState && (e.State == events.StateUp || e.State == events.StateTLSFailed)
		}, nil)
		spoke.Kill()
		if !ok || e.State != tt.state {
			t.Fatalf("enabledProtocols=%s: bridge %s (%s), want %s", tt.protocols, e.State, e.Reason, tt.state)
		}
		if tt.state == events.StateTLSFailed && e.Class != string(tlsconf.ClassProtocolVersion) {
			t.Errorf("failing with class %q, want protocol-version", e.Class)
		}
	}
}
