package faults

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// tlsLab is a real TLS echo server ("hub") behind a link's proxy, and the
// client configuration that trusts it. Server-side errors (handshake or
// read) arrive on errs.
type tlsLab struct {
	n      *Network
	listen string
	client *tls.Config
	errs   chan error
}

// bound guards against a hung test; it is never a timing assertion.
const bound = 10 * time.Second

func newTLSLab(t *testing.T, maxVersion uint16) *tlsLab {
	t.Helper()
	spec := &topology.Spec{Name: "toxics", Nodes: []*topology.Node{
		{Name: "hub", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"hub"}}},
	}}
	m, err := pki.Generate(spec, t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub := m.Nodes["hub"]
	cert, err := tls.LoadX509KeyPair(hub.CertFile, hub.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pemData, _ := os.ReadFile(hub.TrustFile)
	pool.AppendCertsFromPEM(pemData)

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: maxVersion})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	l := &tlsLab{client: &tls.Config{RootCAs: pool, ServerName: "hub", MaxVersion: maxVersion}, errs: make(chan error, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.serve(c.(*tls.Conn))
		}
	}()
	l.n = NewNetwork()
	t.Cleanup(l.n.Close)
	if l.listen, err = l.n.AddLink(testLink, ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	return l
}

// serve echoes lines; its first error is reported.
func (l *tlsLab) serve(c *tls.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if err := c.Handshake(); err != nil {
		l.errs <- err
		return
	}
	c.SetDeadline(time.Time{})
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			l.errs <- err
			return
		}
		if _, err := c.Write([]byte(line)); err != nil {
			l.errs <- err
			return
		}
	}
}

func (l *tlsLab) dial(t *testing.T, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	return l.dialWithin(t, cfg, bound)
}

func (l *tlsLab) dialWithin(t *testing.T, cfg *tls.Config, d time.Duration) (*tls.Conn, error) {
	t.Helper()
	raw, err := net.Dial("tcp", l.listen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	c := tls.Client(raw, cfg)
	c.SetDeadline(time.Now().Add(d))
	return c, c.Handshake()
}

func echo(c *tls.Conn, line string, wait time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(got, "\n"), err
}

func (l *tlsLab) serverErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-l.errs:
		return err
	case <-time.After(bound):
		t.Fatal("the server reported nothing")
		return nil
	}
}

func (l *tlsLab) apply(t *testing.T, kind string, p Params) Undo {
	t.Helper()
	f, err := New(kind, testLink, p)
	if err != nil {
		t.Fatal(err)
	}
	undo, err := f.Apply(context.Background(), l.n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { undo(context.Background()) })
	return undo
}

// mustWork: a fresh connection does a handshake and a round trip.
func (l *tlsLab) mustWork(t *testing.T, what string) {
	t.Helper()
	c, err := l.dial(t, l.client)
	if err != nil {
		t.Fatalf("%s: handshake: %v", what, err)
	}
	if got, err := echo(c, what, bound); err != nil || got != what {
		t.Fatalf("%s: echo %q, %v", what, got, err)
	}
	c.Close()
}

// openEchoed dials and makes one round trip, for the tests that act on a
// connection already open.
func (l *tlsLab) openEchoed(t *testing.T) *tls.Conn {
	t.Helper()
	c, err := l.dial(t, l.client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := echo(c, "before", bound); err != nil {
		t.Fatal(err)
	}
	return c
}

func wantClass(t *testing.T, who string, err error, want tlsconf.Class) {
	t.Helper()
	if got := tlsconf.Classify(err); got != want {
		t.Errorf("%s: %v classified %s, want %s", who, err, got, want)
	}
}

func TestTLSStallAfterClientHello(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			l := newTLSLab(t, v)
			undo := l.apply(t, "tls-stall-after-client-hello", nil)
			// The client's deadline is shorter than the server's (2s), so
			// under TLS 1.2, where both wait for the other, it gives up
			// first rather than seeing the server's close.
			c, err := l.dialWithin(t, l.client, 300*time.Millisecond)
			if v == tls.VersionTLS13 {
				// TLS 1.3: the client's handshake completes without the
				// server; its first read is where it stalls.
				if err != nil {
					t.Fatalf("TLS 1.3 client handshake: %v", err)
				}
				_, err = echo(c, "stalled", 300*time.Millisecond)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("client: %v, want a timeout", err)
			}
			// The server got the ClientHello and answered; it waits for
			// the client's next flight until its own deadline.
			wantClass(t, "server", l.serverErr(t), tlsconf.ClassHandshakeTimeout)
			undo(context.Background())
			l.mustWork(t, "after")
		})
	}
}

func TestTLSCloseAfterCertificate(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			l := newTLSLab(t, v)
			undo := l.apply(t, "tls-close-after-certificate", nil)
			_, err := l.dial(t, l.client)
			wantClass(t, "client", err, tlsconf.ClassConnectionReset)
			wantClass(t, "server", l.serverErr(t), tlsconf.ClassConnectionReset)

			// The certificate did reach the client. Under TLS 1.3 one that
			// does not trust it refuses it before the connection is cut.
			// Go's TLS 1.2 client reads the message after the Certificate
			// before it verifies it, so it sees only the close.
			untrusting := l.client.Clone()
			untrusting.RootCAs = x509.NewCertPool()
			_, err = l.dial(t, untrusting)
			want := tlsconf.ClassUnknownAuthority
			if v == tls.VersionTLS12 {
				want = tlsconf.ClassConnectionReset
			}
			wantClass(t, "untrusting client", err, want)
			<-l.errs

			undo(context.Background())
			l.mustWork(t, "after")
		})
	}
}

// An open connection: the next record from the server is damaged; the
// client fails it and tells the server.
func TestTLSCorruptRecord(t *testing.T) {
	for _, dir := range []string{"downstream", "upstream"} {
		t.Run(dir, func(t *testing.T) {
			l := newTLSLab(t, 0)
			c := l.openEchoed(t)
			undo := l.apply(t, "tls-corrupt-record", Params{"direction": dir})
			_, err := echo(c, "during", bound)
			wantClass(t, "client", err, tlsconf.ClassBadRecordMAC)
			wantClass(t, "server", l.serverErr(t), tlsconf.ClassBadRecordMAC)
			if _, remote, _ := tlsconf.Alert(err); remote != (dir == "upstream") {
				t.Errorf("client: remote=%v for %s damage", remote, dir)
			}
			undo(context.Background())
			l.mustWork(t, "after")
		})
	}
}

func TestTLSDropRecord(t *testing.T) {
	l := newTLSLab(t, 0)
	c := l.openEchoed(t)
	l.apply(t, "tls-drop-record", Params{"direction": "upstream"})
	// The first line's record vanishes; the second is decrypted with the
	// first one's sequence number and fails.
	c.Write([]byte("lost\n"))
	c.Write([]byte("next\n"))
	wantClass(t, "server", l.serverErr(t), tlsconf.ClassBadRecordMAC)
}

func TestTLSTruncateRecord(t *testing.T) {
	l := newTLSLab(t, 0)
	c := l.openEchoed(t)
	undo := l.apply(t, "tls-truncate-record", nil)
	_, err := echo(c, "cut", bound)
	wantClass(t, "client", err, tlsconf.ClassConnectionReset)
	undo(context.Background())
	l.mustWork(t, "after")
}

func TestTLSToxicParams(t *testing.T) {
	for _, tt := range []struct {
		kind string
		p    Params
		err  string
	}{
		{"tls-stall-after-client-hello", Params{"for": "1s"}, `faults: tls-stall-after-client-hello: unknown field "for"; tls-stall-after-client-hello takes none`},
		{"tls-corrupt-record", Params{"direction": "sideways"}, `faults: tls-corrupt-record: field "direction": "sideways" is not one of upstream, downstream`},
		{"tls-truncate-record", Params{"skip": "-1"}, `faults: tls-truncate-record: field "skip": "-1" is not a whole number of records (0 or more)`},
	} {
		if _, err := New(tt.kind, testLink, tt.p); err == nil || err.Error() != tt.err {
			t.Errorf("%s %v: err %v, want %s", tt.kind, tt.p, err, tt.err)
		}
	}
	f, err := New("tls-corrupt-record", testLink, Params{"skip": "3", "direction": "upstream"})
	if err != nil || f.Name() != "tls-corrupt-record server-a->hub (upstream, after 3 records)" {
		t.Errorf("Name() = %q, %v", f.Name(), err)
	}
}

// skip lets that many application-data records through first, on each
// connection.
func TestTLSCorruptRecordSkip(t *testing.T) {
	l := newTLSLab(t, 0)
	c := l.openEchoed(t)
	l.apply(t, "tls-corrupt-record", Params{"skip": "2"})
	for _, line := range []string{"one", "two"} {
		if got, err := echo(c, line, bound); err != nil || got != line {
			t.Fatalf("record %s, within skip: %q, %v", line, got, err)
		}
	}
	_, err := echo(c, "three", bound)
	wantClass(t, "client", err, tlsconf.ClassBadRecordMAC)
}
