package broker

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/security"
	"github.com/brokerlab/brokerlab/broker/selector"
	"github.com/brokerlab/brokerlab/broker/stomp"
)

// STOMP error messages, as the ERROR frame's message header carries them.
const (
	msgNotConnected       = "not connected: the first frame must be CONNECT or STOMP"
	msgAlreadyConnected   = "already connected: CONNECT may be sent only once"
	msgVersion            = "Supported protocol versions are 1.0 1.1 1.2"
	msgNoDestination      = "missing destination header"
	msgBadDestination     = "destination must start with /queue/ or /topic/"
	msgNoID               = "missing id header"
	msgDuplicateSub       = "a subscription with this id already exists"
	msgUnknownSub         = "no subscription with this id"
	msgBadAck             = "ack must be auto, client or client-individual"
	msgUnknownAck         = "no message to acknowledge with this id"
	msgNoTx               = "missing transaction header"
	msgUnknownTx          = "no transaction with this name"
	msgTxExists           = "a transaction with this name has already begun"
	msgUnknownCommand     = "unknown command"
	msgBadPrefetch        = "activemq.prefetchSize must be a positive whole number"
	msgTooManyConnections = "too many connections"
	msgWildcardSend       = "cannot send to a wildcard destination"
	msgNoSpace            = "destination memory limit reached"
	msgNoBrokerSpace      = "broker memory limit reached"
	msgTxTooLarge         = "transaction too large"
	msgBadSelector        = "invalid selector"
	msgNotStored          = "the persistent message could not be stored"
	msgClientIDInUse      = "client-id already in use"
	msgDurableNeeds       = "a durable subscription (activemq.subscriptionName) needs a /topic/ destination and a client-id on CONNECT"
	msgTempNotOwner       = "Cannot subscribe to remote temporary destination" // ActiveMQ's words
	msgTempGone           = "temporary destination does not exist"
)

// hdrDeliveryCount is JMS's name for how often a message has been delivered.
const hdrDeliveryCount = "JMSXDeliveryCount"

const (
	ackAuto             = "auto"
	ackClient           = "client"
	ackClientIndividual = "client-individual"
)

// handle processes one frame from the peer. A non-nil error means the
// connection is ending.
func (c *conn) handle(f *stomp.Frame) error {
	if !c.connected.Load() {
		if f.Command == stomp.CONNECT || f.Command == stomp.STOMP {
			return c.onConnect(f)
		}
		return c.fail(f, msgNotConnected, "")
	}
	if f.Command != stomp.SEND && (f.Command != stomp.MESSAGE || c.bridge == nil) {
		c.waitStored() // a bridge's MESSAGE waits in ingest, only when it is not itself pipelined
	}
	var err error
	switch f.Command {
	case stomp.SEND:
		if err = c.onSend(f); err == errReceiptLater {
			return nil // the store pipeline holds f until its RECEIPT
		}
		if err == nil && c.r != nil {
			// Handled: the message holds copies of the headers and the
			// body, never f itself, so the next frame may be read into it.
			defer c.r.Recycle(f)
		}
	case stomp.SUBSCRIBE:
		err = c.onSubscribe(f)
	case stomp.UNSUBSCRIBE:
		err = c.onUnsubscribe(f)
	case stomp.ACK, stomp.NACK:
		err = c.onAck(f)
	case stomp.BEGIN, stomp.COMMIT, stomp.ABORT:
		err = c.onTransaction(f)
	case stomp.DISCONNECT:
		c.b.release(c)
		c.receipt(f)
		c.enqueue(outItem{closeAfter: true})
		return errPeerClosed
	case stomp.CONNECT, stomp.STOMP:
		return c.fail(f, msgAlreadyConnected, "")
	case stomp.MESSAGE:
		if c.bridge == nil {
			return c.fail(f, msgUnknownCommand, "MESSAGE is sent by brokers, not clients")
		}
		return c.bridge.ingest(f)
	case stomp.RECEIPT:
		if c.bridge == nil {
			return c.fail(f, msgUnknownCommand, "RECEIPT is sent by brokers, not clients")
		}
		return nil
	case stomp.ERROR:
		if c.bridge == nil {
			return c.fail(f, msgUnknownCommand, "ERROR is sent by brokers, not clients")
		}
		err := fmt.Errorf("peer sent ERROR: %s", f.Get("message"))
		c.close(err)
		return err
	default:
		return c.fail(f, msgUnknownCommand, fmt.Sprintf("%q is not a STOMP client command", f.Command))
	}
	if err != nil {
		return err
	}
	c.receipt(f)
	return nil
}

// failCodec reports a frame the codec could not read. The frame is lost,
// but when its receipt header had been read the ERROR still carries the
// receipt-id the client is waiting for.
func (c *conn) failCodec(pe *stomp.ProtocolError) error {
	var f *stomp.Frame
	if pe.Receipt != "" {
		f = stomp.New("", "receipt", pe.Receipt)
	}
	return c.fail(f, pe.Msg, "")
}

func (c *conn) receipt(f *stomp.Frame) {
	if r, ok := f.Lookup("receipt"); ok {
		c.send(stomp.New(stomp.RECEIPT, "receipt-id", r))
	}
}

func (c *conn) onConnect(f *stomp.Frame) error {
	v, ok := negotiate(f.Get("accept-version"))
	if !ok {
		// The spec's version header lists what we speak; through fail, so
		// a receipt asked for is answered (receipt-id) like any other.
		return c.fail(f, msgVersion, "the client accepts "+f.Get("accept-version"),
			stomp.Header{Key: "version", Value: "1.0,1.1,1.2"})
	}
	if err := c.b.login(c, f); err != nil {
		return c.fail(f, msgLoginFailed+err.Error(), "")
	}
	c.version = v
	c.r.SetVersion(v)
	c.connected.Store(true)
	c.session = c.b.nextID("session")
	if id := f.Get("client-id"); id != "" {
		// One connection per client-id, as ActiveMQ (InvalidClientIDException):
		// durable subscriptions are keyed by it, and two holders would
		// take each other's messages.
		if other := c.b.claimClientID(id, c); other != nil {
			return c.fail(f, msgClientIDInUse, fmt.Sprintf("client-id %q is already connected from %s; give each connection its own client-id", id, other.remote))
		}
	}
	reply := stomp.New(stomp.CONNECTED, "version", string(v), "server", "brokerlab/"+Version, "session", c.session)
	if br := f.Get(hdrBridge); br != "" {
		if err := c.b.acceptBridge(c, f); err != nil {
			return c.fail(f, err.Error(), "")
		}
		reply.Set(hdrBroker, c.b.cfg.Name)
	}
	send, recv := time.Duration(0), time.Duration(0)
	if v != stomp.V10 {
		cx, cy, err := parseHeartBeat(f.Get("heart-beat"))
		if err != nil {
			return c.fail(f, err.Error(), "")
		}
		hb := c.b.cfg.HeartBeat
		send, recv = heartbeatIntervals(cx, cy, hb)
		// Offer only the directions the client asked for, as ActiveMQ does:
		// some clients (go-stomp) take our sending interval as their read
		// timeout even when they asked for none.
		sx, sy := "0", "0"
		if cy > 0 {
			sx = strconv.FormatInt(hb.Milliseconds(), 10)
		}
		if cx > 0 {
			sy = strconv.FormatInt(hb.Milliseconds(), 10)
		}
		reply.Set("heart-beat", sx+","+sy)
	}
	c.enqueue(outItem{f: reply, version: v})
	c.setHeartbeat(send, recv)
	c.receipt(f)
	if c.bridge != nil {
		c.bridge.started()
	}
	return nil
}

// negotiate picks the highest version both sides speak; no header means 1.0.
func negotiate(accept string) (stomp.Version, bool) {
	if accept == "" {
		return stomp.V10, true
	}
	best := stomp.Version("")
	for _, v := range strings.Split(accept, ",") {
		switch sv := stomp.Version(strings.TrimSpace(v)); sv {
		case stomp.V10, stomp.V11, stomp.V12:
			if sv > best {
				best = sv
			}
		}
	}
	return best, best != ""
}

// heartbeatIntervals negotiates, per the spec, from the peer's heart-beat
// (it can send every peerSend, wants ours every peerWant) and our own
// interval: how often we send, and how long a silence means the peer is
// gone. Zero means none that way.
func heartbeatIntervals(peerSend, peerWant, ours time.Duration) (send, recv time.Duration) {
	if peerWant > 0 {
		send = max(peerWant, ours)
	}
	if peerSend > 0 {
		// Tolerate a late heart-beat: the spec allows for timing error, and
		// a loaded machine delays timers.
		recv = 3 * max(peerSend, ours)
	}
	return send, recv
}

func parseHeartBeat(h string) (cx, cy time.Duration, err error) {
	if h == "" {
		return 0, 0, nil
	}
	parts := strings.Split(h, ",")
	if len(parts) != 2 {
		return 0, 0, fmt.Errorf("heart-beat header %q must be two numbers, e.g. 10000,10000", h)
	}
	var ms [2]int64
	for i, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("heart-beat header %q must be two non-negative numbers of milliseconds", h)
		}
		ms[i] = n
	}
	return time.Duration(ms[0]) * time.Millisecond, time.Duration(ms[1]) * time.Millisecond, nil
}

// reserved reports the headers that belong to the broker or the frame, not
// to the message. A switch, not a map: it runs for every header of every
// SEND.
func reserved(key string) bool {
	switch key {
	case "destination", "receipt", "transaction", "content-length",
		"message-id", "subscription", "ack", "redelivered", hdrPath, hdrDeliveryCount:
		return true
	}
	return false
}

// messageBlock is a message with room for a few headers and its own id in
// the same allocation: two fewer allocations per message sent.
type messageBlock struct {
	message
	room  [4]stomp.Header
	idBuf [48]byte
}

// newMessage makes a message carrying f's user headers and body.
func newMessage(f *stomp.Frame) *message { return &newMessageBlock(f).message }

func newMessageBlock(f *stomp.Frame) *messageBlock {
	a := &messageBlock{}
	a.headers = appendUserHeaders(a.room[:0], f)
	if len(a.headers) > len(a.room) {
		// They spilled into an array of their own; what room still holds
		// would keep the frame's text alive once the body is dropped
		// (dropBody clears only the array in use).
		clear(a.room[:])
	}
	a.body = f.Body
	return a
}

// newLocalMessage is newMessage for a SEND here: it also gets a new id
// from b, written into the message's own allocation when it fits.
func (b *Broker) newLocalMessage(f *stomp.Frame) *message {
	a := newMessageBlock(f)
	if len(b.idPrefix)+len(b.runID)+22 <= len(a.idBuf) {
		id := b.appendID(a.idBuf[:0], b.idPrefix)
		a.id = unsafe.String(&id[0], len(id)) // idBuf is never written again
	} else {
		a.id = b.nextID(b.idPrefix)
	}
	return &a.message
}

func appendUserHeaders(hs []stomp.Header, f *stomp.Frame) []stomp.Header {
next:
	for _, h := range f.Headers {
		if reserved(h.Key) {
			continue
		}
		// Repeated headers: the first wins. Frames carry a handful of
		// headers (at most the codec's limit), so a scan beats a map.
		for _, k := range hs {
			if k.Key == h.Key {
				continue next
			}
		}
		hs = append(hs, h)
	}
	return hs
}

func (c *conn) onSend(f *stomp.Frame) error {
	dest, ok := f.Lookup("destination")
	if !ok {
		return c.fail(f, msgNoDestination, "")
	}
	dest, _ = c.ownTemp(dest)
	if !isQueue(dest) && !isTopic(dest) {
		return c.fail(f, msgBadDestination, fmt.Sprintf("got %q; e.g. /queue/orders or /topic/prices", dest))
	}
	if isPattern(dest) {
		return c.fail(f, msgWildcardSend, fmt.Sprintf("got %q; wildcards * and > are for SUBSCRIBE", dest))
	}
	if c.b.tempGone(dest) {
		return c.fail(f, msgTempGone+": "+dest, tempGoneDetail)
	}
	if err := c.authorize(security.Write, dest); err != nil {
		return c.fail(f, err.Error(), "")
	}
	m := c.b.newLocalMessage(f)
	m.dest, m.path = dest, c.b.selfPath
	m.persistent = f.Get("persistent") == "true" && isQueue(dest) && !strings.HasPrefix(dest, remoteTempQueuePrefix)
	for i, h := range m.headers {
		if h.Key == "reply-to" && isTemp(h.Value) {
			// Whoever answers must reach this connection's own destination.
			m.headers[i].Value, _ = c.ownTemp(h.Value)
		}
	}
	if e := f.Get("expires"); e != "" && e != "0" {
		ms, err := strconv.ParseInt(e, 10, 64)
		if err != nil || ms < 0 {
			return c.fail(f, "expires must be milliseconds since the epoch (0: never)", fmt.Sprintf("got %q", e))
		}
		m.expires = ms
	}
	if p, ok := f.Lookup("priority"); ok {
		if n, err := strconv.Atoi(p); err != nil || n < minPriority || n > maxPriority {
			return c.fail(f, "priority must be a number from 0 (lowest) to 9", fmt.Sprintf("got %q; JMS's default is 4", p))
		}
	}
	if txName, ok := f.Lookup("transaction"); ok {
		tx := c.txFor(txName)
		if tx == nil {
			return c.fail(f, msgUnknownTx, fmt.Sprintf("transaction %q was not begun", txName))
		}
		if err := c.txBuffer(f, tx, m.size()); err != nil {
			return err
		}
		tx.sends = append(tx.sends, m)
		return nil
	}
	d := c.b.dest(dest)
	if st := c.b.currentStore(); m.persistent && st != nil {
		// Pipelined (see storedsend.go). Over its queue's limit it waits in
		// the store instead of pausing its producer (publish), as in
		// ActiveMQ. A spooled message still keeps its headers in memory,
		// though, so once the broker as a whole is full it pauses too: a
		// backlog of millions stays bounded by BrokerMemoryLimit.
		if c.b.memOver() && !c.brokerFlowControl(d) {
			c.waitStored()
			return c.noSpace(f, d, "the producer was refused")
		}
		c.sendStored(f, m, d, st)
		return errReceiptLater
	}
	c.waitStored()
	if !c.flowControl(d) {
		return c.noSpace(f, d, "the producer was refused")
	}
	// A persistent queue message was pipelined above; what is left to
	// store is a topic message's copies for its durable subscribers.
	if _, err := c.b.publishTo(d, m); err != nil {
		return c.fail(f, msgNotStored, err.Error())
	}
	// Its owner may have left between the check above and the publish, and
	// b.dest made it again.
	c.b.dropGoneTemp(dest)
	return nil
}

// tempGoneDetail explains a refused SEND to a temporary destination.
const tempGoneDetail = "the connection that created it has ended (or never existed), so nobody could ever consume it; ActiveMQ refuses such a send the same way"

// flowControl pauses this producer, by not reading its next frame, while
// dest is over its memory limit. TCP then slows the producer itself.
func (c *conn) flowControl(d *destination) bool {
	return c.flowControlFor(d, c.b.cfg.SendFailIfNoSpace)
}

// flowControlFor is flowControl, refusing instead of pausing when fail.
func (c *conn) flowControlFor(d *destination, fail bool) bool {
	return c.reserve(d, c.b.cfg.DestinationMemoryLimit, fail)
}

// brokerFlowControl pauses (or refuses) this producer while the broker as
// a whole is over BrokerMemoryLimit, whatever d holds.
func (c *conn) brokerFlowControl(d *destination) bool {
	return c.reserve(d, math.MaxInt64, c.b.cfg.SendFailIfNoSpace)
}

func (c *conn) reserve(d *destination, limit int64, fail bool) bool {
	return d.reserve(limit, fail, c.closed, func(broker bool) {
		e := events.Event{Kind: events.ProducerBlocked, Dest: d.name, Remote: c.remote,
			Reason: fmt.Sprintf("memory limit %d bytes reached; producer paused until consumers make room", c.b.cfg.DestinationMemoryLimit)}
		if broker {
			e.Reason = fmt.Sprintf("broker memory limit %d bytes reached (BrokerMemoryLimit, all destinations together); producer paused until consumers make room", c.b.cfg.BrokerMemoryLimit)
		}
		if c.bridge != nil {
			e.Link, e.Peer = c.bridge.link, c.bridge.peer
		}
		c.b.emit(e)
	}, c.peerAlive)
}

// noSpace refuses f (SendFailIfNoSpace): d, or the broker, is full.
func (c *conn) noSpace(f *stomp.Frame, d *destination, what string) error {
	if c.b.memOver() {
		return c.fail(f, msgNoBrokerSpace, fmt.Sprintf("this broker holds more than %d bytes of messages in all its destinations (BrokerMemoryLimit); %s (SendFailIfNoSpace)", c.b.cfg.BrokerMemoryLimit, what))
	}
	return c.fail(f, msgNoSpace, fmt.Sprintf("%s holds more than %d bytes waiting for consumers; %s (SendFailIfNoSpace)", d.name, c.b.cfg.DestinationMemoryLimit, what))
}

// errPausedPeerGone ends a paused producer's connection whose peer closed
// or reset it meanwhile.
var errPausedPeerGone = errors.New("peer closed the connection while paused by flow control")

// peerAlive is asked, while this connection's reader is paused by flow
// control, whether the peer is still there. The reader is not reading, so
// it cannot see EOF; and reading on while paused would mean buffering
// without bound, or, to peek, reading bytes that a TLS record or the next
// frame needs. The kernel's view of the TCP socket needs neither
// (peerGone). A peer that is gone has its connection closed here, which
// frees its slot and goroutines at once: what it sent that is still
// unread had no receipt, since the broker had not read it.
func (c *conn) peerAlive() bool {
	if gone, _ := peerGone(c.nc); gone {
		c.close(errPausedPeerGone)
		return false
	}
	return true
}

func (c *conn) onSubscribe(f *stomp.Frame) error {
	dest, ok := f.Lookup("destination")
	if !ok {
		return c.fail(f, msgNoDestination, "")
	}
	if c.bridge == nil {
		var owned bool
		dest, owned = c.ownTemp(dest)
		if isRemoteTemp(dest) && !owned {
			// Only its owner consumes from a temporary destination, or
			// anyone who saw a reply-to could steal the replies. A bridge
			// may: its SUBSCRIBE is the owner's demand on another broker.
			return c.fail(f, msgTempNotOwner+": "+dest, "only the connection that created a temporary destination may subscribe to it; others may only send to it")
		}
	}
	if !isQueue(dest) && !isTopic(dest) {
		return c.fail(f, msgBadDestination, fmt.Sprintf("got %q", dest))
	}
	id, ok := f.Lookup("id")
	if !ok {
		if c.version != stomp.V10 {
			return c.fail(f, msgNoID, "STOMP 1.1 and later require an id on SUBSCRIBE")
		}
		id = dest // 1.0 allowed subscriptions without ids
	}
	ack := f.Get("ack")
	switch ack {
	case "":
		ack = ackAuto
	case ackAuto, ackClient, ackClientIndividual:
	default:
		return c.fail(f, msgBadAck, fmt.Sprintf("got %q", ack))
	}
	window := c.b.cfg.Prefetch
	if p, ok := f.Lookup("activemq.prefetchSize"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange || strings.HasPrefix(p, "-") {
				return c.fail(f, msgBadPrefetch, fmt.Sprintf("got %q", p))
			}
			n = MaxPrefetch // a number too large for an int is only a very large prefetch
		}
		// Cut to ActiveMQ's maximum, as its prefetch policy does: a window
		// is a promise of that many messages in flight, and a client asking
		// for a billion would otherwise be sent everything the queue holds.
		window = min(n, MaxPrefetch)
	}
	if err := c.authorize(security.Read, dest); err != nil {
		if c.bridge != nil {
			return nil // the peer may not have this demand; the event says so, the bridge stays
		}
		return c.fail(f, err.Error(), "")
	}
	if c.bridge != nil {
		return c.bridge.demand(f, id, dest)
	}
	var sel *selector.Selector
	if expr, ok := f.Lookup("selector"); ok {
		var err error
		if sel, err = selector.Parse(expr); err != nil {
			return c.fail(f, msgBadSelector, err.Error())
		}
	}
	c.mu.Lock()
	_, dup := c.subs[id]
	_, dupWild := c.wild[id]
	if dup || dupWild {
		c.mu.Unlock()
		return c.fail(f, msgDuplicateSub, fmt.Sprintf("id %q", id))
	}
	name, durableSub := f.Lookup("activemq.subscriptionName")
	if durableSub && (!isTopic(dest) || c.clientID == "") {
		c.mu.Unlock()
		return c.fail(f, msgDurableNeeds, fmt.Sprintf("destination %q, client-id %q", dest, c.clientID))
	}
	if isPattern(dest) {
		w := &wildcardSub{conn: c, id: id, pattern: dest, ack: ack, window: window, selector: sel}
		c.wild[id] = w
		c.mu.Unlock()
		if durableSub {
			if err := c.b.subscribeDurablePattern(durableKey(c.clientID, name), w); err != nil {
				c.mu.Lock()
				delete(c.wild, id)
				c.mu.Unlock()
				return c.fail(f, err.Error(), "")
			}
			return nil
		}
		c.b.subscribePattern(w)
		return nil
	}
	c.mu.Unlock()
	d := c.b.dest(dest)
	s := &subscription{conn: c, id: id, ack: ack, window: window, dest: d, selector: sel}
	c.mu.Lock()
	c.subs[id] = s
	c.mu.Unlock()
	if durableSub {
		if err := c.b.subscribeDurable(durableKey(c.clientID, name), s); err != nil {
			return c.fail(f, err.Error(), "")
		}
		return nil
	}
	c.b.addSub(s)
	return nil
}

func (c *conn) onUnsubscribe(f *stomp.Frame) error {
	id, ok := f.Lookup("id")
	if !ok {
		if c.version != stomp.V10 {
			return c.fail(f, msgNoID, "")
		}
		id = f.Get("destination")
	}
	if c.bridge != nil {
		c.bridge.withdraw(id)
		return nil
	}
	name, dropDurable := f.Lookup("activemq.subscriptionName")
	if dropDurable && c.clientID != "" {
		// Ends the durable subscription itself, not only this session of it.
		defer c.b.dropDurable(durableKey(c.clientID, name))
	}
	c.mu.Lock()
	s := c.subs[id]
	delete(c.subs, id)
	w := c.wild[id]
	delete(c.wild, id)
	c.mu.Unlock()
	if w != nil {
		c.b.unsubscribePattern(w)
		return nil
	}
	if s == nil {
		if c.bridge != nil || dropDurable {
			return nil // demand withdrawn twice is harmless between brokers; an offline durable subscription may be dropped by name
		}
		return c.fail(f, msgUnknownSub, fmt.Sprintf("id %q", id))
	}
	c.b.removeSub(s)
	return nil
}

// ackRef is what an ACK or NACK names: a delivery by the MESSAGE's ack
// header (STOMP 1.2), or by message-id (1.0 and 1.1), then narrowed to one
// subscription when the frame says which.
type ackRef struct {
	id          string
	byMessageID bool
	sub         string
	bySub       bool
	nack        bool
}

// onAck handles ACK and NACK. An unknown message is refused when the frame
// arrives, inside a transaction too, as ActiveMQ does ("Unexpected ACK
// received for message-id"): COMMIT must not be the first to find out.
func (c *conn) onAck(f *stomp.Frame) error {
	key := "id"
	if c.version != stomp.V12 {
		key = "message-id"
	}
	id, ok := f.Lookup(key)
	if !ok {
		return c.fail(f, "missing "+key+" header", "")
	}
	a := ackRef{id: id, byMessageID: key == "message-id", nack: f.Command == stomp.NACK}
	if a.byMessageID {
		// Two subscriptions (on one topic, say) may hold the same message
		// id; STOMP 1.1's subscription header says whose delivery it is.
		a.sub, a.bySub = f.Lookup("subscription")
	}
	if err := c.authorizeAck(id, a.byMessageID); err != nil {
		return c.fail(f, err.Error(), "")
	}
	if txName, ok := f.Lookup("transaction"); ok {
		tx := c.txFor(txName)
		if tx == nil {
			return c.fail(f, msgUnknownTx, fmt.Sprintf("transaction %q was not begun", txName))
		}
		if err := c.txBuffer(f, tx, int64(len(id))+pendingAckCost); err != nil {
			return err
		}
		c.mu.Lock()
		d := c.find(a, tx)
		if d != nil {
			tx.add(d, a.nack)
		}
		c.mu.Unlock()
		if d == nil {
			return c.fail(f, msgUnknownAck, fmt.Sprintf("%s %q is not an unacknowledged message on this connection (or transaction %q already names it)", key, id, txName))
		}
		return nil
	}
	if !c.settle(a) {
		return c.fail(f, msgUnknownAck, fmt.Sprintf("%s %q is not an unacknowledged message on this connection", key, id))
	}
	return nil
}

// delivery is the unacknowledged delivery an ACK or NACK names (see find),
// for the security chain's Ack hook. Called with c.mu held.
func (c *conn) delivery(id string, byMessageID bool) *delivery {
	return c.find(ackRef{id: id, byMessageID: byMessageID}, nil)
}

// find is the unacknowledged delivery a names: by its ack id, or by
// message id the oldest delivery of that message (to a's subscription, when
// it names one). Deliveries tx already names are passed over, so each is
// named once per transaction. Called with c.mu held.
func (c *conn) find(a ackRef, tx *transaction) *delivery {
	if !a.byMessageID {
		if d := c.unacked[a.id]; d != nil && !tx.names(d) {
			return d
		}
		return nil
	}
	var d *delivery
	for _, x := range c.unacked {
		if x.msg.id == a.id && (!a.bySub || x.sub.id == a.sub) && !tx.names(x) && (d == nil || x.seq < d.seq) {
			d = x
		}
	}
	return d
}

// settleThrough removes from unacked every delivery to s sent before d (the
// cumulative acknowledgement of client mode; for a wildcard's child, to any
// of its siblings too) and appends them to done.
func (s *subscription) settleThrough(unacked map[string]*delivery, d *delivery, done []*delivery) []*delivery {
	sent := s.sentList()
	list := *sent
	i := 0
	for ; i < len(list) && list[i].seq <= d.seq; i++ {
		x := list[i]
		list[i] = nil
		if x != d && unacked[x.ackID] == x {
			done = append(done, x)
			delete(unacked, x.ackID)
		}
	}
	// Re-slicing alone would creep along the array and regrow it from
	// nothing once emptied; once the settled prefix is at least as long
	// as what is left, what is left moves to the front instead.
	if rest := len(list) - i; i >= rest {
		copy(list, list[i:])
		clear(list[rest:])
		*sent = list[:rest]
	} else {
		*sent = list[i:]
	}
	return done
}

// sentList is where s's client-mode deliveries are kept in the order
// sent: its own list, or for a wildcard's child its parent's, since the
// client subscribed once (wildcard.go).
func (s *subscription) sentList() *[]*delivery {
	if s.parent != nil {
		return &s.parent.sent
	}
	return &s.sent
}

// unsend drops d from s's sent list (kept in sending order, so by seq): a
// NACK settles it alone, and a consumer that only ever NACKs must not grow
// the list without bound.
func (s *subscription) unsend(d *delivery) {
	sent := s.sentList()
	if i, ok := slices.BinarySearchFunc(*sent, d.seq, func(x *delivery, seq uint64) int { return cmp.Compare(x.seq, seq) }); ok {
		*sent = slices.Delete(*sent, i, i+1)
	}
}

// take removes d from the unacknowledged deliveries and returns what its
// ACK or NACK settles, d first. An ACK in client mode is cumulative: every
// earlier delivery of the subscription goes with it. A NACK is not, in any
// mode: the STOMP 1.2 spec makes a client-mode NACK cumulative too, but
// ActiveMQ (StompSubscription.onStompMessageNack, 5.x) refuses only the
// message named, and clients written against it NACK one bad message while
// still working on the ones before it. Called with c.mu held.
func (c *conn) take(d *delivery, nack bool) []*delivery {
	done := []*delivery{d}
	delete(c.unacked, d.ackID)
	if d.sub.ack == ackClient {
		if nack {
			d.sub.unsend(d)
		} else {
			done = d.sub.settleThrough(c.unacked, d, done)
		}
	}
	return done
}

// finish applies what take settled: acknowledged messages are forgotten,
// refused ones go back to their queue; either way the subscription's window
// gets their room back.
func (c *conn) finish(done []*delivery, nack bool) {
	d := done[0]
	dest := d.sub.dest
	if !nack {
		for _, x := range done {
			c.b.forgetFor(x.sub, x.msg)
		}
	}
	releaseAcross(done, nack) // a wildcard's may be on several destinations (wildcard.go)
	if !nack && c.bridge != nil {
		c.bridge.forwarded.Add(uint64(len(done)))
		c.b.emit(events.Event{Kind: events.MessageForwarded, Link: c.bridge.link, Dest: dest.name, ID: d.msg.id, Peer: c.bridge.peer})
	}
}

// settle acknowledges (or with nack, returns to the queue) the delivery a
// names, and reports whether there was one.
func (c *conn) settle(a ackRef) bool {
	c.mu.Lock()
	d := c.find(a, nil)
	if d == nil {
		c.mu.Unlock()
		return false
	}
	done := c.take(d, a.nack)
	c.mu.Unlock()
	c.finish(done, a.nack)
	return true
}

// claimClientID registers c as the holder of id and returns nil, or
// returns the connection that already holds it. c.clientID is set here,
// under b.mu, where release reads it when the connection closes, which
// may be on another goroutine.
func (b *Broker) claimClientID(id string, c *conn) *conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	if other := b.clientIDs[id]; other != nil && other != c {
		return other
	}
	b.clientIDs[id] = c
	c.clientID = id
	return nil
}
