package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/security"
	"github.com/brokerlab/brokerlab/broker/stomp"
)

// conn is one STOMP connection: a client, or a bridge to another broker
// (either end). One goroutine reads and handles frames in order; another
// writes, so a slow socket never blocks dispatch.
type conn struct {
	b      *Broker
	nc     net.Conn
	dr     *deadlineReader
	r      *stomp.Reader
	w      *stomp.Writer
	stored storedPipeline // persistent sends waiting for the store
	remote string
	local  string
	via    string // listener URI, or "" when we dialled

	// connected is set by the reading goroutine once CONNECT succeeds, and
	// read by whichever goroutine closes the connection.
	connected atomic.Bool
	// Set by the reading goroutine; read elsewhere only after connected.
	version   stomp.Version
	sendEvery time.Duration  // heart-beats we owe the peer
	readLimit time.Duration  // silence after which the peer is dead
	bridge    *bridge        // nil for clients
	sec       *security.Conn // who logged in; nil without security or when we dialled

	outMu  sync.Mutex
	out    []outItem
	spare  []outItem // the writer's last batch, emptied: out's next backing array
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
	reason error

	// held is the bytes of MESSAGE frames queued for the writer. At
	// heldLimit this connection's subscriptions have no room (hasRoom), so
	// a consumer that reads slowly, or not at all, costs at most that much
	// whatever its prefetch; what it cannot take waits in the destination,
	// where it counts against the memory limit and pauses producers. Only
	// the socket drains it, never the application's acknowledgements, so
	// one subscription's unacknowledged messages never starve another's.
	held      atomic.Int64
	heldLimit int64
	// Subscriptions that found no room because of held, to dispatch to
	// again once it drops (starve, feedStarved). hungry says the list may
	// not be empty, so the writer looks at it without a lock.
	hungry    atomic.Bool
	starvedMu sync.Mutex
	starved   []*subscription
	feeds     uint64 // feedStarved rounds, guarded by starvedMu

	mu       sync.Mutex
	subs     map[string]*subscription
	wild     map[string]*wildcardSub
	temps    map[string]string // /temp-queue/x -> /remote-temp-queue/<session>.x
	session  string
	clientID string
	unacked  map[string]*delivery // ack id -> delivery
	ackSeq   uint64
	tx       map[string]*transaction
	txBytes  int64 // what the open transactions buffer, against MaxTransactionBytes

}

type outItem struct {
	f          *stomp.Frame
	credit     *subscription         // auto ack: its window gets the credit back once the frame is written
	consumed   *message              // auto ack of a stored message: forgotten by the store once the frame is written
	pooled     bool                  // f is a pooled MESSAGE frame: recycled once written
	lazy       func() []*stomp.Frame // frames made only when the writer gets here (a bridge's batched ACKs)
	held       int64                 // bytes to take off conn.held once written
	version    stomp.Version
	closeAfter bool
}

type delivery struct {
	ackID string
	sub   *subscription
	msg   *message
	seq   uint64
	size  int64    // what it counts in its destination's bytes until settled
	idBuf [20]byte // ackID's bytes
}

// newDelivery makes the record of an unacknowledged delivery, its ack id
// (seq in decimal) in the same allocation: a client-ack consumer, every
// network bridge among them, makes one per message.
func newDelivery(s *subscription, m *message, seq uint64) *delivery {
	d := &delivery{sub: s, msg: m, seq: seq}
	id := strconv.AppendUint(d.idBuf[:0], seq, 10)
	d.ackID = unsafe.String(&id[0], len(id)) // idBuf is never written again
	return d
}

// maxQueued bounds frames waiting for the socket before the reader stops
// taking new frames from this peer, which pushes back through TCP.
const maxQueued = 4096

func (b *Broker) newConn(nc net.Conn, via string) *conn {
	// Until CONNECT one fixed deadline: a peer that never sends it is cut
	// after HandshakeTimeout however it trickles bytes (a heart-beat LF
	// every few seconds would otherwise keep pushing a sliding deadline
	// forward for ever). setReadLimit starts the sliding one after CONNECT.
	nc.SetReadDeadline(time.Now().Add(b.cfg.HandshakeTimeout))
	dr := &deadlineReader{nc: nc}
	return &conn{
		b:         b,
		nc:        nc,
		dr:        dr,
		r:         stomp.NewReader(dr, b.cfg.Limits),
		w:         stomp.NewWriter(&deadlineWriter{nc: nc, limit: b.cfg.HandshakeTimeout + 10*time.Second}),
		heldLimit: b.cfg.ConnectionMemoryLimit,
		remote:    nc.RemoteAddr().String(),
		local:     nc.LocalAddr().String(),
		via:       via,
		version:   stomp.V10,
		wake:      make(chan struct{}, 1),
		closed:    make(chan struct{}),
		subs:      map[string]*subscription{},
		wild:      map[string]*wildcardSub{},
		temps:     map[string]string{},
		unacked:   map[string]*delivery{},
		tx:        map[string]*transaction{},
	}
}

// deadlineReader pushes the read deadline forward on every read, so a peer
// is declared dead only after it has been silent (no frame, no heart-beat)
// for the whole limit, however long a single frame takes to arrive.
type deadlineReader struct {
	nc       net.Conn
	limit    time.Duration
	deadline time.Time // the read deadline last set
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.limit > 0 {
		// Moving the deadline updates a runtime timer, which once per read
		// is more than liveness needs: it moves once an eighth of the
		// limit has passed, so a silent peer is cut after 7/8 to all of
		// the limit.
		if now := time.Now(); d.deadline.Sub(now) < d.limit-d.limit/8 {
			d.deadline = now.Add(d.limit)
			d.nc.SetReadDeadline(d.deadline)
		}
	}
	return d.nc.Read(p)
}

// deadlineWriter sets the write deadline afresh before each write, the
// way deadlineReader moves the read one: a peer that stops reading is cut
// once one write has waited the whole limit, while a slow one that keeps
// taking bytes is not, and a write after a long quiet spell never meets a
// deadline set long ago (one set at the last flush would cut a burst that
// overflows the buffer after a quiet spell longer than the limit).
// stomp.Writer writes a buffer of up to 64 KiB at a time, so this costs
// what the deadline set once per flush did.
type deadlineWriter struct {
	nc    net.Conn
	limit time.Duration
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.nc.SetWriteDeadline(time.Now().Add(d.limit))
	return d.nc.Write(p)
}

// setReadLimit is called by the connection's reader (or before it runs),
// once CONNECT or CONNECTED has arrived.
func (c *conn) setReadLimit(d time.Duration) {
	c.readLimit = d
	c.dr.limit = d
	c.dr.deadline = time.Time{}
	// Either way the handshake's fixed deadline goes; with a limit the
	// next read sets the sliding one.
	c.nc.SetReadDeadline(time.Time{})
}

// send queues a frame for the writer.
func (c *conn) send(f *stomp.Frame) { c.enqueue(outItem{f: f}) }

func (c *conn) enqueue(it outItem) {
	c.outMu.Lock()
	select {
	case <-c.closed:
		c.outMu.Unlock()
		return
	default:
	}
	c.out = append(c.out, it)
	c.outMu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// coalesceBelow is how full the write buffer may be before the writer
// stops waiting for more frames and flushes: half of stomp's 64 KiB.
const coalesceBelow = 32 << 10

func (c *conn) queued() int {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return len(c.out)
}

// writeLoop drains the queue, flushing when it is empty, and sends a
// heart-beat whenever nothing else was written for sendEvery.
func (c *conn) writeLoop() {
	var hb *time.Timer
	var hbC <-chan time.Time
	var credits []credit
	var written int64 // held bytes of the batch's MESSAGE frames
	for {
		c.outMu.Lock()
		items := c.out
		// Two backing arrays take turns, so a busy connection does not
		// regrow its queue from nothing after every batch.
		c.out, c.spare = c.spare[:0], nil
		c.outMu.Unlock()
		for _, it := range items {
			if it.version != "" {
				c.w.SetVersion(it.version)
			}
			if it.f != nil {
				if err := c.w.WriteFrame(it.f); err != nil {
					c.close(fmt.Errorf("write: %w", err))
					return
				}
				if it.pooled {
					recycle(it.f)
				}
				written += it.held
			}
			if it.lazy != nil {
				for _, f := range it.lazy() {
					if err := c.w.WriteFrame(f); err != nil {
						c.close(fmt.Errorf("write: %w", err))
						return
					}
				}
			}
			if it.consumed != nil {
				c.b.forgetFor(it.credit, it.consumed)
			}
			if it.credit != nil {
				// Credits are returned per run of frames for one
				// subscription, once the batch is written: one lock of the
				// destination instead of one per message.
				if n := len(credits); n > 0 && credits[n-1].s == it.credit {
					credits[n-1].n++
				} else {
					credits = append(credits, credit{it.credit, 1})
				}
			}
			if it.closeAfter {
				giveCredits(credits)
				c.w.Flush()
				c.close(nil)
				return
			}
		}
		// Room on this connection first, then the windows' credits: the
		// dispatch that giving credits runs must find the connection's room.
		c.unhold(written)
		written = 0
		credits = giveCredits(credits)
		if cap(items) <= 2*maxQueued {
			clear(items) // the pool's frames and the credited subscriptions must not stay reachable from here
			c.outMu.Lock()
			c.spare = items[:0]
			c.outMu.Unlock()
		}
		if len(items) > 0 && c.w.Buffered() < coalesceBelow {
			// Before paying for a system call, let the goroutines that
			// feed this connection run once: under load they have more
			// frames ready, and one write carries them all. When idle,
			// nothing comes and the flush follows at once.
			runtime.Gosched()
			if c.queued() > 0 {
				continue
			}
		}
		if len(items) > 0 || c.w.Buffered() > 0 {
			if err := c.flush(); err != nil {
				return
			}
		}
		if every := c.heartbeatEvery(); every > 0 {
			if hb == nil {
				hb = time.NewTimer(every)
				hbC = hb.C
			} else if len(items) > 0 {
				hb.Reset(every)
			}
		}
		select {
		case <-c.wake:
		case <-hbC:
			if err := c.w.WriteHeartbeat(); err != nil {
				c.close(fmt.Errorf("write: %w", err))
				return
			}
			if err := c.flush(); err != nil {
				return
			}
			hb.Reset(c.heartbeatEvery())
		case <-c.closed:
			return
		}
	}
}

// flush writes what is buffered; deadlineWriter gives each write its
// deadline.
func (c *conn) flush() error {
	if err := c.w.Flush(); err != nil {
		c.close(fmt.Errorf("write: %w", err))
		return err
	}
	return nil
}

func (c *conn) heartbeatEvery() time.Duration {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.sendEvery
}

func (c *conn) setHeartbeat(send, recv time.Duration) {
	c.outMu.Lock()
	c.sendEvery = send
	c.outMu.Unlock()
	c.setReadLimit(recv)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// readLoop reads and handles frames until the connection ends.
func (c *conn) readLoop() {
	defer c.stopStored()
	defer c.r.Release() // a busy read buffer goes back to the pool
	for {
		for c.queued() > maxQueued {
			select {
			case <-c.closed:
				return
			case <-time.After(time.Millisecond):
			}
		}
		f, err := c.r.ReadFrame()
		if err != nil {
			var pe *stomp.ProtocolError
			switch {
			case errors.As(err, &pe):
				c.failCodec(pe)
			case errors.Is(err, io.EOF):
				c.close(errPeerClosed)
			default:
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					if !c.connected.Load() && c.bridge == nil {
						err = fmt.Errorf("no CONNECT frame within %v (HandshakeTimeout)", c.b.cfg.HandshakeTimeout)
						c.b.emit(events.Event{Kind: events.ConnRefused, Remote: c.remote, Local: c.local, Reason: err.Error()})
					} else {
						err = fmt.Errorf("%w (nothing received for %v)", errPeerSilent, c.readLimit)
					}
				}
				c.close(err)
			}
			return
		}
		if err := c.handle(f); err != nil {
			return
		}
	}
}

var (
	errPeerClosed = errors.New("peer closed the connection")
	errPeerSilent = errors.New("peer went silent")
	errShutdown   = errors.New("broker shutting down")
)

// fail sends an ERROR frame (with receipt-id when the frame asked for a
// receipt, and any extra headers) and closes once it is written: every
// protocol error ends the connection, as the spec says.
func (c *conn) fail(f *stomp.Frame, msg, detail string, extra ...stomp.Header) error {
	e := stomp.New(stomp.ERROR, "message", msg)
	e.Headers = append(e.Headers, extra...)
	if f != nil {
		if r, ok := f.Lookup("receipt"); ok {
			e.Set("receipt-id", r)
		}
	}
	if detail != "" {
		e.Set("content-type", "text/plain")
		e.Body = []byte(detail)
	}
	c.enqueue(outItem{f: e, closeAfter: true})
	err := fmt.Errorf("%s", msg)
	c.outMu.Lock()
	if c.reason == nil {
		c.reason = err
	}
	c.outMu.Unlock()
	return err
}

// close ends the connection once; the first reason given is kept.
func (c *conn) close(reason error) {
	c.once.Do(func() {
		c.outMu.Lock()
		if c.reason == nil {
			c.reason = reason
		}
		close(c.closed)
		c.out = nil
		c.outMu.Unlock()
		c.nc.Close()
		c.b.connClosed(c)
	})
}

func (c *conn) closeReason() error {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.reason
}

// deliver turns a message into a MESSAGE frame for subscription s. Called
// under s.dest.mu, so it only records and enqueues.
func (c *conn) deliver(s *subscription, m *message, body []byte) {
	// MESSAGE frames are pooled: the writer puts each back once it is
	// written (see outItem.pooled); nothing else keeps them.
	f := messageFrames.Get().(*stomp.Frame)
	f.Command = stomp.MESSAGE
	f.Headers = append(f.Headers[:0],
		stomp.Header{Key: "destination", Value: m.dest},
		stomp.Header{Key: "message-id", Value: m.id},
		stomp.Header{Key: "subscription", Value: s.id})
	if m.redelivered {
		f.Add("redelivered", "true")
	}
	if !s.network && m.deliveries > 0 {
		// How often consumers have been handed this message, this time
		// included (JMS's JMSXDeliveryCount); over MaxRedeliveries+1 it goes
		// to the DLQ instead.
		f.Add(hdrDeliveryCount, strconv.Itoa(m.deliveries))
	}
	if c.bridge != nil {
		f.Add(hdrPath, joinPath(m.path))
	}
	f.Headers = append(f.Headers, m.headers...)
	f.Body = body
	// What the frame costs while this connection holds it: the message's
	// size (read under s.dest.mu, as size asks), and a spooled one's body,
	// read back for this delivery only.
	size := m.size()
	n := size
	if m.spooled {
		n += int64(len(body))
	}
	c.held.Add(n)
	if s.ack == ackAuto {
		it := outItem{f: f, credit: s, pooled: true, held: n}
		if m.persistent {
			// Consumed once written, as ActiveMQ counts an auto-ack
			// dispatch: the store must forget it then, or every restart
			// would deliver it again.
			it.consumed = m
		}
		c.enqueue(it)
		return
	}
	c.mu.Lock()
	c.ackSeq++
	d := newDelivery(s, m, c.ackSeq)
	d.size = size
	c.unacked[d.ackID] = d
	if s.ack == ackClient {
		sent := s.sentList()
		*sent = append(*sent, d)
	}
	f.Add("ack", d.ackID)
	it := outItem{f: f, pooled: true, held: n}
	if s.parent != nil {
		// A wildcard's children dispatch concurrently from their own
		// destinations: queued under c.mu, with its ack id taken and its
		// place in the parent's sent list, the frame reaches the client in
		// that order, so a cumulative ACK never settles a message still
		// behind it on the wire.
		c.enqueue(it)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.enqueue(it)
}

// starve notes that s found no room because this connection holds its
// limit (hasRoom), so that s is dispatched to again once the connection
// drains (feedStarved). It reports whether room appeared meanwhile.
// Called under s.dest.mu, only when the connection is full.
func (c *conn) starve(s *subscription) bool {
	if !s.starved {
		s.starved = true
		c.starvedMu.Lock()
		c.starved = append(c.starved, s)
		c.starvedMu.Unlock()
	}
	// hungry is set before held is read again, and unhold lowers held
	// before it reads hungry: either this sees the room a concurrent
	// unhold made, or that unhold sees s waiting. No wake-up is lost.
	c.hungry.Store(true)
	return c.held.Load() < c.heldLimit
}

// unhold takes n bytes off what the connection holds (frames written in
// auto mode, deliveries settled) and, once under the limit, dispatches
// again to the subscriptions that found no room.
func (c *conn) unhold(n int64) {
	if n == 0 {
		return
	}
	if c.held.Add(-n) < c.heldLimit && c.hungry.Load() {
		c.feedStarved()
	}
}

func (c *conn) feedStarved() {
	c.hungry.Store(false)
	c.starvedMu.Lock()
	ss := c.starved
	c.starved = nil
	c.feeds++
	first := int(c.feeds % uint64(max(len(ss), 1)))
	c.starvedMu.Unlock()
	// The first fed fills the room there is, and all of them starve again
	// in the same order; starting one further along each time gives every
	// subscription its turn, so a busy one cannot keep the others waiting.
	for i := range ss {
		s := ss[(first+i)%len(ss)]
		s.dest.feed(s)
	}
}

// credit is n auto-ack deliveries to s written, whose window room can be
// given back.
type credit struct {
	s *subscription
	n int
}

// giveCredits returns the written deliveries' room to their windows and
// empties the list for reuse.
func giveCredits(credits []credit) []credit {
	for i, cr := range credits {
		cr.s.dest.release(cr.s, cr.n, 0)
		credits[i] = credit{}
	}
	return credits[:0]
}

// messageFrames holds MESSAGE frames for reuse, headers slice and all.
var messageFrames = sync.Pool{New: func() any { return &stomp.Frame{Headers: make([]stomp.Header, 0, 16)} }}

// recycle returns a written MESSAGE frame to the pool, dropping what it
// pointed at so the pool keeps no message alive.
func recycle(f *stomp.Frame) {
	if cap(f.Headers) > 64 {
		return // a message with very many headers: let this one go
	}
	clear(f.Headers[:cap(f.Headers)])
	f.Headers, f.Body = f.Headers[:0], nil
	messageFrames.Put(f)
}

// resolveTemp maps a client's /temp-queue/x or /temp-topic/x to this
// connection's own destination, creating the name on first use; other
// names pass through.
func (c *conn) resolveTemp(dest string) (real string, created bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if real, ok := c.temps[dest]; ok {
		return real, false
	}
	prefix, rest := remoteTempQueuePrefix, strings.TrimPrefix(dest, tempQueuePrefix)
	if strings.HasPrefix(dest, tempTopicPrefix) {
		prefix, rest = remoteTempTopicPrefix, strings.TrimPrefix(dest, tempTopicPrefix)
	}
	real = prefix + c.session + "." + rest
	c.temps[strings.Clone(dest)] = real
	return real, true
}

// rawTCP is the TCP connection under nc, through TLS and the handshake's
// byte counter; nil when there is none.
func rawTCP(nc net.Conn) syscall.Conn {
	for {
		switch x := nc.(type) {
		case *tls.Conn:
			nc = x.NetConn()
		case *countingConn:
			nc = x.Conn
		case syscall.Conn:
			return x
		default:
			return nil
		}
	}
}
