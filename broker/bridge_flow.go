package broker

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/brokerlab/brokerlab/broker/events"
)

// Flow control of what a bridge brings in. A message the peer forwards
// into a destination over its memory limit is still routed, but its ACK
// is held back until the destination has room again. The peer's network
// consumer is a client-ack subscription with a prefetch window, so it
// stops after a window of unacknowledged messages; those stay counted in
// the peer's own destination until acknowledged, so the peer's producers
// are paused there in turn. Back-pressure travels the network one window
// at a time.
//
// Pausing the bridge's reader instead, as for a client producer, would
// also stop the ACKs the peer sends for what we forwarded to it, which
// arrive on the same connection. A hub whose two spokes each send into a
// full destination that only the other drains would then wait for ever:
// each bridge's reader paused until the other reads an ACK. Holding ACKs
// never stops a reader. Only if a peer keeps sending past its window (a
// peer that ignores it, or very large messages) and what was routed with
// held ACKs passes ConnectionMemoryLimit does the reader pause as well
// (holdBound), because memory comes first.

// ackHold is a bridge connection's acknowledgements held back, one per
// subscription (ACKs are cumulative, so only the latest is kept).
type ackHold struct {
	active  atomic.Bool // something is held: ackOrHold must look
	mu      sync.Mutex
	subs    map[string]*heldAck
	order   []string // subscriptions in the order first held
	bytes   int64    // routed while its ACK was held, not yet released
	waiting bool     // releaseHeld runs
}

type heldAck struct {
	id    string       // the latest ACK owed
	dest  *destination // over its limit when the first was held
	bytes int64
}

// ackOrHold acknowledges message id of subscription sub, or, while that
// subscription's ACKs are held, makes id the one to send on release.
func (br *bridge) ackOrHold(sub, id string) {
	h := &br.held
	if h.active.Load() {
		h.mu.Lock()
		if ha := h.subs[sub]; ha != nil {
			if id != "" {
				ha.id = id
			}
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
	}
	br.ackLater(sub, id)
}

// hold holds back the ACK of a message of size bytes routed into d, which
// is over its limit, until d has room.
func (br *bridge) hold(sub, id string, d *destination, size int64) {
	h := &br.held
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[string]*heldAck{}
	}
	ha := h.subs[sub]
	if ha == nil {
		ha = &heldAck{dest: d}
		h.subs[sub] = ha
		h.order = append(h.order, sub)
	}
	if id != "" {
		ha.id = id
	}
	ha.bytes += size
	h.bytes += size
	h.active.Store(true)
	start := !h.waiting
	h.waiting = true
	h.mu.Unlock()
	if start {
		b := br.c.b
		b.emit(events.Event{Kind: events.ProducerBlocked, Link: br.link, Peer: br.peer, Dest: d.name, Remote: br.c.remote,
			Reason: fmt.Sprintf("memory limit %d bytes reached; acknowledgements to %s held back until consumers make room, so its network consumer stops at its prefetch", b.cfg.DestinationMemoryLimit, br.peer)})
		go br.releaseHeld()
	}
}

// releaseHeld sends the held ACKs as their destinations get room, oldest
// first, until none is held or the connection ends.
func (br *bridge) releaseHeld() {
	h := &br.held
	for {
		h.mu.Lock()
		d := h.oldest()
		if d == nil {
			h.waiting = false
		}
		h.mu.Unlock()
		if d == nil {
			return
		}
		if !d.reserve(br.c.b.cfg.DestinationMemoryLimit, false, br.c.closed, func(bool) {}, func() bool { return true }) {
			return // closed: nothing is owed any more
		}
		br.release(d)
	}
}

// oldest is the destination the oldest held ACK waits for; nil when none
// is held. Called under h.mu.
func (h *ackHold) oldest() *destination {
	if len(h.order) == 0 {
		return nil
	}
	return h.subs[h.order[0]].dest
}

// release sends the held ACKs waiting for d.
func (br *bridge) release(d *destination) {
	h := &br.held
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.order[:0]
	for _, sub := range h.order {
		ha := h.subs[sub]
		if ha.dest != d {
			kept = append(kept, sub)
			continue
		}
		br.ackLater(sub, ha.id)
		h.bytes -= ha.bytes
		delete(h.subs, sub)
	}
	clear(h.order[len(kept):])
	h.order = kept
	if len(kept) == 0 {
		h.active.Store(false)
	}
}

// holdBound pauses the bridge's reader, as flow control pauses a client
// producer, while what was routed with held ACKs is more than
// ConnectionMemoryLimit: a peer that does not stop at its window must not
// take our memory. It returns false if the connection ended meanwhile.
func (br *bridge) holdBound() bool {
	h := &br.held
	if !h.active.Load() {
		return true
	}
	limit := br.c.b.cfg.ConnectionMemoryLimit
	for {
		h.mu.Lock()
		d, over := h.oldest(), h.bytes > limit
		h.mu.Unlock()
		if d == nil || !over {
			return true
		}
		if !br.c.flowControlFor(d, false) {
			return false
		}
		br.release(d)
	}
}
