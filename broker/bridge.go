package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/network"
	"github.com/brokerlab/brokerlab/broker/security"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Headers of the bridge protocol. A bridge is a STOMP connection on which
// both brokers act as client and server: each SUBSCRIBEs to the other for
// the destinations it has consumers for (demand), receives MESSAGE frames
// for them, and ACKs each one only after routing it locally, so a message
// is never dropped between brokers. The path header lists the brokers a
// message has been on, so it never goes back and TTL bounds its hops.
const (
	hdrBridge  = "brokerlab-bridge" // CONNECT: the dialling broker's name
	hdrLink    = "brokerlab-link"   // CONNECT: the link name, "from->to"
	hdrDuplex  = "brokerlab-duplex" // CONNECT: true if demand flows both ways
	hdrTTL     = "brokerlab-ttl"    // CONNECT: the connector's networkTTL
	hdrBroker  = "brokerlab-broker" // CONNECTED: the accepting broker's name
	hdrHops    = "brokerlab-hops"   // SUBSCRIBE: bridges between the peer and the consumer
	hdrPath    = "brokerlab-path"   // MESSAGE: brokers the message has been on
	pathSep    = ","
	bridgeHelp = "bridges are opened by brokerlab brokers"
)

// bridge is the broker-to-broker state of a conn.
type bridge struct {
	c      *conn
	peer   string // the other broker's name
	link   string // "from->to", the dialler first
	dialer bool
	duplex bool
	ttl    int

	// advertised is the demand we told the peer about: dest -> hops. Guarded by Broker.demandMu.
	advertised map[string]int
}

// advertises says whether we tell this peer about our consumers: the peer
// forwards to us only on a duplex bridge or when it dialled us.
func (br *bridge) advertises() bool { return br.duplex || !br.dialer }

// acceptsDemand says whether we forward to this peer.
func (br *bridge) acceptsDemand() bool { return br.duplex || br.dialer }

func joinPath(p []string) string { return strings.Join(p, pathSep) }

func sortDeliveries(ds []*delivery) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].seq < ds[j].seq })
}

// acceptBridge turns an accepted connection whose CONNECT carries the bridge
// header into the accepting end of a bridge.
func (b *Broker) acceptBridge(c *conn, f *stomp.Frame) error {
	peer := f.Get(hdrBridge)
	if peer == b.cfg.Name {
		return fmt.Errorf("bridge refused: %s is this broker; a connector points at its own broker", peer)
	}
	ttl, err := strconv.Atoi(f.Get(hdrTTL))
	if err != nil || ttl < 1 {
		ttl = network.DefaultNetworkTTL
	}
	link := f.Get(hdrLink)
	if link == "" {
		link = peer + "->" + b.cfg.Name
	}
	c.bridge = &bridge{c: c, peer: peer, link: link, duplex: f.Get(hdrDuplex) == "true", ttl: ttl, advertised: map[string]int{}}
	return nil
}

// started runs once the bridge's CONNECT/CONNECTED exchange is done, on
// either end.
func (br *bridge) started() {
	b := br.c.b
	b.mu.Lock()
	b.bridges[br.c] = struct{}{}
	b.mu.Unlock()
	if !br.dialer {
		b.emit(events.Event{Kind: events.BridgeState, Link: br.link, State: events.StateUp, Peer: br.peer, Remote: br.c.remote, Reason: duplexWord(br.duplex)})
	}
	b.advertiseAll(br)
}

func duplexWord(d bool) string {
	if d {
		return "duplex"
	}
	return "one-way"
}

// demand handles a SUBSCRIBE from the peer broker: it has consumers for
// dest, hops bridges away from it. A repeated SUBSCRIBE updates the hops.
func (br *bridge) demand(f *stomp.Frame, id, dest string) error {
	c := br.c
	if !br.acceptsDemand() {
		return nil // a one-way bridge carries messages only from the dialler
	}
	hops, _ := strconv.Atoi(f.Get(hdrHops))
	hops++ // the bridge itself is one more
	c.mu.Lock()
	old := c.subs[id]
	c.mu.Unlock()
	if old != nil {
		if old.hops == hops {
			return nil
		}
		c.b.removeSub(old)
	}
	if hops > br.ttl {
		return nil
	}
	s := &subscription{conn: c, id: id, ack: ackClientIndividual, window: c.b.cfg.Prefetch, dest: c.b.dest(dest),
		network: true, peer: br.peer, ttl: br.ttl, hops: hops}
	c.mu.Lock()
	c.subs[id] = s
	c.mu.Unlock()
	c.b.addSub(s)
	return nil
}

// ingest takes a message the peer forwarded, routes it here and ACKs it.
// The audit drops a second copy, which a redelivery after a lost ACK sends.
func (br *bridge) ingest(f *stomp.Frame) error {
	c := br.c
	b := c.b
	id, dest := f.Get("message-id"), f.Get("destination")
	ackID := f.Get("ack")
	ack := func() {
		if ackID != "" {
			c.send(stomp.New(stomp.ACK, "id", ackID))
		}
	}
	if id == "" || (!isQueue(dest) && !isTopic(dest)) {
		return c.fail(f, "bridge MESSAGE needs message-id and a /queue/ or /topic/ destination", "")
	}
	var path []string
	if p := f.Get(hdrPath); p != "" {
		path = strings.Split(p, pathSep)
	}
	m := &message{id: id, dest: dest, headers: userHeaders(f), body: f.Body, path: append(path, b.cfg.Name),
		persistent: f.Get("persistent") == "true" && isQueue(dest)}
	if err := c.authorize(security.Write, dest); err != nil {
		// Refused here, where the peer's principal is known; ACKed so the
		// sender does not offer it again, and reported as dropped.
		b.emit(events.Event{Kind: events.MessageDropped, Link: br.link, Dest: dest, ID: id, Reason: "not authorized: " + err.Error()})
		ack()
		return nil
	}
	if slices.Contains(path, b.cfg.Name) {
		b.emit(events.Event{Kind: events.MessageDropped, Link: br.link, Dest: dest, ID: id, Reason: "loop: the message has been on this broker before"})
		ack()
		return nil
	}
	if !b.audit.add(id) {
		b.emit(events.Event{Kind: events.MessageDropped, Link: br.link, Dest: dest, ID: id, Reason: "duplicate: this message id was already received"})
		ack()
		return nil
	}
	// Stored before the ACK: only then may the sending broker forget it.
	if err := b.persist(m); err != nil {
		return c.fail(f, msgNotStored, err.Error())
	}
	if isTopic(dest) && f.Get("persistent") == "true" {
		stored, err := b.persistForDurables(b.dest(dest), m)
		if err != nil {
			return c.fail(f, msgNotStored, err.Error())
		}
		m.persistent = stored
	}
	b.route(m)
	ack()
	return nil
}

// demandChanged re-advertises dest to every bridge.
func (b *Broker) demandChanged(d *destination) {
	b.demandMu.Lock()
	defer b.demandMu.Unlock()
	for _, br := range b.bridgeList() {
		b.advertise(br, d)
	}
}

func (b *Broker) advertiseAll(br *bridge) {
	b.mu.Lock()
	ds := make([]*destination, 0, len(b.dests))
	for _, d := range b.dests {
		ds = append(ds, d)
	}
	b.mu.Unlock()
	sort.Slice(ds, func(i, j int) bool { return ds[i].name < ds[j].name })
	b.demandMu.Lock()
	defer b.demandMu.Unlock()
	for _, d := range ds {
		b.advertise(br, d)
	}
}

func (b *Broker) bridgeList() []*bridge {
	b.mu.Lock()
	defer b.mu.Unlock()
	brs := make([]*bridge, 0, len(b.bridges))
	for c := range b.bridges {
		brs = append(brs, c.bridge)
	}
	return brs
}

// advertise tells br's peer whether we have demand for d: a consumer here,
// or further on behind another bridge within the TTL. Demand that came from
// the peer itself is never sent back. Called under demandMu.
func (b *Broker) advertise(br *bridge, d *destination) {
	if !br.advertises() {
		return
	}
	d.mu.Lock()
	hops, ok := 0, false
	for _, s := range d.subs {
		if s.conn == br.c || (s.network && s.peer == br.peer) {
			continue
		}
		if !ok || s.hops < hops {
			hops, ok = s.hops, true
		}
	}
	d.mu.Unlock()
	ok = ok && hops+1 <= br.ttl
	old, had := br.advertised[d.name]
	switch {
	case ok && (!had || old != hops):
		br.advertised[d.name] = hops
		br.c.send(stomp.New(stomp.SUBSCRIBE, "id", d.name, "destination", d.name, "ack", ackClientIndividual, hdrHops, strconv.Itoa(hops)))
	case !ok && had:
		delete(br.advertised, d.name)
		br.c.send(stomp.New(stomp.UNSUBSCRIBE, "id", d.name))
	}
}

// runConnector keeps one network connector connected until Shutdown.
func (b *Broker) runConnector(cfg network.Config) {
	defer b.wg.Done()
	linkOf := func(p network.Peer) string {
		if strings.Contains(cfg.Name, "->") {
			return cfg.Name
		}
		return b.cfg.Name + "->" + p.ServerName
	}
	var lastErr error
	observe := func(state string, p network.Peer, err error, delay time.Duration) {
		link := linkOf(p)
		switch state {
		case network.StateUp:
			return // the session reports up with the peer's details
		case network.StateRetrying:
			var tf *tlsFailure
			var ar *authRefused
			if errors.As(err, &ar) && b.ctx.Err() == nil {
				b.emit(events.Event{Kind: events.BridgeState, Link: link, State: events.StateFailing, Peer: p.ServerName, Reason: ar.msg})
			}
			if errors.As(err, &tf) && b.ctx.Err() == nil {
				b.tlsFailed(events.SideClient, link, nil, tf.err)
				b.emit(events.Event{Kind: events.BridgeState, Link: link, State: events.StateFailing, Class: string(tlsconf.Classify(tf.err)), Peer: p.ServerName, Reason: tf.err.Error()})
			}
			lastErr = err
			b.emit(events.Event{Kind: events.BridgeState, Link: link, State: events.StateRetrying, Peer: p.ServerName, Delay: delay, Reason: errString(err)})
			return
		}
		e := events.Event{Kind: events.BridgeState, Link: link, State: state, Peer: p.ServerName, Remote: p.Addr, Reason: errString(err)}
		if state == network.StateConnecting && lastErr != nil {
			e.Reason = "previous attempt: " + lastErr.Error()
		}
		b.emit(e)
	}
	network.Run(b.ctx, cfg, b.dial, func(ctx context.Context, nc net.Conn, p network.Peer, up func()) error {
		return b.bridgeSession(ctx, cfg, linkOf(p), nc, p, up)
	}, observe)
}

// tlsFailure marks an error as a TLS failure, so the connector reports its
// class rather than a plain network error.
type tlsFailure struct{ err error }

func (t *tlsFailure) Error() string { return t.err.Error() }
func (t *tlsFailure) Unwrap() error { return t.err }

func (b *Broker) dial(ctx context.Context, p network.Peer) (net.Conn, error) {
	d := net.Dialer{Timeout: b.cfg.HandshakeTimeout}
	nc, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil || !p.TLS {
		return nc, err
	}
	cfg, err := b.connectorTLS(p)
	if err != nil {
		nc.Close()
		return nil, err
	}
	tc := tls.Client(nc, cfg)
	if err := tlsconf.Handshake(ctx, tc, b.cfg.HandshakeTimeout); err != nil {
		nc.Close()
		return nil, &tlsFailure{err}
	}
	return tc, nil
}

// bridgeSession runs the dialling end of a bridge over nc until it ends.
func (b *Broker) bridgeSession(ctx context.Context, cfg network.Config, link string, nc net.Conn, p network.Peer, up func()) error {
	c := b.newConn(nc, "")
	ttl := cfg.NetworkTTL
	hb := strconv.FormatInt(b.cfg.HeartBeat.Milliseconds(), 10)
	connect := stomp.New(stomp.CONNECT, "accept-version", "1.2", "host", p.ServerName, "heart-beat", hb+","+hb,
		hdrBridge, b.cfg.Name, hdrLink, link, hdrDuplex, strconv.FormatBool(cfg.Duplex), hdrTTL, strconv.Itoa(ttl))
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
			return &tlsFailure{fmt.Errorf("%s, on the first read after a handshake that completed: %w", tlsVersionName(nc), err)}
		}
		return fmt.Errorf("waiting for CONNECTED: %w", err)
	}
	nc.SetDeadline(time.Time{})
	switch {
	case reply.Command == stomp.ERROR && isLoginRefusal(reply.Get("message")):
		return &authRefused{fmt.Sprintf("%s refused the bridge: %s", p.ServerName, reply.Get("message"))}
	case reply.Command == stomp.ERROR:
		return fmt.Errorf("%s refused the bridge: %s", p.ServerName, reply.Get("message"))
	case reply.Command != stomp.CONNECTED:
		return fmt.Errorf("expected CONNECTED from %s, got %s", p.ServerName, reply.Command)
	}
	peer := reply.Get(hdrBroker)
	if peer == "" {
		return fmt.Errorf("%s at %s is not a brokerlab broker (no %s header in CONNECTED)", p.ServerName, p.Addr, hdrBroker)
	}
	if peer == b.cfg.Name {
		err := fmt.Errorf("connector %s points at its own broker; disposed", link)
		b.emit(events.Event{Kind: events.BridgeState, Link: link, State: events.StateStopped, Reason: err.Error()})
		return err
	}
	c.version, c.connected = stomp.V12, true
	c.r.SetVersion(stomp.V12)
	c.w.SetVersion(stomp.V12)
	c.bridge = &bridge{c: c, peer: peer, link: link, dialer: true, duplex: cfg.Duplex, ttl: ttl, advertised: map[string]int{}}
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

func isRemoteTLSAlert(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return true
	}
	return strings.Contains(err.Error(), "remote error: tls:")
}
