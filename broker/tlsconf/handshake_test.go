package tlsconf

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

var (
	connectFrame   = []byte("CONNECT\naccept-version:1.2\nhost:hub\n\n\x00")
	connectedFrame = []byte("CONNECTED\nversion:1.2\n\n\x00")
	errorFrame     = []byte("ERROR\n\n\x00")
)

// safety bounds a test against hanging; no assertion depends on it.
const safety = 10 * time.Second

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

type outcome struct {
	clientHandshake error // the client's handshake error
	client          error // the handshake error, else the first write's or read's
	server          error // the server's handshake error
	serverState     tls.ConnectionState
}

// pair runs one connection as brokers do: the server handshakes and, if that
// worked, reads CONNECT and answers CONNECTED before closing; the client
// handshakes, writes CONNECT and reads. With TLS 1.3 a refused client
// certificate shows only on that read.
func pair(t *testing.T, server, client *tls.Config) outcome {
	t.Helper()
	ln := listen(t)
	ctx := context.Background()
	type srvResult struct {
		err   error
		state tls.ConnectionState
	}
	srvDone := make(chan srvResult, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			srvDone <- srvResult{err: err}
			return
		}
		tc := tls.Server(raw, server)
		defer tc.Close()
		err = Handshake(ctx, tc, safety)
		res := srvResult{err: err, state: tc.ConnectionState()}
		if err == nil {
			buf := make([]byte, 256)
			if _, rerr := tc.Read(buf); rerr == nil {
				tc.Write(connectedFrame)
			}
		}
		srvDone <- res
	}()

	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(raw, client)
	var o outcome
	o.clientHandshake = Handshake(ctx, tc, safety)
	o.client = o.clientHandshake
	if o.client == nil {
		if _, err := tc.Write(connectFrame); err != nil {
			o.client = err
		} else {
			buf := make([]byte, 256)
			tc.SetReadDeadline(time.Now().Add(safety))
			n, err := tc.Read(buf)
			switch {
			case err != nil:
				o.client = err
			case !bytes.HasPrefix(buf[:n], []byte("CONNECTED")):
				o.client = errors.New("unexpected answer " + string(buf[:n]))
			}
		}
	}
	tc.Close()
	res := <-srvDone
	o.server, o.serverState = res.err, res.state
	return o
}

func pin(cfg *tls.Config, min, max uint16) *tls.Config {
	cfg = cfg.Clone()
	cfg.MinVersion, cfg.MaxVersion = min, max
	return cfg
}

// mustConfig returns a function that unwraps ServerConfig's and
// ClientConfig's results, failing t on an error.
func mustConfig(t *testing.T) func(*tls.Config, error) *tls.Config {
	return func(cfg *tls.Config, err error) *tls.Config {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
}

func TestHandshakeFailures(t *testing.T) {
	must := mustConfig(t)
	now := time.Now()
	hub := node(t, "hub")
	spoke := node(t, "server-a")
	other := node(t, "other")
	hubExpired := newCert(t, certSpec{cn: "hub", dns: []string{"hub"}, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	hubFuture := newCert(t, certSpec{cn: "hub", dns: []string{"hub"}, notBefore: now.Add(24 * time.Hour), notAfter: now.Add(48 * time.Hour)})
	hubCNOnly := newCert(t, certSpec{cn: "hub"})
	hubClientEKU := newCert(t, certSpec{cn: "hub", dns: []string{"hub"}, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	spokeExpired := newCert(t, certSpec{cn: "server-a", dns: []string{"server-a"}, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	spokeFuture := newCert(t, certSpec{cn: "server-a", dns: []string{"server-a"}, notBefore: now.Add(24 * time.Hour), notAfter: now.Add(48 * time.Hour)})
	spokeServerEKU := newCert(t, certSpec{cn: "server-a", dns: []string{"server-a"}, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})

	srv := func(id *testCert, auth ClientAuth, trusted ...*testCert) *tls.Config {
		return must(ServerConfig(material(t, id, trusted...), auth))
	}
	cli := func(id *testCert, trusted ...*testCert) *tls.Config {
		return must(ClientConfig(material(t, id, trusted...), "hub"))
	}
	tls12 := func(c *tls.Config) *tls.Config { return pin(c, tls.VersionTLS12, tls.VersionTLS12) }

	cases := []struct {
		name           string
		server, client *tls.Config
		wantClient     Class
		wantServer     Class
		// clientHandshakeOK: the client's own handshake succeeds and the
		// failure arrives on its first read (TLS 1.3 client-cert refusal).
		clientHandshakeOK bool
	}{
		{"1 client does not trust server", srv(hub, NoClientCert), cli(spoke, spoke),
			ClassUnknownAuthority, ClassBadCertificate, false},
		{"2 server does not trust client (TLS 1.3)", srv(hub, NeedClientCert, hub), cli(spoke, hub),
			ClassUnknownAuthority, ClassUnknownAuthority, true},
		{"2 server does not trust client (TLS 1.2)", tls12(srv(hub, NeedClientCert, hub)), tls12(cli(spoke, hub)),
			ClassUnknownAuthority, ClassUnknownAuthority, false},
		{"3 no client certificate under need (TLS 1.3)", srv(hub, NeedClientCert, spoke), cli(nil, hub),
			ClassClientCertRequired, ClassClientCertRequired, true},
		// TLS 1.2 has no certificate_required alert: Go sends
		// handshake_failure, which the client cannot tell from "no cipher".
		{"3 no client certificate under need (TLS 1.2)", tls12(srv(hub, NeedClientCert, spoke)), tls12(cli(nil, hub)),
			ClassNoCommonCipher, ClassClientCertRequired, false},
		{"4 hostname mismatch", srv(other, NoClientCert), cli(nil, other),
			ClassHostnameMismatch, ClassBadCertificate, false},
		{"4 CN-only certificate (Go requires a SAN)", srv(hubCNOnly, NoClientCert), cli(nil, hubCNOnly),
			ClassHostnameMismatch, ClassBadCertificate, false},
		// Go checks validity, then the name, then the chain: an untrusted
		// certificate for the wrong name reads as a name problem.
		{"4 untrusted and wrong name", srv(other, NoClientCert), cli(nil, hub),
			ClassHostnameMismatch, ClassBadCertificate, false},
		{"5 expired server certificate", srv(hubExpired, NoClientCert), cli(nil, hubExpired),
			ClassExpired, ClassBadCertificate, false},
		{"6 not-yet-valid server certificate", srv(hubFuture, NoClientCert), cli(nil, hubFuture),
			ClassNotYetValid, ClassBadCertificate, false},
		{"6 expired client certificate", srv(hub, NeedClientCert, spokeExpired), cli(spokeExpired, hub),
			ClassExpired, ClassExpired, true},
		// Go's server sends expired_certificate for both ends of the window.
		{"6 not-yet-valid client certificate", srv(hub, NeedClientCert, spokeFuture), cli(spokeFuture, hub),
			ClassExpired, ClassNotYetValid, true},
		{"9 protocol mismatch", pin(srv(hub, NoClientCert), tls.VersionTLS13, tls.VersionTLS13), pin(cli(nil, hub), tls.VersionTLS12, tls.VersionTLS12),
			ClassProtocolVersion, ClassProtocolVersion, false},
		{"9 no common cipher suite (TLS 1.2)",
			suites(tls12(srv(hub, NoClientCert)), tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
			suites(tls12(cli(nil, hub)), tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
			ClassNoCommonCipher, ClassNoCommonCipher, false},
		{"9 no common key exchange (TLS 1.3)",
			curves(srv(hub, NoClientCert), tls.CurveP256), curves(cli(nil, hub), tls.X25519),
			ClassNoCommonCipher, ClassNoCommonCipher, false},
		{"10 want client auth, no certificate", srv(hub, WantClientCert, spoke), cli(nil, hub),
			ClassNone, ClassNone, true},
		{"10 want client auth, untrusted certificate", srv(hub, WantClientCert, hub), cli(spoke, hub),
			ClassUnknownAuthority, ClassUnknownAuthority, true},
		{"12 server certificate without serverAuth", srv(hubClientEKU, NoClientCert), cli(nil, hubClientEKU),
			ClassBadKeyUsage, ClassBadCertificate, false},
		{"12 client certificate without clientAuth", srv(hub, NeedClientCert, spokeServerEKU), cli(spokeServerEKU, hub),
			ClassBadCertificate, ClassBadKeyUsage, true},
		{"ok mutual TLS", srv(hub, NeedClientCert, spoke), cli(spoke, hub),
			ClassNone, ClassNone, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := pair(t, tc.server, tc.client)
			t.Logf("client: %-22s %v", Classify(o.client), o.client)
			t.Logf("server: %-22s %v", Classify(o.server), o.server)
			if got := Classify(o.client); got != tc.wantClient {
				t.Errorf("client class = %q, want %q (err: %v)", got, tc.wantClient, o.client)
			}
			if got := Classify(o.server); got != tc.wantServer {
				t.Errorf("server class = %q, want %q (err: %v)", got, tc.wantServer, o.server)
			}
			if ok := o.clientHandshake == nil; ok != tc.clientHandshakeOK {
				t.Errorf("client handshake succeeded = %v, want %v (err: %v)", ok, tc.clientHandshakeOK, o.clientHandshake)
			}
		})
	}
}

func suites(cfg *tls.Config, ids ...uint16) *tls.Config {
	cfg = cfg.Clone()
	cfg.CipherSuites = ids
	return cfg
}

func curves(cfg *tls.Config, ids ...tls.CurveID) *tls.Config {
	cfg = cfg.Clone()
	cfg.CurvePreferences = ids
	return cfg
}

// The server's handshake error carries the client's certificate, so an
// explanation can say who was refused.
func TestPeerCertificatesOfRefusedClient(t *testing.T) {
	must := mustConfig(t)
	hub, spoke := node(t, "hub"), node(t, "server-a")
	s := must(ServerConfig(material(t, hub, hub), NeedClientCert))
	c := must(ClientConfig(material(t, spoke, hub), "hub"))
	o := pair(t, s, c)
	certs := PeerCertificates(o.server)
	if len(certs) != 1 || !certs[0].Equal(spoke.cert) {
		t.Fatalf("PeerCertificates(server err) = %v, want the client's certificate", certs)
	}
	if got := Describe(certs[0]); !strings.HasPrefix(got, "CN=server-a, SAN=[server-a localhost 127.0.0.1 ::1], issuer=CN=server-a (self-signed)") {
		t.Errorf("Describe = %q", got)
	}
	// The client learnt only the alert, not the certificate.
	if certs := PeerCertificates(o.client); certs != nil {
		t.Errorf("PeerCertificates(client err) = %v, want nil", certs)
	}
	if a, remote, ok := Alert(o.client); !ok || !remote || a != alertUnknownCA {
		t.Errorf("Alert(client err) = %v, %v, %v; want unknown CA received", a, remote, ok)
	}
}

// wantClientAuth lets a client without a certificate in: the handshake
// succeeds and the server sees no peer certificate.
func TestWantClientAuthWithoutCertificate(t *testing.T) {
	must := mustConfig(t)
	hub, spoke := node(t, "hub"), node(t, "server-a")
	s := must(ServerConfig(material(t, hub, spoke), WantClientCert))
	c := must(ClientConfig(material(t, nil, hub), "hub"))
	o := pair(t, s, c)
	if o.client != nil || o.server != nil {
		t.Fatalf("client err %v, server err %v; want none", o.client, o.server)
	}
	if n := len(o.serverState.PeerCertificates); n != 0 {
		t.Errorf("server sees %d peer certificates, want 0", n)
	}
}

func TestPlaintextClientToTLSListener(t *testing.T) {
	must := mustConfig(t)
	hub := node(t, "hub")
	s := must(ServerConfig(material(t, hub), NoClientCert))
	ln := listen(t)
	srvErr := make(chan error, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		tc := tls.Server(raw, s)
		err = Handshake(context.Background(), tc, safety)
		tc.Close()
		srvErr <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(safety))
	if _, err := raw.Write([]byte("CONNECT\n\n\x00")); err != nil {
		t.Fatal(err)
	}
	_, cerr := raw.Read(make([]byte, 64))
	serr := <-srvErr
	t.Logf("server: %s %v", Classify(serr), serr)
	t.Logf("client (plaintext): %s %v", Classify(cerr), cerr)
	if got := Classify(serr); got != ClassNotTLS {
		t.Errorf("server class = %q, want not-tls", got)
	}
	// crypto/tls hands back the raw connection, so a broker can answer a
	// plaintext client in its own protocol.
	if rh, ok := errors.AsType[tls.RecordHeaderError](serr); !ok || rh.Conn == nil {
		t.Errorf("server error %v: want a tls.RecordHeaderError with the raw Conn", serr)
	}
	if got := Classify(cerr); got != ClassConnectionReset {
		t.Errorf("plaintext client class = %q, want connection-reset", got)
	}
}

func TestTLSClientToPlaintextServer(t *testing.T) {
	must := mustConfig(t)
	hub := node(t, "hub")
	c := must(ClientConfig(material(t, nil, hub), "hub"))
	ln := listen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(safety))
		raw.Read(make([]byte, 4096)) // the ClientHello, taken for a bad frame
		raw.Write(errorFrame)
		// Drain until the client gives up, so closing does not reset the
		// connection before the client has read our answer.
		io.Copy(io.Discard, raw)
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(raw, c)
	cerr := Handshake(context.Background(), tc, safety)
	tc.Close()
	<-done
	t.Logf("client: %s %v", Classify(cerr), cerr)
	if got := Classify(cerr); got != ClassNotTLS {
		t.Errorf("client class = %q, want not-tls (err: %v)", got, cerr)
	}
}

// A blackholed link: TCP connects, nothing answers. The only case here that
// depends on time, and deterministically so: nothing ever answers.
func TestHandshakeTimeout(t *testing.T) {
	must := mustConfig(t)
	hub := node(t, "hub")
	c := must(ClientConfig(material(t, nil, hub), "hub"))
	ln := listen(t)
	release := make(chan struct{})
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		<-release
		raw.Close()
	}()
	defer close(release)
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(raw, c)
	defer tc.Close()
	err = Handshake(context.Background(), tc, 300*time.Millisecond)
	t.Logf("client: %s %v", Classify(err), err)
	if got := Classify(err); got != ClassHandshakeTimeout {
		t.Errorf("class = %q, want handshake-timeout (err: %v)", got, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded and say what was waited for", err)
	}
}

// The server side of a blackhole: a client that connects and says nothing.
func TestServerHandshakeTimeout(t *testing.T) {
	must := mustConfig(t)
	hub := node(t, "hub")
	s := must(ServerConfig(material(t, hub), NeedClientCert))
	ln := listen(t)
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Server(conn, s)
	defer tc.Close()
	err = Handshake(context.Background(), tc, 300*time.Millisecond)
	if got := Classify(err); got != ClassHandshakeTimeout {
		t.Errorf("class = %q, want handshake-timeout (err: %v)", got, err)
	}
}

// A peer that accepts and closes without a word, as a crashing or
// firewalled broker does.
func TestPeerClosesDuringHandshake(t *testing.T) {
	must := mustConfig(t)
	hub := node(t, "hub")
	c := must(ClientConfig(material(t, nil, hub), "hub"))
	ln := listen(t)
	go func() {
		raw, err := ln.Accept()
		if err == nil {
			raw.Close()
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(raw, c)
	defer tc.Close()
	err = Handshake(context.Background(), tc, safety)
	t.Logf("client: %s %v", Classify(err), err)
	if got := Classify(err); got != ClassConnectionReset {
		t.Errorf("class = %q, want connection-reset (err: %v)", got, err)
	}
}
