package broker

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/network"
	"github.com/brokerlab/brokerlab/broker/security"
	"github.com/brokerlab/brokerlab/broker/stomp"
)

// Headers of the bridge protocol. A bridge is a STOMP connection on which
// both brokers act as client and server: each SUBSCRIBEs to the other for
// the destinations it has consumers for (demand), receives MESSAGE frames
// for them, and ACKs each one only after routing it locally, so a message
// is never dropped between brokers. The path header lists the brokers a
// message has been on, so it never goes back and TTL bounds its hops.
const (
	hdrBridge      = "brokerlab-bridge"       // CONNECT: the dialling broker's name
	hdrLink        = "brokerlab-link"         // CONNECT: the link name, "from->to"
	hdrDuplex      = "brokerlab-duplex"       // CONNECT: true if demand flows both ways
	hdrTTL         = "brokerlab-ttl"          // CONNECT: the connector's messageTTL (networkTTL)
	hdrConsumerTTL = "brokerlab-consumer-ttl" // CONNECT: the connector's consumerTTL
	hdrOptions     = "brokerlab-options"      // CONNECT: forwarding options both ends apply
	hdrConnector   = "brokerlab-connector"    // CONNECT: which connector of the dialler, stable across its reconnections
	hdrBroker      = "brokerlab-broker"       // CONNECTED: the accepting broker's name
	hdrHops        = "brokerlab-hops"         // SUBSCRIBE: bridges between the peer and the consumer
	hdrConsumers   = "brokerlab-consumers"    // SUBSCRIBE, conduitSubscriptions=false: how many consumers the demand stands for
	hdrPath        = "brokerlab-path"         // MESSAGE: brokers the message has been on
	pathSep        = ","
	bridgeHelp     = "bridges are opened by brokerlab brokers"
)

// bridge is the broker-to-broker state of a conn.
type bridge struct {
	c       *conn
	peer    string // the other broker's name
	link    string // "from->to", the dialler first
	connID  string // the dialler's connector instance, from CONNECT
	dialer  bool
	duplex  bool
	msgTTL  int // hops a message may make in all
	consTTL int // hops demand may be passed on
	opts    bridgeOptions
	filter  *bridgeFilter // the dialler's destination filters; nil on the accepting end
	since   time.Time

	forwarded, received, duplicates, loops atomic.Uint64

	// Acknowledgements owed to the peer, one per subscription: network
	// consumers take cumulative ACKs, so only the latest is sent, when the
	// writer next runs (bridge_ack.go).
	ackMu     sync.Mutex
	acks      map[string]string // subscription -> latest ack id
	ackQueued bool
	held      ackHold // ACKs held back while destinations are full (bridge_flow.go)

	// advertised is the demand we told the peer about. Guarded by Broker.demandMu.
	advertised map[string]demandAd
}

// bridgeOptions are the connector attributes both ends of a bridge apply;
// the dialler sends them in CONNECT so a duplex bridge behaves the same
// both ways.
type bridgeOptions struct {
	decreasePriority bool // decreaseNetworkConsumerPriority
	suppress         bool // suppressDuplicateQueueSubscriptions
	dynamicOnly      bool
	noConduit        bool // conduitSubscriptions=false: one network consumer per remote consumer
}

func bridgeOptionsOf(c network.Config) bridgeOptions {
	return bridgeOptions{decreasePriority: c.DecreaseNetworkConsumerPriority, suppress: c.SuppressDuplicateQueueSubscriptions, dynamicOnly: c.DynamicOnly,
		noConduit: !c.ConduitSubscriptions}
}

func (o bridgeOptions) String() string {
	var s []string
	if o.decreasePriority {
		s = append(s, "decreaseNetworkConsumerPriority")
	}
	if o.suppress {
		s = append(s, "suppressDuplicateQueueSubscriptions")
	}
	if o.dynamicOnly {
		s = append(s, "dynamicOnly")
	}
	if o.noConduit {
		s = append(s, "conduitSubscriptions=false")
	}
	return strings.Join(s, ",")
}

func parseBridgeOptions(s string) bridgeOptions {
	var o bridgeOptions
	for _, w := range strings.Split(s, ",") {
		switch w {
		case "decreaseNetworkConsumerPriority":
			o.decreasePriority = true
		case "suppressDuplicateQueueSubscriptions":
			o.suppress = true
		case "dynamicOnly":
			o.dynamicOnly = true
		case "conduitSubscriptions=false":
			o.noConduit = true
		}
	}
	return o
}

func newBridge(c *conn, peer, link string, dialer, duplex bool, msgTTL, consTTL int, o bridgeOptions) *bridge {
	return &bridge{c: c, peer: peer, link: link, dialer: dialer, duplex: duplex, msgTTL: msgTTL, consTTL: consTTL, opts: o,
		since: time.Now(), advertised: map[string]demandAd{}}
}

// advertises says whether we tell this peer about our consumers: the peer
// forwards to us only on a duplex bridge or when it dialled us.
func (br *bridge) advertises() bool { return br.duplex || !br.dialer }

// acceptsDemand says whether we forward to this peer.
func (br *bridge) acceptsDemand() bool { return br.duplex || br.dialer }

// allows says whether demand for dest may cross this bridge (either way):
// the dialler's filters decide, and advisories never cross.
func (br *bridge) allows(dest string) bool {
	if isAdvisory(dest) {
		return false
	}
	return br.filter == nil || br.filter.allows(dest)
}

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
	consTTL, err := strconv.Atoi(f.Get(hdrConsumerTTL))
	if err != nil || consTTL < 1 {
		consTTL = ttl
	}
	link := f.Get(hdrLink)
	if link == "" {
		link = peer + "->" + b.cfg.Name
	}
	duplex := f.Get(hdrDuplex) == "true"
	connID := f.Get(hdrConnector)
	if old := b.bridgeFrom(peer); old != nil {
		same := old.connID == connID && old.link == link
		if !same && (duplex || old.duplex) {
			// One duplex bridge between two brokers carries both ways; a
			// second would deliver everything twice over two paths.
			return fmt.Errorf("bridge refused: %s already has a duplex bridge to %s (%s); a second one would double every path", peer, b.cfg.Name, old.link)
		}
		if same {
			// The same connector again: the old connection is a ghost its
			// dialler has given up on (a cut we have not noticed yet).
			old.c.close(fmt.Errorf("replaced by a new connection of the same connector %s", link))
		}
	}
	c.bridge = newBridge(c, peer, link, false, duplex, ttl, consTTL, parseBridgeOptions(f.Get(hdrOptions)))
	c.bridge.connID = connID
	return nil
}

// bridgeFrom returns the bridge we hold with peer, or nil.
func (b *Broker) bridgeFrom(peer string) *bridge {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.bridges {
		if c.bridge.peer == peer {
			return c.bridge
		}
	}
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
	b.advise(br, true)
	br.staticDemand()
	b.advertiseAll(br)
}

func duplexWord(d bool) string {
	if d {
		return "duplex"
	}
	return "one-way"
}

// staticDemand makes the dialler forward its staticallyIncludedDestinations
// to the peer with no consumer there: a network consumer as if the peer had
// asked, so messages wait on the peer instead of here.
func (br *bridge) staticDemand() {
	if !br.dialer || br.filter == nil || br.opts.dynamicOnly {
		return
	}
	for _, dest := range br.filter.static {
		if isPattern(dest) {
			// Every destination matching it, now and as they are created.
			br.patternDemand("static:"+dest, dest, 1)
			continue
		}
		br.subscribeFor("static:"+dest, dest, 1, 1)
	}
}

// demand handles a SUBSCRIBE from the peer broker: it has consumers for
// dest, hops bridges away from it. A repeated SUBSCRIBE updates the hops.
func (br *bridge) demand(f *stomp.Frame, id, dest string) error {
	if !br.acceptsDemand() || !br.allows(dest) {
		return nil // a one-way bridge carries messages only from the dialler; filters keep others out
	}
	hops, _ := strconv.Atoi(f.Get(hdrHops))
	if isPattern(dest) {
		br.patternDemand(id, dest, hops+1)
		return nil
	}
	n, err := strconv.Atoi(f.Get(hdrConsumers))
	if err != nil || n < 1 || !isQueue(dest) {
		n = 1 // a topic needs one copy per broker whatever its subscribers: more would only be dropped by the audit
	}
	br.subscribeFor(id, dest, hops+1, n) // the bridge itself is one more
	return nil
}

// withdraw handles the peer's UNSUBSCRIBE: its demand for the destination
// is gone, with every network consumer that stood for it.
func (br *bridge) withdraw(id string) {
	if strings.HasPrefix(id, wildPrefix) {
		br.withdrawPattern(id)
		return
	}
	for _, s := range br.takeSubs(id) {
		b := br.c.b
		b.removeSub(s)
		// It stood only for its owner's demand over there.
		b.dropGoneTemp(s.dest.name)
	}
}

// takeSubs removes and returns the network consumers held for demand id:
// id itself and, without conduit subscriptions, id#2 … id#n.
func (br *bridge) takeSubs(id string) []*subscription {
	c := br.c
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*subscription
	for k, s := range c.subs {
		if k == id || strings.HasPrefix(k, id+"#") {
			out = append(out, s)
			delete(c.subs, k)
		}
	}
	return out
}

// subscribeFor holds n network consumers on dest for the peer (one unless
// conduitSubscriptions=false), hops bridges from the real consumers,
// replacing earlier ones that differ.
func (br *bridge) subscribeFor(id, dest string, hops, n int) {
	c := br.c
	c.mu.Lock()
	old := c.subs[id]
	count := 0
	for k := range c.subs {
		if k == id || strings.HasPrefix(k, id+"#") {
			count++
		}
	}
	c.mu.Unlock()
	if old != nil && old.hops == hops && count == n {
		return
	}
	for _, s := range br.takeSubs(id) {
		c.b.removeSub(s)
	}
	if hops > br.consTTL {
		return
	}
	for k := 1; k <= n; k++ {
		sid := id
		if k > 1 {
			sid = id + "#" + strconv.Itoa(k)
		}
		s := &subscription{conn: c, id: sid, ack: ackClient, window: c.b.cfg.Prefetch, dest: c.b.dest(dest),
			network: true, peer: br.peer, ttl: br.msgTTL, hops: hops, suppress: br.opts.suppress && isQueue(dest)}
		if br.opts.decreasePriority {
			// ActiveMQ's decreaseNetworkConsumerPriority: below every local
			// consumer, and lower the further away.
			s.priority = -hops
		}
		c.mu.Lock()
		c.subs[sid] = s
		c.mu.Unlock()
		c.b.addSub(s)
	}
}

// arrivedPath is a forwarded message's path header split, with this
// broker's name added, in one allocation.
func arrivedPath(header, self string) []string {
	if header == "" {
		return []string{self}
	}
	path := make([]string, 0, strings.Count(header, pathSep)+2)
	for {
		i := strings.Index(header, pathSep)
		if i < 0 {
			break
		}
		path = append(path, header[:i])
		header = header[i+len(pathSep):]
	}
	return append(path, header, self)
}

// ingest takes a message the peer forwarded, routes it here and ACKs it.
// The audit drops a second copy, which a redelivery after a lost ACK sends.
func (br *bridge) ingest(f *stomp.Frame) error {
	c := br.c
	b := c.b
	id, dest := f.Get("message-id"), f.Get("destination")
	ackID, sub := f.Get("ack"), f.Get("subscription")
	// ACKs are cumulative (bridge_ack.go), so one may be sent only once
	// every earlier message is stored and routed: pipelined ones included,
	// and held ones too (bridge_flow.go).
	ack := func() { c.waitStored(); br.ackOrHold(sub, ackID) }
	if id == "" || (!isQueue(dest) && !isTopic(dest)) {
		return c.fail(f, "bridge MESSAGE needs message-id and a /queue/ or /topic/ destination", "")
	}
	m := newMessage(f)
	m.id, m.dest, m.path = id, dest, arrivedPath(f.Get(hdrPath), b.cfg.Name)
	path := m.path[:len(m.path)-1]
	m.persistent = f.Get("persistent") == "true" && isQueue(dest)
	if err := c.authorize(security.Write, dest); err != nil {
		// Refused here, where the peer's principal is known; ACKed so the
		// sender does not offer it again, and reported as dropped.
		b.emit(events.Event{Kind: events.MessageDropped, Link: br.link, Dest: dest, ID: id, Reason: "not authorized: " + err.Error()})
		ack()
		return nil
	}
	if e := f.Get("expires"); e != "" {
		m.expires, _ = strconv.ParseInt(e, 10, 64)
	}
	if b.tempGone(dest) {
		// A reply that crossed its requester's departure: made again here,
		// the destination would hold it for a consumer that cannot come.
		b.emit(events.Event{Kind: events.MessageDropped, Link: br.link, Dest: dest, ID: id, Reason: msgTempGone + ": its owner has gone"})
		ack()
		return nil
	}
	if slices.Contains(path, b.cfg.Name) {
		br.loops.Add(1)
		b.emit(events.Event{Kind: events.MessageDropped, Link: br.link, Dest: dest, ID: id, Reason: "loop: the message has been on this broker before"})
		ack()
		return nil
	}
	if !b.audit.add(id) {
		br.duplicates.Add(1)
		b.emit(events.Event{Kind: events.MessageDropped, Link: br.link, Dest: dest, ID: id, Reason: "duplicate: this message id was already received"})
		ack()
		return nil
	}
	// Stored before the ACK: only then may the sending broker forget it.
	// Persistent queue messages are pipelined as a client's persistent
	// SENDs are (storedsend.go): appended without waiting, routed and
	// acknowledged in order once on disk, so a bridge is not held to one
	// fsync per message.
	if st := b.currentStore(); m.persistent && st != nil {
		br.received.Add(1)
		c.sendStoredThen(f, m, b.dest(dest), st, func() { br.ackOrHold(sub, ackID) })
		return nil
	}
	c.waitStored()
	if !br.holdBound() {
		return errPeerClosed // closed while paused
	}
	d := b.dest(dest)
	size := m.size() // m is not shared yet
	full, err := b.publishTo(d, m)
	if err != nil {
		return c.fail(f, msgNotStored, err.Error())
	}
	br.received.Add(1)
	if full {
		// Routed, but acknowledged only once d has room: the peer's
		// window, not our reader, holds it back (bridge_flow.go).
		br.hold(sub, ackID, d, size)
		return nil
	}
	br.ackOrHold(sub, ackID)
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
	b.advertisePatterns(br)
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

// advertise tells br's peer whether we have demand for d: a consumer here
// (or, unless dynamicOnly, a durable subscription whose subscriber is
// away), or further on behind another bridge within the consumer TTL.
// Demand that came from the peer itself is never sent back. Called under
// demandMu.
func (b *Broker) advertise(br *bridge, d *destination) {
	if !br.advertises() {
		return
	}
	d.mu.Lock()
	hops, ok, n := 0, false, 0
	for _, s := range d.subs {
		if s.conn == br.c || (s.network && s.peer == br.peer) || strings.HasPrefix(s.id, "static:") {
			continue
		}
		n++
		if !ok || s.hops < hops {
			hops, ok = s.hops, true
		}
	}
	if len(d.durables) > 0 && !br.opts.dynamicOnly {
		hops, ok = 0, true
	}
	d.mu.Unlock()
	ok = ok && hops+1 <= br.consTTL && br.allows(d.name)
	ad := demandAd{hops: hops, consumers: 1}
	if br.opts.noConduit && n > 1 {
		ad.consumers = n
	}
	old, had := br.advertised[d.name]
	switch {
	case ok && (!had || old != ad):
		br.advertised[d.name] = ad
		f := stomp.New(stomp.SUBSCRIBE, "id", d.name, "destination", d.name, "ack", ackClientIndividual, hdrHops, strconv.Itoa(hops))
		if br.opts.noConduit {
			f.Set(hdrConsumers, strconv.Itoa(ad.consumers))
		}
		br.c.send(f)
	case !ok && had:
		delete(br.advertised, d.name)
		br.c.send(stomp.New(stomp.UNSUBSCRIBE, "id", d.name))
	}
}

// demandAd is what we last told a peer about one destination: the nearest
// consumer's distance and, without conduit subscriptions, how many.
type demandAd struct{ hops, consumers int }
