package broker

import (
	"strings"

	"github.com/brokerlab/brokerlab/broker/selector"
)

// Wildcards are ActiveMQ's: names are '.'-separated, '*' matches exactly
// one name, '>' matches one or more trailing names (PRICE.> matches
// PRICE.STOCK and PRICE.STOCK.IBM, not PRICE). The type prefix must match:
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

// matchDest reports whether the concrete destination matches the pattern.
func matchDest(pattern, dest string) bool {
	pp, pn := splitDest(pattern)
	dp, dn := splitDest(dest)
	if pp != dp {
		return false
	}
	ps, ds := strings.Split(pn, "."), strings.Split(dn, ".")
	for i, p := range ps {
		switch {
		case p == ">":
			return i == len(ps)-1 && len(ds) > i
		case i >= len(ds):
			return false
		case p != "*" && p != ds[i]:
			return false
		}
	}
	return len(ps) == len(ds)
}

// wildcardSub is a SUBSCRIBE to a pattern: one child subscription on every
// matching destination, now and as they are created. Each child has its
// own prefetch window; MESSAGE frames carry the client's subscription id and
// the concrete destination.
type wildcardSub struct {
	conn     *conn
	id       string
	pattern  string
	ack      string
	window   int
	selector *selector.Selector
	children []*subscription // guarded by conn.mu
	net      *netWild        // a peer broker's wildcard demand (bridge_wildcard.go); nil for clients
}

func (w *wildcardSub) child(d *destination) *subscription {
	s := &subscription{conn: w.conn, id: w.id, ack: w.ack, window: w.window, dest: d, parent: w, selector: w.selector}
	if n := w.net; n != nil {
		s.network, s.peer, s.ttl, s.hops, s.priority, s.suppress = true, n.peer, n.ttl, n.hops, n.priority, n.suppress
	}
	return s
}

// attachWildcards gives a newly created destination its children of every
// matching wildcard subscription.
func (b *Broker) attachWildcards(d *destination) {
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
// bridge filters keep d from crossing.
func (b *Broker) attach(w *wildcardSub, d *destination) {
	if w.net != nil && w.net.allows != nil && !w.net.allows(d.name) {
		return
	}
	s := w.child(d)
	w.conn.mu.Lock()
	w.children = append(w.children, s)
	w.conn.mu.Unlock()
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
	w.children = nil
	w.conn.mu.Unlock()
	for _, s := range children {
		b.removeSub(s)
	}
	b.patternsChanged()
}
