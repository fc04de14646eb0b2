package broker

import (
	"strings"
	"sync"

	"github.com/brokerlab/brokerlab/broker/selector"
)

// Wildcards are ActiveMQ's: names are '.'-separated, '*' matches exactly
// one name, '>' matches zero or more trailing names (PRICE.> matches
// PRICE, PRICE.STOCK and PRICE.STOCK.IBM; connector filters want at least
// one, see matchFilter). The type prefix must match:
// /queue/a.> never matches a topic.

// isPattern reports whether a destination contains a wildcard name.
func isPattern(dest string) bool {
	_, name := splitDest(dest)
	// A name part that is exactly * or >, found without splitting: this
	// runs for every SEND.
	for start := 0; start <= len(name); {
		end := strings.IndexByte(name[start:], '.')
		if end < 0 {
			end = len(name)
		} else {
			end += start
		}
		if part := name[start:end]; part == "*" || part == ">" {
			return true
		}
		start = end + 1
	}
	return false
}

// splitDest separates "/queue/" from "a.b".
func splitDest(dest string) (prefix, name string) {
	if i := strings.Index(dest[1:], "/"); dest != "" && dest[0] == '/' && i >= 0 {
		return dest[:i+2], dest[i+2:]
	}
	return "", dest
}

// matchDest reports whether the concrete destination matches the pattern,
// as ActiveMQ's DestinationMap matches subscriptions and authorization
// entries: '>' matches zero or more trailing names, so PRICE.> matches
// PRICE itself (ActiveMQ 5.17 delivers a message sent to /topic/PRICE to
// a subscriber of /topic/PRICE.>).
func matchDest(pattern, dest string) bool { return matchNames(pattern, dest, 0) }

// matchFilter is matchDest as ActiveMQ's network connector filters match
// (DestinationFilter's PrefixDestinationFilter): '>' needs at least one
// name, so excludedDestinations=private.> leaves "private" itself alone.
func matchFilter(pattern, dest string) bool { return matchNames(pattern, dest, 1) }

// matchNames matches name by name; '>' takes at least minTail names.
func matchNames(pattern, dest string, minTail int) bool {
	pp, pn := splitDest(pattern)
	dp, dn := splitDest(dest)
	if pp != dp {
		return false
	}
	ps, ds := strings.Split(pn, "."), strings.Split(dn, ".")
	for i, p := range ps {
		switch {
		case p == ">":
			return i == len(ps)-1 && len(ds)-i >= minTail
		case i >= len(ds):
			return false
		case p != "*" && p != ds[i]:
			return false
		}
	}
	return len(ps) == len(ds)
}

// wildcardSub is a SUBSCRIBE to a pattern: one child subscription on every
// matching destination, now and as they are created. MESSAGE frames carry
// the client's subscription id and the concrete destination.
//
// To the client it is one consumer, as in ActiveMQ, so its children share
// what belongs to a consumer: one prefetch window (inflight, counted across
// all of them) and, in client mode, one order of deliveries (sent), over
// which an ACK is cumulative whichever destination each message came from.
// A network wildcard subscription relies on that too: the peer ACKs only the
// latest message of the subscription (bridge_ack.go).
type wildcardSub struct {
	conn     *conn
	id       string
	pattern  string
	ack      string
	window   int
	selector *selector.Selector
	children []*subscription // guarded by conn.mu
	net      *netWild        // a peer broker's wildcard demand (bridge_wildcard.go); nil for clients
	durable  *durablePattern // a durable subscription's (durable_pattern.go); nil for others
	sent     []*delivery     // guarded by conn.mu; client mode: the children's deliveries in the order written

	mu       sync.Mutex
	inflight int             // deliveries not yet settled (or, in auto mode, not yet written), all children together
	waiting  []*subscription // children that found the window full, in the order they found it so
}

func (w *wildcardSub) child(d *destination) *subscription {
	s := &subscription{conn: w.conn, id: w.id, ack: w.ack, window: w.window, dest: d, parent: w, selector: w.selector}
	if n := w.net; n != nil {
		s.network, s.peer, s.ttl, s.hops, s.priority, s.suppress = true, n.peer, n.ttl, n.hops, n.priority, n.suppress
	}
	return s
}

// The shared window. A child's destination decides under its own lock
// whether the child may take a message (room) and then claims the credit
// (take): two destinations dispatch at once, so the claim checks again.
// Lock order: a destination's mu, then w.mu; never the other way round.
//
// A child that finds no room waits in line. Whoever returns credits calls
// wake afterwards, which dispatches the waiting children's destinations in
// turn: nothing else would, since a child's destination dispatches only on
// its own events. While children wait, a child that is not being woken gets
// no room either, even when some is free: otherwise the destination whose
// messages were just acknowledged would take the credit back at once and a
// busy destination could starve its quiet siblings.

// room reports whether child s may have one more message in flight; if not,
// s waits in line. Called under s.dest.mu.
func (w *wildcardSub) room(s *subscription) bool { return w.claim(s, false) }

// take claims one credit of the window for a delivery to child s, which
// room allowed a moment ago. Called under s.dest.mu.
func (w *wildcardSub) take(s *subscription) bool { return w.claim(s, true) }

func (w *wildcardSub) claim(s *subscription, take bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inflight < w.window && (len(w.waiting) == 0 || s.turn) {
		if take {
			w.inflight++
			s.turn = false // one message per turn: the others in line come first
		}
		return true
	}
	s.turn = false
	if !s.waiting {
		s.waiting = true
		w.waiting = append(w.waiting, s)
	}
	return false
}

// give returns n credits. The caller calls wake once it holds no
// destination's lock.
func (w *wildcardSub) give(n int) {
	w.mu.Lock()
	w.inflight -= n
	w.mu.Unlock()
}

// wake dispatches the destinations of waiting children, first in line
// first, while the window has room. A child goes back in line only after it
// used its turn (a credit) or found the window full, so each turn either
// uses a credit or shortens the line for good, and this ends once the line
// is empty or the window full again. Called with no lock held.
func (w *wildcardSub) wake() {
	for {
		w.mu.Lock()
		if w.inflight >= w.window || len(w.waiting) == 0 {
			w.mu.Unlock()
			return
		}
		s := w.waiting[0]
		copy(w.waiting, w.waiting[1:])
		w.waiting[len(w.waiting)-1] = nil
		w.waiting = w.waiting[:len(w.waiting)-1]
		s.waiting, s.turn = false, true
		w.mu.Unlock()
		s.dest.kick()
		w.mu.Lock()
		s.turn = false // unused: its destination had nothing for it
		w.mu.Unlock()
	}
}

// kick dispatches what d holds: a wildcard child on it may have room now.
func (d *destination) kick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dispatchLocked()
}

// releaseAcross settles what an ACK or NACK covered, which for a wildcard
// subscription in client mode may span its children: each subscription's
// destination gets back its own messages (NACK), in the order delivered,
// and its credits and bytes.
func releaseAcross(done []*delivery, nack bool) {
	if nack {
		sortDeliveries(done)
	}
	type share struct {
		s    *subscription
		n    int
		ms   []*message // NACK only
		size int64      // what they count in the destination until settled
	}
	var one [1]share // the usual case: one subscription
	shares := one[:0]
next:
	for _, x := range done {
		for i := range shares {
			if sh := &shares[i]; sh.s == x.sub {
				sh.n++
				sh.size += x.size
				if nack {
					sh.ms = append(sh.ms, x.msg)
				}
				continue next
			}
		}
		sh := share{s: x.sub, n: 1, size: x.size}
		if nack {
			sh.ms = []*message{x.msg}
		}
		shares = append(shares, sh)
	}
	for _, sh := range shares {
		if nack {
			sh.s.dest.refused(sh.s, sh.ms)
		}
		sh.s.dest.release(sh.s, sh.n, sh.size)
	}
}

// attachWildcards gives a newly created destination its children of every
// matching wildcard subscription, and its durables of every matching
// durable pattern (first: a durable one's child binds to it).
func (b *Broker) attachWildcards(d *destination) {
	b.durableChildren(d)
	b.mu.Lock()
	var ws []*wildcardSub
	for _, w := range b.wildcards {
		if matchDest(w.pattern, d.name) {
			ws = append(ws, w)
		}
	}
	b.mu.Unlock()
	for _, w := range ws {
		b.attach(w, d)
	}
}

// attach subscribes w's new child to d, unless w is a peer's demand whose
// bridge filters keep d from crossing: a pattern the filters let through
// (/queue/>) still covers names they exclude (/queue/private.x).
func (b *Broker) attach(w *wildcardSub, d *destination) {
	if w.net != nil && !w.conn.bridge.allows(d.name) {
		return
	}
	s := w.child(d)
	w.conn.mu.Lock()
	w.children = append(w.children, s)
	w.conn.mu.Unlock()
	if w.durable != nil {
		if dur := b.durableChild(w.durable, d); dur != nil && b.bindDurable(dur, s) == nil {
			return
		}
		// Deleted meanwhile (UNSUBSCRIBE by name from elsewhere): the
		// subscriber still gets what is published from now on.
	}
	b.addSub(s)
}

// subscribePattern registers a wildcard subscription and attaches it to
// the destinations that already match.
func (b *Broker) subscribePattern(w *wildcardSub) {
	b.mu.Lock()
	b.wildcards = append(b.wildcards, w)
	var ds []*destination
	for _, d := range b.dests {
		if matchDest(w.pattern, d.name) {
			ds = append(ds, d)
		}
	}
	b.mu.Unlock()
	for _, d := range ds {
		b.attach(w, d)
	}
	b.patternsChanged()
}

// unsubscribePattern detaches every child and forgets the pattern.
func (b *Broker) unsubscribePattern(w *wildcardSub) {
	b.mu.Lock()
	for i, x := range b.wildcards {
		if x == w {
			b.wildcards = append(b.wildcards[:i:i], b.wildcards[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	w.conn.mu.Lock()
	children := w.children
	w.children, w.sent = nil, nil
	w.conn.mu.Unlock()
	w.mu.Lock()
	for _, s := range w.waiting {
		s.waiting = false
	}
	w.waiting = nil
	w.mu.Unlock()
	for _, s := range children {
		b.removeSub(s)
	}
	b.leaveDurablePattern(w)
	b.patternsChanged()
}
