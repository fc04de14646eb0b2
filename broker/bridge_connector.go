package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/network"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// runConnector keeps one network connector connected until Shutdown. The
// schedule is network.Run's; this turns its states into bridge events.
func (b *Broker) runConnector(cfg network.Config, index int) {
	defer b.wg.Done()
	connID := b.runID + "." + strconv.Itoa(index)
	linkOf := func(p network.Peer) string {
		if strings.Contains(cfg.Name, "->") {
			return cfg.Name
		}
		return b.cfg.Name + "->" + p.ServerName
	}
	observe := func(state string, p network.Peer, err error, delay time.Duration) {
		link := linkOf(p)
		e := events.Event{Kind: events.BridgeState, Link: link, State: state, Peer: p.ServerName, Remote: p.Addr, Reason: errString(err)}
		switch state {
		case network.StateUp:
			return // the session reports up with the peer's details
		case network.StateRetrying:
			if b.ctx.Err() != nil {
				return
			}
			switch kind, class := network.KindOf(err); kind {
			case network.FailTLS:
				var tf *tlsFailure
				if errors.As(err, &tf) {
					b.tlsFailed(events.SideClient, link, nil, tf.err)
				}
				b.emit(events.Event{Kind: events.BridgeState, Link: link, State: events.StateTLSFailed, Class: class, Peer: p.ServerName, Remote: p.Addr, Reason: errString(err)})
			case network.FailAuth:
				b.emit(events.Event{Kind: events.BridgeState, Link: link, State: events.StateAuthFailed, Peer: p.ServerName, Remote: p.Addr, Reason: errString(err)})
			}
			e.Delay = delay
		case network.StateStopped:
			if k, _ := network.KindOf(err); k == network.FailDispose {
				e.Reason = "disposed: " + e.Reason
			}
		}
		b.emit(e)
	}
	network.Run(b.ctx, cfg, network.Hooks{
		Connect: b.connectTCP,
		Session: func(ctx context.Context, nc net.Conn, p network.Peer, up func()) error {
			return b.bridgeSession(ctx, cfg, connID, linkOf(p), nc, p, up)
		},
		Observe: observe,
	})
}

// tlsFailure marks an error as a TLS failure, so the connector reports its
// class rather than a plain network error.
type tlsFailure struct{ err error }

func (t *tlsFailure) Error() string { return t.err.Error() }
func (t *tlsFailure) Unwrap() error { return t.err }

func failTLS(err error) error {
	return network.Fail(network.FailTLS, string(tlsconf.Classify(err)), &tlsFailure{err})
}

// connectTCP is the cheap part of an attempt: a refused connect costs the
// peer nothing, so the connector may repeat it often.
func (b *Broker) connectTCP(ctx context.Context, p network.Peer) (net.Conn, error) {
	d := net.Dialer{Timeout: b.cfg.HandshakeTimeout}
	return d.DialContext(ctx, "tcp", p.Addr)
}

// secure runs the TLS handshake of a connector's connection: the costly
// part, whose failures follow the backoff.
func (b *Broker) secure(ctx context.Context, nc net.Conn, p network.Peer) (net.Conn, error) {
	if !p.TLS {
		return nc, nil
	}
	cfg, err := b.connectorTLS(p)
	if err != nil {
		return nil, network.Fail(network.FailDispose, "", err)
	}
	tc := tls.Client(nc, cfg)
	if err := tlsconf.Handshake(ctx, tc, b.cfg.HandshakeTimeout); err != nil {
		if silent(nc, err) {
			return nil, network.Fail(network.FailAbsent, "", fmt.Errorf("%s at %s closed the connection before the TLS handshake began: nothing listens behind it", p.ServerName, p.Addr))
		}
		return nil, failTLS(err)
	}
	return tc, nil
}

// countingConn counts the bytes the peer sent, so that a connection closed
// before a single one (a proxy with nothing behind it) is told apart from
// a peer that answered and then refused.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// silent: the peer closed or reset the connection without a byte.
func silent(nc net.Conn, err error) bool {
	cc, ok := nc.(*countingConn)
	if !ok || cc.n.Load() > 0 {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

// bridgeSession runs the dialling end of a bridge over nc until it ends.
func (b *Broker) bridgeSession(ctx context.Context, cfg network.Config, connID, link string, nc net.Conn, p network.Peer, up func()) error {
	raw := &countingConn{Conn: nc}
	nc, err := b.secure(ctx, raw, p)
	if err != nil {
		return err
	}
	c := b.newConn(nc, "")
	hb := strconv.FormatInt(b.cfg.HeartBeat.Milliseconds(), 10)
	connect := stomp.New(stomp.CONNECT, "accept-version", "1.2", "host", p.ServerName, "heart-beat", hb+","+hb,
		hdrBridge, b.cfg.Name, hdrLink, link, hdrDuplex, strconv.FormatBool(cfg.Duplex), hdrTTL, strconv.Itoa(cfg.MessageTTL),
		hdrConsumerTTL, strconv.Itoa(cfg.ConsumerTTL), hdrOptions, bridgeOptionsOf(cfg).String(), hdrConnector, connID)
	if cfg.UserName != "" {
		connect.Set("login", cfg.UserName)
		connect.Set("passcode", cfg.Password)
	}
	nc.SetDeadline(time.Now().Add(b.cfg.HandshakeTimeout))
	if err := c.w.WriteFrame(connect); err == nil {
		err = c.w.Flush()
	}
	reply, err := c.r.ReadFrame()
	if err != nil {
		// TLS 1.3: a server that refuses our certificate says so only now,
		// on the first read after a handshake that looked fine.
		if tlsconf.Classify(err) != tlsconf.ClassOther && isRemoteTLSAlert(err) {
			return failTLS(fmt.Errorf("%s, on the first read after a handshake that completed: %w", tlsVersionName(nc), err))
		}
		if silent(raw, err) {
			hint := ""
			if !p.TLS {
				hint = ", or it is not a plaintext STOMP listener (a TLS port dialled with tcp:// looks the same)"
			}
			return network.Fail(network.FailAbsent, "", fmt.Errorf("%s at %s closed the connection before a word: nothing listens behind it%s", p.ServerName, p.Addr, hint))
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return network.Fail(network.FailStall, "", fmt.Errorf("%s at %s accepted the connection but sent no CONNECTED within %v", p.ServerName, p.Addr, b.cfg.HandshakeTimeout))
		}
		return fmt.Errorf("waiting for CONNECTED: %w", err)
	}
	nc.SetDeadline(time.Time{})
	switch {
	case reply.Command == stomp.ERROR:
		return refusal(p.ServerName, reply.Get("message"))
	case reply.Command != stomp.CONNECTED:
		return fmt.Errorf("expected CONNECTED from %s, got %s", p.ServerName, reply.Command)
	}
	peer := reply.Get(hdrBroker)
	if peer == "" {
		return fmt.Errorf("%s at %s is not a brokerlab broker (no %s header in CONNECTED)", p.ServerName, p.Addr, hdrBroker)
	}
	if peer == b.cfg.Name {
		return network.Fail(network.FailDispose, "", fmt.Errorf("connector %s points at its own broker %s", link, peer))
	}
	c.version = stomp.V12
	c.connected.Store(true)
	c.r.SetVersion(stomp.V12)
	c.w.SetVersion(stomp.V12)
	c.bridge = newBridge(c, peer, link, true, cfg.Duplex, cfg.MessageTTL, cfg.ConsumerTTL, bridgeOptionsOf(cfg))
	c.bridge.filter = newBridgeFilter(cfg)
	c.bridge.connID = connID
	sx, sy, _ := parseHeartBeat(reply.Get("heart-beat"))
	c.setHeartbeat(heartbeatIntervals(sx, sy, b.cfg.HeartBeat))
	if !b.register(c) {
		return errShutdown
	}
	go c.writeLoop()
	up()
	b.emit(events.Event{Kind: events.BridgeState, Link: link, State: events.StateUp, Peer: peer, Remote: p.Addr, Local: c.local, Reason: duplexWord(cfg.Duplex)})
	c.bridge.started()
	go func() {
		select {
		case <-ctx.Done():
			c.close(errShutdown)
		case <-c.closed:
		}
	}()
	c.readLoop()
	<-c.closed
	return c.closeReason()
}

// refusal types the peer's ERROR answer to a bridge's CONNECT: a login
// refused is auth-failed (costly, backs off), a self-loop is disposed.
func refusal(peer, msg string) error {
	err := fmt.Errorf("%s refused the bridge: %s", peer, msg)
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "its own broker"):
		return network.Fail(network.FailDispose, "", err)
	case isLoginRefusal(msg) || strings.Contains(low, "login") || strings.Contains(low, "passcode") || strings.Contains(low, "authenticat") || strings.Contains(low, "not authorized"):
		return network.Fail(network.FailAuth, "", err)
	}
	return err
}

func isRemoteTLSAlert(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return true
	}
	return strings.Contains(err.Error(), "remote error: tls:")
}
