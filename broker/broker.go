package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/brokerlab/brokerlab/broker/admin"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/store"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/broker/transport"
)

// AnonymousPeer is the peer of a TLS connection admitted under
// wantClientAuth without a client certificate.
const AnonymousPeer = "anonymous"

// Version is reported in CONNECTED's server header.
const Version = "0.1"

// ErrBrokerClosed is returned by Start after Shutdown or Kill.
var ErrBrokerClosed = errors.New("broker: closed")

// Broker is one STOMP broker with its listeners and network connectors.
type Broker struct {
	idPrefix string   // of message ids: "ID:<name>"
	selfPath []string // the path of a message made here; shared, never written
	cfg      *config
	runID    string
	seq      atomic.Uint64

	mu        sync.Mutex
	dests     map[string]*destination
	conns     map[*conn]struct{}
	bridges   map[*conn]struct{}
	listeners []net.Listener
	bound     []Listener
	started   bool
	stopped   bool

	wildcards []*wildcardSub      // guarded by mu
	clientIDs map[string]*conn    // guarded by mu: CONNECT's client-id, one connection each
	durables  map[string]*durable // guarded by mu
	// durablePatterns are durable subscriptions to wildcard topics, by the
	// same keys as durables (a key is in one map or neither); guarded by mu.
	durablePatterns map[string]*durablePattern

	temps tempRegistry // temporary destinations made here, by owner (temp.go)
	mem   memoryUse    // every destination's bytes, against BrokerMemoryLimit (memory.go)

	demandMu sync.Mutex // serialises demand advertisement so peers see changes in order
	audit    *audit

	admin *admin.Server // nil without Options.AdminAddr

	storeMu sync.RWMutex
	store   *store.Store // nil without Options.DataDir; guarded by storeMu
	acks    chan string  // persistent message ids acknowledged, for ackWriter
	ackDone chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Listener is a bound listener: its URI as configured, and the address
// actually bound (port 0 resolved).
type Listener struct {
	URI  string `json:"uri"`
	Addr string `json:"addr"`
}

// New validates the options and returns a broker that is not yet listening.
func New(o Options) (*Broker, error) {
	cfg, err := o.validate()
	if err != nil {
		startFailed(o, err)
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{
		cfg:             cfg,
		idPrefix:        "ID:" + cfg.Name,
		selfPath:        []string{cfg.Name},
		runID:           strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		dests:           map[string]*destination{},
		clientIDs:       map[string]*conn{},
		conns:           map[*conn]struct{}{},
		bridges:         map[*conn]struct{}{},
		durables:        map[string]*durable{},
		durablePatterns: map[string]*durablePattern{},
		audit:           newAudit(1 << 16),
		ctx:             ctx,
		cancel:          cancel,
	}
	if cfg.AdminAddr != "" {
		hub, metrics := admin.NewHub(admin.DefaultKeep), admin.NewMetrics(cfg.Name)
		cfg.Events = admin.Tee(cfg.Events, hub, metrics)
		b.admin, err = admin.New(admin.Options{Addr: cfg.AdminAddr, Node: cfg.Name, Hub: hub, Metrics: metrics,
			Stats: admin.StatsFunc(func() any { return b.Stats() }), Health: admin.HealthFunc(b.healthy)})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("broker: AdminAddr: %w", err)
		}
	}
	return b, nil
}

// healthy is what /healthz reports: listening, not shutting down, and,
// with a store, the store taking appends. A failed store is sticky (every
// persistent send is refused until a restart), so a broker that still
// answers for non-persistent traffic must not look fit.
func (b *Broker) healthy() error {
	st := b.currentStore() // before b.mu: the two locks are never held together
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.stopped:
		return errors.New("shutting down")
	case !b.started:
		return errors.New("not started")
	}
	if st != nil {
		if err := st.Err(); err != nil {
			return fmt.Errorf("store failed, persistent messages are refused until a restart: %w", err)
		}
	}
	return nil
}

// AdminAddr is the bound address of the admin endpoint, "" without one.
func (b *Broker) AdminAddr() string {
	if b.admin == nil {
		return ""
	}
	return b.admin.Addr()
}

// Name is the broker's name.
func (b *Broker) Name() string { return b.cfg.Name }

// Start binds every listener, then starts the network connectors. When it
// returns without error the broker accepts connections on Listeners().
func (b *Broker) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return ErrBrokerClosed
	}
	if b.started {
		return errors.New("broker: already started")
	}
	b.started = true
	if b.cfg.DataDir != "" {
		b.mu.Unlock()
		err := b.openStore()
		b.mu.Lock()
		if err != nil {
			return fmt.Errorf("broker %s: %w", b.cfg.Name, err)
		}
	}
	for _, l := range b.cfg.listeners {
		ln, err := l.Listen()
		if err != nil {
			for _, x := range b.listeners {
				x.Close()
			}
			b.listeners = nil
			return fmt.Errorf("broker %s: %w", b.cfg.Name, err)
		}
		b.listeners = append(b.listeners, ln)
		b.bound = append(b.bound, Listener{URI: l.WithAddr(ln.Addr().String()), Addr: ln.Addr().String()})
	}
	if b.admin != nil {
		if err := b.admin.Start(); err != nil {
			for _, x := range b.listeners {
				x.Close()
			}
			return fmt.Errorf("broker %s: admin endpoint: %w", b.cfg.Name, err)
		}
	}
	for i, ln := range b.listeners {
		l := b.cfg.listeners[i]
		b.emit(events.Event{Kind: events.ListenerUp, Local: ln.Addr().String(), Reason: l.URI})
		b.wg.Add(1)
		go b.acceptLoop(ln, l)
	}
	for i, c := range b.cfg.connectors {
		b.wg.Add(1)
		go b.runConnector(c, i)
	}
	return nil
}

// Listeners returns the bound listeners, in the order configured.
func (b *Broker) Listeners() []Listener {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Listener(nil), b.bound...)
}

func (b *Broker) acceptLoop(ln net.Listener, l transport.Listener) {
	defer b.wg.Done()
	var tlsCfg *tls.Config
	if l.TLS {
		var err error
		tlsCfg, err = b.listenerTLS(l)
		if err != nil {
			b.emit(events.Event{Kind: events.ConnRefused, Local: ln.Addr().String(), Reason: err.Error()})
			return
		}
	}
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.serve(nc, l, tlsCfg)
		}()
	}
}

func (b *Broker) serve(nc net.Conn, l transport.Listener, tlsCfg *tls.Config) {
	if tlsCfg != nil {
		cc := &countingConn{Conn: nc}
		tc := tls.Server(cc, tlsCfg)
		if err := tlsconf.Handshake(b.ctx, tc, b.cfg.HandshakeTimeout); err != nil {
			switch {
			case b.ctx.Err() != nil: // a handshake cut short by Shutdown is not a TLS failure
			case silent(cc, err):
				// Closed before a byte: a connector's probe or a health
				// check, not a TLS failure.
				b.emit(events.Event{Kind: events.ConnClosed, Remote: nc.RemoteAddr().String(), Local: nc.LocalAddr().String(), Reason: "closed before the TLS handshake began (a connect probe or health check)"})
			default:
				b.tlsFailed(events.SideServer, "", nc, err)
			}
			nc.Close()
			return
		}
		nc = tc
	}
	c := b.newConn(nc, l.URI)
	if ok, full := b.admit(c); !ok {
		if full {
			// Said in STOMP so a client knows why, then closed.
			b.emit(events.Event{Kind: events.ConnRefused, Remote: c.remote, Local: c.local, Reason: msgTooManyConnections})
			c.fail(nil, msgTooManyConnections, fmt.Sprintf("this broker accepts at most %d connections", b.cfg.MaxConnections))
			c.writeLoop()
		}
		nc.Close()
		return
	}
	e := events.Event{Kind: events.ConnAccepted, Remote: c.remote, Local: c.local, Reason: l.URI}
	if tc, ok := nc.(*tls.Conn); ok {
		// Who the peer is, as its verified certificate says; under
		// wantClientAuth a peer without one is let in anonymously, which
		// is worth saying out loud.
		if dn, _ := tlsconf.Principal(tc.ConnectionState()); dn != "" {
			e.Peer = dn
		} else if l.ClientAuth == transport.WantClientCert {
			e.Peer = AnonymousPeer
			e.Reason = l.URI + ": no client certificate; admitted anonymously (wantClientAuth)"
		}
	}
	b.emit(e)
	go c.writeLoop()
	c.readLoop()
}

// tlsFailed reports a handshake failure with its class and, when the peer
// presented a certificate we could not verify, whose it was.
func (b *Broker) tlsFailed(side, link string, nc net.Conn, err error) {
	e := events.Event{Kind: events.TLSFailed, Side: side, Link: link, Class: string(tlsconf.Classify(err)), Reason: err.Error()}
	if nc != nil {
		e.Remote, e.Local = nc.RemoteAddr().String(), nc.LocalAddr().String()
	}
	if certs := tlsconf.PeerCertificates(err); len(certs) > 0 {
		e.Peer = certs[0].Subject.CommonName
	}
	b.emit(e)
}

// admit registers an accepted connection unless the broker is stopping
// (ok false) or full (ok false, full true).
func (b *Broker) admit(c *conn) (ok, full bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false, false
	}
	if len(b.conns) >= b.cfg.MaxConnections {
		return false, true
	}
	b.conns[c] = struct{}{}
	return true, false
}

func (b *Broker) register(c *conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	b.conns[c] = struct{}{}
	return true
}

// connClosed forgets a connection and gives back what it held: its
// subscriptions go, unacknowledged messages return to their queues,
// transactions are dropped.
func (b *Broker) connClosed(c *conn) {
	b.mu.Lock()
	delete(b.conns, c)
	_, wasBridge := b.bridges[c]
	delete(b.bridges, c)
	b.mu.Unlock()

	b.release(c)
	b.removeConnection(c)
	if c.connected.Load() || wasBridge {
		b.emit(events.Event{Kind: events.ConnClosed, Remote: c.remote, Local: c.local, Reason: errString(c.closeReason())})
	}
	if wasBridge {
		b.advise(c.bridge, false)
	}
	if wasBridge && !c.bridge.dialer {
		b.emit(events.Event{Kind: events.BridgeState, Link: c.bridge.link, State: events.StateDown, Peer: c.bridge.peer, Remote: c.remote, Reason: errString(c.closeReason())})
	}
}

// release lets go of everything a connection holds: its subscriptions
// (unacknowledged messages go back to their queues or durable
// subscriptions), wildcard subscriptions, temporary destinations and open
// transactions. It runs when the connection closes, and earlier on
// DISCONNECT, before the RECEIPT: a client that has its receipt can
// subscribe again at once under the same client-id and durable name. A
// second call finds nothing left to release.
func (b *Broker) release(c *conn) {
	b.mu.Lock()
	if c.clientID != "" && b.clientIDs[c.clientID] == c {
		delete(b.clientIDs, c.clientID)
	}
	b.mu.Unlock()
	c.mu.Lock()
	subs := c.subs
	c.subs = map[string]*subscription{}
	wild := c.wild
	c.wild = map[string]*wildcardSub{}
	temps := c.temps
	c.temps = map[string]string{}
	unacked := c.unacked
	c.unacked = map[string]*delivery{}
	c.tx = map[string]*transaction{}
	c.txBytes = 0
	c.mu.Unlock()
	for _, s := range subs {
		b.removeSubQuiet(s)
	}
	for _, w := range wild {
		b.unsubscribePattern(w)
	}
	for _, real := range temps {
		b.temps.forget(c, real) // first: a SEND from now on is refused, not let in to a destination being deleted
		b.deleteDest(real)
	}
	bySub := map[*subscription][]*delivery{}
	for _, d := range unacked {
		bySub[d.sub] = append(bySub[d.sub], d)
	}
	for s, ds := range bySub {
		sortDeliveries(ds)
		ms := make([]*message, len(ds))
		var size int64
		for i, d := range ds {
			ms[i] = d.msg
			size += d.size
		}
		s.dest.giveBack(s, ms)
		s.dest.settled(size)
	}
	for _, s := range subs {
		b.demandChanged(s.dest)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Shutdown stops accepting, stops the connectors, lets every connection
// write what it has queued, closes them and waits for all goroutines, or
// for ctx.
func (b *Broker) Shutdown(ctx context.Context) error {
	conns := b.stop()
	for _, c := range conns {
		c.enqueue(outItem{closeAfter: true})
	}
	if b.admin != nil {
		b.admin.Shutdown(ctx)
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		b.closeStore(true)
		return nil
	case <-ctx.Done():
		b.Kill()
		return ctx.Err()
	}
}

// Kill stops the broker at once, as a crash would: sockets are closed with
// whatever was queued for them.
func (b *Broker) Kill() {
	for _, c := range b.stop() {
		c.close(errShutdown)
	}
	// As a crash would: acknowledgements not yet written are lost (those
	// messages come back once), stored messages are not.
	b.closeStore(false)
	if b.admin != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		b.admin.Shutdown(ctx)
	}
}

func (b *Broker) stop() []*conn {
	b.mu.Lock()
	b.stopped = true
	for _, ln := range b.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(b.conns))
	for c := range b.conns {
		conns = append(conns, c)
	}
	b.mu.Unlock()
	b.cancel()
	return conns
}

func (b *Broker) emit(e events.Event) {
	e.Node = b.cfg.Name
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b.cfg.Events.Emit(e)
	b.logEvent(e)
}

func (b *Broker) nextID(prefix string) string {
	id := b.appendID(make([]byte, 0, len(prefix)+len(b.runID)+22), prefix)
	return unsafe.String(&id[0], len(id)) // one allocation; id is never written again
}

// appendID appends a new id, "<prefix>-<run>-<seq>", to dst.
func (b *Broker) appendID(dst []byte, prefix string) []byte {
	dst = append(dst, prefix...)
	dst = append(dst, '-')
	dst = append(dst, b.runID...)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, b.seq.Add(1), 10)
}

// dest returns the destination, creating it on first use.
func (b *Broker) dest(name string) *destination {
	b.mu.Lock()
	d := b.dests[name]
	created := d == nil
	if created {
		// A copy: the name may share its allocation with a message body
		// (see message.dropBody), and a destination lives long.
		name = strings.Clone(name)
		d = &destination{name: name, topic: isTopic(name), b: b}
		b.dests[name] = d
	}
	b.mu.Unlock()
	if created {
		b.attachWildcards(d)
	}
	return d
}

func (b *Broker) route(m *message) { b.dest(m.dest).publish(m) }

// DeadLetterQueue is where messages go that consumers kept refusing, as in
// ActiveMQ's default shared dead-letter strategy.
const DeadLetterQueue = "/queue/ActiveMQ.DLQ"

// deadLetter moves m to the DLQ; record is the store's record of it, which
// the same append acknowledges.
func (b *Broker) deadLetter(m *message, record, why string) {
	hs := make([]stomp.Header, 0, len(m.headers)+1)
	hs = append(hs, stomp.Header{Key: "original-destination", Value: m.dest})
	for _, h := range m.headers {
		if h.Key != "original-destination" {
			hs = append(hs, h)
		}
	}
	body, err := b.body(m)
	if err != nil {
		b.emit(events.Event{Kind: events.MessageDropped, Dest: m.dest, ID: m.id, Reason: "not dead-lettered: " + err.Error() + "; it stays in the store"})
		return
	}
	b.emit(events.Event{Kind: events.MessageDropped, Dest: m.dest, ID: m.id, Reason: "dead-lettered to " + DeadLetterQueue + ": " + why})
	dead := &message{id: m.id, dest: DeadLetterQueue, headers: hs, body: body, path: m.path, redelivered: true, persistent: m.persistent}
	if st := b.currentStore(); m.persistent && st != nil {
		// One append: the message is in the DLQ or still where it was after a crash, never neither.
		if err := st.Append(store.Record{Kind: store.Ack, ID: record}, putRecord(dead)); err != nil {
			b.emit(events.Event{Kind: events.StoreRecovered, State: storeFailed, Reason: "dead-lettering " + m.id + ": " + err.Error()})
		}
	}
	b.route(dead)
}

func (b *Broker) addSub(s *subscription) {
	s.dest.addSub(s)
	b.demandChanged(s.dest)
}

func (b *Broker) removeSub(s *subscription) {
	b.removeSubQuiet(s)
	b.demandChanged(s.dest)
}

// removeSubQuiet detaches s and returns its unacknowledged messages to the
// queue, without re-advertising demand.
func (b *Broker) removeSubQuiet(s *subscription) {
	s.dest.removeSub(s)
	c := s.conn
	c.mu.Lock()
	var ds []*delivery
	var size int64
	for k, d := range c.unacked {
		if d.sub == s {
			ds = append(ds, d)
			size += d.size
			delete(c.unacked, k)
		}
	}
	s.sent = nil
	c.mu.Unlock()
	sortDeliveries(ds)
	ms := make([]*message, len(ds))
	for i, d := range ds {
		ms[i] = d.msg
	}
	s.dest.giveBack(s, ms)
	s.dest.settled(size)
}

// deleteDest forgets a destination and whatever it held (a temporary
// destination whose connection ended).
func (b *Broker) deleteDest(name string) {
	b.mu.Lock()
	d := b.dests[name]
	delete(b.dests, name)
	b.mu.Unlock()
	if d != nil {
		d.mu.Lock()
		for _, m := range d.pending {
			b.forget(m)
		}
		d.pending, d.subs = nil, nil
		d.forgetBytes()
		d.mu.Unlock()
	}
}

// HasDemand reports whether dest has any consumer on this broker, local or
// a network consumer on behalf of a peer.
func (b *Broker) HasDemand(dest string) bool {
	b.mu.Lock()
	d := b.dests[dest]
	b.mu.Unlock()
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.subs) > 0
}

// DropBridges closes every bridge connection at once, as a network reset
// would, and returns how many it closed. Connectors reconnect by
// themselves; tests and fault drivers use this to cut links mid-stream.
func (b *Broker) DropBridges() int {
	b.mu.Lock()
	cs := make([]*conn, 0, len(b.bridges))
	for c := range b.bridges {
		cs = append(cs, c)
	}
	b.mu.Unlock()
	for _, c := range cs {
		c.close(errors.New("bridge dropped"))
	}
	return len(cs)
}
