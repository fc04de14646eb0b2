package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Target is one way into a broker under test: ours (started by Run as a
// child process) or any STOMP endpoint, a real ActiveMQ for one.
type Target struct {
	Transport string      // the table's label: Plaintext or TLS
	Addr      string      // HOST:PORT
	TLS       *tls.Config // nil for plaintext
	// Host is CONNECT's host header (the virtual host); "" sends the host
	// part of Addr.
	Host            string
	Login, Passcode string // CONNECT's login and passcode; "" sends none
	// PID is the broker's process, whose CPU time /proc/PID/stat gives;
	// 0 leaves the broker's CPU per message out.
	PID int
}

// TLSFiles are PEM files for a TLS target: the certificates to trust
// (required), and a client certificate and key for brokers that ask for one
// (mutual TLS).
type TLSFiles struct {
	CA, Cert, Key string
	ServerName    string // the name the broker's certificate must carry
}

// ClientTLS builds the client side of a TLS target from files, verifying
// the broker's certificate against f.CA and f.ServerName, never against
// the address dialled.
func ClientTLS(f TLSFiles) (*tls.Config, error) {
	if f.CA == "" {
		return nil, fmt.Errorf("bench: a TLS target needs the certificates to trust (--tls-ca)")
	}
	m, err := tlsconf.Load(tlsconf.Files{CertFile: f.Cert, KeyFile: f.Key, TrustFile: f.CA})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg, err := tlsconf.ClientConfig(m, f.ServerName)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return cfg, nil
}

// client is a go-stomp connection and what is under it, which the run's
// deadline closes to unblock whatever is waiting.
type client struct {
	*stomp.Conn
	raw net.Conn     // the TCP connection
	wb  *writeBehind // what go-stomp writes to, over raw or TLS over raw
}

// close cuts the connection: the socket first, which ends any system call
// in progress, TLS included, then the writer.
func (c *client) close() {
	c.raw.Close()
	c.wb.Close()
}

// Buffer sizes for the generator's connections: large reads mean fewer
// system calls per message (go-stomp flushes every frame it writes, to
// writeBehind, so the write buffer matters only for frames larger than it).
const (
	clientBuffer   = 64 << 10
	clientChannels = 256
)

func (t *Target) dial(ctx context.Context, timeout time.Duration) (*client, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	nc := raw
	if t.TLS != nil {
		tc := tls.Client(raw, t.TLS.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", t.Addr, err)
		}
		nc = tc
	}
	wb := newWriteBehind(nc)
	host := t.Host
	if host == "" {
		host, _, _ = net.SplitHostPort(t.Addr)
	}
	opts := []func(*stomp.Conn) error{
		stomp.ConnOpt.Host(host),
		// No heart-beats: their frames would be measured too, and every
		// run has its own deadline.
		stomp.ConnOpt.HeartBeat(0, 0),
		// go-stomp v3.1.3 takes the first number of the broker's
		// CONNECTED heart-beat as its read timeout (plus this margin) even
		// when it asked for none; our broker answers 1000,1000 whatever it
		// is asked, ActiveMQ 0,0. A producer, which receives nothing, would
		// then be cut off after 6 s. A margin of an hour turns that off.
		stomp.ConnOpt.HeartBeatError(time.Hour),
		// A Send that blocks because the broker pushes back through TCP is
		// part of the measurement; let it block up to the run's deadline
		// instead of go-stomp's default 10s.
		stomp.ConnOpt.MsgSendTimeout(timeout),
		stomp.ConnOpt.RcvReceiptTimeout(timeout),
		stomp.ConnOpt.DisconnectReceiptTimeout(5 * time.Second),
		stomp.ConnOpt.UnsubscribeReceiptTimeout(5 * time.Second),
		// go-stomp v3.1.3 sizes its write buffer from ReadBufferSize when
		// WriteBufferSize is set: give both the same.
		stomp.ConnOpt.ReadBufferSize(clientBuffer),
		stomp.ConnOpt.WriteBufferSize(clientBuffer),
		stomp.ConnOpt.ReadChannelCapacity(clientChannels),
		stomp.ConnOpt.WriteChannelCapacity(clientChannels),
	}
	if t.Login != "" || t.Passcode != "" {
		opts = append(opts, stomp.ConnOpt.Login(t.Login, t.Passcode))
	}
	c, err := stomp.ConnectWithContext(ctx, wb, opts...)
	if err != nil {
		raw.Close()
		wb.Close()
		return nil, err
	}
	return &client{Conn: c, raw: raw, wb: wb}, nil
}
