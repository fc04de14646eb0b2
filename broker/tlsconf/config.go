package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// ClientAuth is what a TLS listener asks of its clients, in ActiveMQ's
// terms: needClientAuth and wantClientAuth.
type ClientAuth int

const (
	NoClientCert   ClientAuth = iota // no certificate requested
	WantClientCert                   // requested, verified if sent; a client without one is let in
	NeedClientCert                   // required and verified
)

func (a ClientAuth) String() string {
	switch a {
	case NoClientCert:
		return "none"
	case WantClientCert:
		return "wantClientAuth"
	case NeedClientCert:
		return "needClientAuth"
	}
	return fmt.Sprintf("ClientAuth(%d)", int(a))
}

// minVersion is the floor for every listener and connector. TLS 1.0 and 1.1
// are gone from every stack we meet (Java, OpenSSL, Go); allowing them would
// only hide protocol-version failures the lab is meant to show.
const minVersion = tls.VersionTLS12

// ServerConfig builds the configuration of a TLS listener. The result is the
// caller's to keep; clone it before changing it per connection.
func ServerConfig(m *Material, auth ClientAuth) (*tls.Config, error) {
	if m == nil || m.Certificate == nil {
		return nil, errors.New("tlsconf: a TLS listener needs a certificate: set CertFile and KeyFile")
	}
	var ca tls.ClientAuthType
	switch auth {
	case NoClientCert:
		ca = tls.NoClientCert
	case WantClientCert:
		// VerifyClientCertIfGiven, not RequestClientCert: a certificate that
		// is sent is verified. A client that sends none still gets in, which
		// is the "false sense of security" ActiveMQ's wantClientAuth gives.
		ca = tls.VerifyClientCertIfGiven
	case NeedClientCert:
		ca = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("tlsconf: unknown client auth %d: use NoClientCert, WantClientCert or NeedClientCert", int(auth))
	}
	cfg := &tls.Config{
		MinVersion:   minVersion,
		Certificates: []tls.Certificate{*m.Certificate},
		ClientCAs:    trust(m),
		ClientAuth:   ca,
	}
	settle(cfg, m)
	return cfg, nil
}

// ClientConfig builds the configuration of a connector to the node named
// serverName. The peer is verified against that name, never against the
// address dialled: connectors dial a toxiproxy on 127.0.0.1.
func ClientConfig(m *Material, serverName string) (*tls.Config, error) {
	if serverName == "" {
		return nil, errors.New("tlsconf: a TLS connector needs the peer's node name as ServerName: the dialled address is a proxy on 127.0.0.1 and proves nothing")
	}
	if m == nil {
		return nil, fmt.Errorf("tlsconf: a TLS connector to %s needs trust material: set TrustFile", serverName)
	}
	cfg := &tls.Config{
		MinVersion: minVersion,
		RootCAs:    trust(m),
		ServerName: serverName,
	}
	if m.Certificate != nil {
		cert := *m.Certificate
		cfg.Certificates = []tls.Certificate{cert}
		// Present the certificate whatever the server asks for. Left to
		// itself crypto/tls sends it only if its issuer is among the CAs
		// the server's CertificateRequest lists, and otherwise sends none
		// (Java's key managers do the same). A server that does not trust
		// us would then report "client didn't provide a certificate", and
		// a wantClientAuth server would let us in unauthenticated: the lab
		// would hide the very misconfiguration it is meant to show. Sent,
		// the certificate is refused for what it is (unknown-authority,
		// expired, ...) and the server can say whose it was.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		}
	}
	settle(cfg, m)
	return cfg, nil
}

// trust never returns nil: a nil pool would make crypto/tls fall back to the
// system roots for a client.
func trust(m *Material) *x509.CertPool {
	if m.Trust == nil {
		return x509.NewCertPool()
	}
	return m.Trust
}

// Handshake runs c's handshake, giving up after timeout (if positive) or
// when ctx ends. A timeout is returned wrapped with what was waited for, so
// that it never reads as a bare "context deadline exceeded"; Classify names
// it handshake-timeout. Other errors are returned as crypto/tls gave them.
//
// On timeout crypto/tls closes the underlying connection, which is what a
// broker wants of a handshake that will never finish.
func Handshake(ctx context.Context, c *tls.Conn, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	err := c.HandshakeContext(ctx)
	if err != nil && Classify(err) == ClassHandshakeTimeout {
		within := "before the deadline"
		if timeout > 0 {
			within = "within " + timeout.String()
		}
		return fmt.Errorf("tlsconf: TLS handshake with %s: no answer %s: %w", c.RemoteAddr(), within, err)
	}
	return err
}
