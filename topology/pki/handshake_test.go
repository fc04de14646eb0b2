package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/topology"
)

// tlsConfig builds a minimal config from a node's files. The broker has
// its own, in one place; this one only shows that the files work with
// crypto/tls as they are.
func tlsConfig(t *testing.T, nf *NodeFiles) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(nf.CertFile, nf.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	for _, c := range readCerts(t, nf.TrustFile) {
		pool.AddCert(c)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
}

// handshake runs a mutual-TLS handshake from dialer to listener over a
// pipe, the dialer checking the listener's name as brokerlab's connectors
// do, and returns both sides' errors.
func handshake(t *testing.T, m *Material, dialer, listener string, version uint16) (clientErr, serverErr error) {
	t.Helper()
	c, s := net.Pipe()
	ccfg := tlsConfig(t, m.Nodes[dialer])
	ccfg.ServerName = listener
	ccfg.MaxVersion = version
	scfg := tlsConfig(t, m.Nodes[listener])
	scfg.MaxVersion = version
	done := make(chan error, 1)
	go func() {
		srv := tls.Server(s, scfg)
		err := srv.Handshake()
		if err == nil {
			// TLS 1.3: the client learns of a refusal on its first read;
			// give it something to read when all is well.
			_, err = srv.Write([]byte("x"))
		}
		s.Close()
		done <- err
	}()
	cli := tls.Client(c, ccfg)
	clientErr = cli.Handshake()
	if clientErr == nil {
		_, clientErr = cli.Read(make([]byte, 1))
	}
	c.Close()
	return clientErr, <-done
}

func TestHandshake(t *testing.T) {
	good := generate(t, example(t, "hub-and-spokes"), Options{})
	ca := generate(t, example(t, "hub-and-spokes-ca"), Options{})
	// The hub forgets server-a: the misconfiguration of DESIGN.md's
	// certificate scenario, seen from the other side.
	spec := example(t, "hub-and-spokes")
	spec.Node("hub").TLS.Trust = []string{"hub", "server-b"}
	forgetful := generate(t, spec, Options{})

	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLS 1.2", tls.VersionTLS12}, {"TLS 1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			for _, m := range []*Material{good, ca} {
				for _, spoke := range []string{"server-a", "server-b"} {
					if c, s := handshake(t, m, spoke, "hub", v.version); c != nil || s != nil {
						t.Errorf("%s -> hub: client %v, server %v", spoke, c, s)
					}
				}
			}
			// A Go client sends only a certificate whose issuer is among the
			// CAs the server lists in its CertificateRequest; with none it
			// sends no certificate at all, so the hub sees a missing client
			// certificate rather than an untrusted one.
			c, s := handshake(t, forgetful, "server-a", "hub", v.version)
			if s == nil || !strings.Contains(s.Error(), "client didn't provide a certificate") &&
				!strings.Contains(s.Error(), "certificate signed by unknown authority") {
				t.Errorf("hub accepted server-a it does not trust: server error %v", s)
			}
			if c == nil {
				t.Errorf("server-a saw no error from a hub that refused it")
			}
		})
	}
}

// TestHandshakeWrongName checks that the SAN carries the node name: a
// connector that expects the hub but reaches server-b refuses it, although
// server-b's certificate is signed by the authority it trusts.
func TestHandshakeWrongName(t *testing.T) {
	m := generate(t, topology.HubAndSpokes(topology.HubAndSpokesOptions{CA: true}), Options{})
	cfg := tlsConfig(t, m.Nodes["server-a"])
	cfg.ServerName = "hub"
	scfg := tlsConfig(t, m.Nodes["server-b"])
	c, s := net.Pipe()
	go func() {
		tls.Server(s, scfg).Handshake()
		s.Close()
	}()
	err := tls.Client(c, cfg).Handshake()
	c.Close()
	var he x509.HostnameError
	if !errors.As(err, &he) {
		t.Errorf("server-a dialing hub but reaching server-b: %v, want a hostname error", err)
	}
}
