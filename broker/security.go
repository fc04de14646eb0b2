package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/security"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// This file joins the broker to package security: every CONNECT goes
// through the chain's AddConnection (and AddBridge for bridges), every SEND,
// SUBSCRIBE, ACK, destination creation and every message or demand a bridge
// forwards through the matching hook. Connections this broker dialled (the
// dialling end of a bridge) carry no security state: the peer is the broker
// the connector was told to trust, and is checked on its own side.

// msgLoginFailed prefixes every refused CONNECT's ERROR message.
const msgLoginFailed = "login failed: "

// securityChain builds Options.Security (or Options.Users, mapped onto a
// users module) into the chain; nil when nothing is configured.
func (o Options) securityChain() (*security.Chain, error) {
	cfg := o.Security
	if len(o.Users) > 0 {
		if cfg.Enabled() {
			return nil, errors.New("broker: Users and Security: give users in Security.Users, not both")
		}
		cfg = &security.Config{Users: o.Users, Login: []security.ModuleConfig{{Module: "users", Flag: security.Required}}}
	}
	ch, err := security.New(cfg, matchDest)
	if err != nil {
		return nil, fmt.Errorf("broker: Security: %w", err)
	}
	return ch, nil
}

// login runs the chain's connection hooks for an accepted CONNECT. The
// returned error's text is what the ERROR frame says after "login failed: ".
func (b *Broker) login(c *conn, f *stomp.Frame) error {
	if b.cfg.sec == nil {
		return nil
	}
	v := security.ConnView{Login: f.Get("login"), Passcode: security.Secret(f.Get("passcode"))}
	v.Remote, _ = netip.ParseAddrPort(c.remote)
	if tc, ok := c.nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		v.TLS = &st
		v.PeerDN, _ = tlsconf.Principal(st)
	}
	sc := &security.Conn{View: v, Bridge: f.Get(hdrBridge), Link: f.Get(hdrLink)}
	err := b.cfg.sec.AddConnection(sc)
	if err == nil && sc.Bridge != "" {
		err = b.cfg.sec.AddBridge(sc)
	}
	sc.View.Passcode = "" // checked; not kept for the life of the connection
	if err != nil {
		who := v.PeerDN
		if v.Login != "" {
			who = fmt.Sprintf("login %q", v.Login)
		}
		reason := err.Error()
		var le *security.LoginError
		if errors.As(err, &le) && len(le.Tried) > 0 {
			// Which modules ran shows a requisite stopping the stack.
			reason += "; modules run: " + strings.Join(le.Tried, ", ")
		}
		b.emit(events.Event{Kind: events.AuthFailed, Remote: c.remote, Local: c.local, Link: sc.Link, Peer: who, Reason: reason})
		return err
	}
	c.sec = sc
	if p := sc.Principal; p != nil {
		b.emit(events.Event{Kind: events.Authenticated, Remote: c.remote, Local: c.local, Link: sc.Link, Peer: p.User,
			Reason: fmt.Sprintf("groups [%s]; by %s", strings.Join(p.Groups, " "), strings.Join(p.Via, ", "))})
	}
	return nil
}

// authorize runs the chain's hook for op on dest (creating dest first if
// it does not exist yet) and reports a refusal as an authz-denied event.
func (c *conn) authorize(op security.Op, dest string) error {
	ch := c.b.cfg.sec
	if ch == nil || c.sec == nil {
		return nil
	}
	var err error
	if op != security.Read || !isPattern(dest) {
		if !c.b.hasDest(dest) {
			err = ch.CreateDestination(c.sec, dest)
		}
	}
	if err == nil {
		switch op {
		case security.Read:
			err = ch.Subscribe(c.sec, dest)
		case security.Write:
			err = ch.Send(c.sec, dest)
		}
	}
	if err != nil {
		e := events.Event{Kind: events.AuthzDenied, Remote: c.remote, Peer: c.sec.User(), Dest: dest, Reason: err.Error()}
		if c.bridge != nil {
			e.Link = c.bridge.link
		}
		c.b.emit(e)
	}
	return err
}

// authorizeAck runs the chain's Ack hook for the delivery the ACK names
// (the destination is "" when it names none; settle then refuses it).
func (c *conn) authorizeAck(id string, byMessageID bool) error {
	if c.b.cfg.sec == nil || c.sec == nil {
		return nil
	}
	c.mu.Lock()
	dest := ""
	if d := c.delivery(id, byMessageID); d != nil {
		dest = d.sub.dest.name
	}
	c.mu.Unlock()
	return c.b.cfg.sec.Ack(c.sec, dest, id)
}

func (b *Broker) hasDest(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.dests[name]
	return ok
}

// removeConnection tells the chain a connection ended.
func (b *Broker) removeConnection(c *conn) {
	if b.cfg.sec != nil && c.sec != nil {
		b.cfg.sec.RemoveConnection(c.sec)
	}
}

func isLoginRefusal(msg string) bool { return strings.HasPrefix(msg, msgLoginFailed) }
