package tlsconf

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestServerConfig(t *testing.T) {
	hub := node(t, "hub")
	m := material(t, hub, hub)
	for auth, want := range map[ClientAuth]tls.ClientAuthType{
		NoClientCert:   tls.NoClientCert,
		WantClientCert: tls.VerifyClientCertIfGiven,
		NeedClientCert: tls.RequireAndVerifyClientCert,
	} {
		cfg, err := ServerConfig(m, auth)
		if err != nil {
			t.Fatalf("%s: %v", auth, err)
		}
		if cfg.ClientAuth != want || cfg.MinVersion != tls.VersionTLS12 || cfg.ClientCAs != m.Trust || len(cfg.Certificates) != 1 {
			t.Errorf("%s: config %+v", auth, cfg)
		}
	}
	if _, err := ServerConfig(material(t, nil, hub), NeedClientCert); err == nil ||
		!strings.HasPrefix(err.Error(), "tlsconf: a TLS listener needs a certificate: set ") {
		t.Errorf("ServerConfig without a certificate: err = %v", err)
	}
	if _, err := ServerConfig(m, ClientAuth(7)); err == nil {
		t.Error("ServerConfig accepted ClientAuth(7)")
	}
}

func TestClientConfig(t *testing.T) {
	hub, spoke := node(t, "hub"), node(t, "server-a")
	m := material(t, spoke, hub)
	cfg, err := ClientConfig(m, "hub")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "hub" || cfg.RootCAs != m.Trust || cfg.MinVersion != tls.VersionTLS12 ||
		len(cfg.Certificates) != 1 || cfg.GetClientCertificate == nil || cfg.InsecureSkipVerify {
		t.Errorf("config %+v", cfg)
	}
	// The certificate goes out even when the server names other CAs.
	got, err := cfg.GetClientCertificate(&tls.CertificateRequestInfo{AcceptableCAs: [][]byte{hub.cert.RawSubject}})
	if err != nil || got == nil || len(got.Certificate) == 0 {
		t.Errorf("GetClientCertificate = %v, %v; want the certificate", got, err)
	}

	anon, err := ClientConfig(material(t, nil, hub), "hub")
	if err != nil || anon.Certificates != nil || anon.GetClientCertificate != nil {
		t.Errorf("without a certificate: %+v, %v", anon, err)
	}
	if _, err := ClientConfig(m, ""); err == nil || !strings.Contains(err.Error(), "ServerName") {
		t.Errorf("ClientConfig without a name: err = %v", err)
	}
}

// Why ClientConfig sets GetClientCertificate: left to itself, a Go client
// whose certificate's issuer is not among the CAs the server lists sends no
// certificate at all, and the server can only say "none was sent". If a Go
// release changes this, the comment in ClientConfig must change with it.
func TestGoWithholdsCertificateTheServerWouldNotTrust(t *testing.T) {
	must := mustConfig(t)
	hub, spoke := node(t, "hub"), node(t, "server-a")
	s := must(ServerConfig(material(t, hub, hub), NeedClientCert))
	c := must(ClientConfig(material(t, spoke, hub), "hub"))
	c.GetClientCertificate = nil // crypto/tls's own choice
	o := pair(t, s, c)
	if got := Classify(o.server); got != ClassClientCertRequired {
		t.Errorf("server class = %q (%v), want client-cert-required", got, o.server)
	}
}
