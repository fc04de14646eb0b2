package broker

import (
	"sort"
	"strconv"
	"strings"

	"github.com/brokerlab/brokerlab/broker/stomp"
)

// Wildcard demand. A consumer of /queue/orders.> on one broker is demand for
// every matching destination on the others, including ones that exist only
// there. So patterns are advertised as patterns (SUBSCRIBE id "wild:<pattern>"
// with hops), and the receiving broker holds a network wildcard subscription
// whose children follow its matching destinations as they are created. A
// pattern is passed on to further bridges within consumerTTL, like
// concrete demand.

const wildPrefix = "wild:"

// netWild is what makes a wildcard subscription a network one: the peer it
// forwards to and how far the real consumer is.
type netWild struct {
	peer     string
	ttl      int // messageTTL
	hops     int
	priority int
	suppress bool
}

// patternDemand handles a peer's SUBSCRIBE to a pattern.
func (br *bridge) patternDemand(id, pattern string, hops int) {
	c := br.c
	c.mu.Lock()
	old := c.wild[id]
	c.mu.Unlock()
	if old != nil && old.net != nil && old.net.hops == hops {
		return
	}
	br.withdrawPattern(id)
	if hops > br.consTTL {
		return
	}
	// Client mode: the peer ACKs only the latest message per subscription
	// (bridge_ack.go), which settles every child's earlier ones (wildcard.go).
	w := &wildcardSub{conn: c, id: id, pattern: pattern, ack: ackClient, window: c.b.cfg.Prefetch,
		net: &netWild{peer: br.peer, ttl: br.msgTTL, hops: hops, suppress: br.opts.suppress && isQueue(pattern)}}
	if br.opts.decreasePriority {
		w.net.priority = -hops
	}
	c.mu.Lock()
	c.wild[id] = w
	c.mu.Unlock()
	c.b.subscribePattern(w)
}

// withdrawPattern drops the network wildcard subscription held for id.
func (br *bridge) withdrawPattern(id string) {
	c := br.c
	c.mu.Lock()
	w := c.wild[id]
	delete(c.wild, id)
	c.mu.Unlock()
	if w != nil {
		c.b.unsubscribePattern(w)
	}
}

// patternsChanged re-advertises wildcard demand to every bridge.
func (b *Broker) patternsChanged() {
	b.demandMu.Lock()
	defer b.demandMu.Unlock()
	for _, br := range b.bridgeList() {
		b.advertisePatterns(br)
	}
}

// advertisePatterns tells br's peer which patterns have consumers here or
// behind our other bridges, within consumerTTL and the dialler's filters,
// never sending a peer's own patterns back. Called under demandMu.
func (b *Broker) advertisePatterns(br *bridge) {
	if !br.advertises() {
		return
	}
	b.mu.Lock()
	want := map[string]int{}
	for _, w := range b.wildcards {
		if w.conn == br.c || (w.net != nil && w.net.peer == br.peer) {
			continue
		}
		hops := 0
		if w.net != nil {
			hops = w.net.hops
		}
		if old, ok := want[w.pattern]; !ok || hops < old {
			want[w.pattern] = hops
		}
	}
	if !br.opts.dynamicOnly {
		// A durable pattern whose subscriber is away is demand too, as a
		// durable subscription on one topic is (advertise).
		for _, dp := range b.durablePatterns {
			want[dp.pattern] = 0
		}
	}
	b.mu.Unlock()
	patterns := make([]string, 0, len(want))
	for p := range want {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		hops := want[p]
		key := wildPrefix + p
		if hops+1 > br.consTTL || !br.allows(p) {
			continue
		}
		if old, had := br.advertised[key]; had && old.hops == hops {
			continue
		}
		br.advertised[key] = demandAd{hops: hops, consumers: 1}
		br.c.send(stomp.New(stomp.SUBSCRIBE, "id", key, "destination", p, "ack", ackClientIndividual, hdrHops, strconv.Itoa(hops)))
	}
	for key := range br.advertised {
		if p, ok := strings.CutPrefix(key, wildPrefix); ok {
			if hops, still := want[p]; !still || hops+1 > br.consTTL || !br.allows(p) {
				delete(br.advertised, key)
				br.c.send(stomp.New(stomp.UNSUBSCRIBE, "id", key))
			}
		}
	}
}

// HasWildcardDemand reports whether this broker holds a subscription to the
// pattern, a client's or a peer broker's.
func (b *Broker) HasWildcardDemand(pattern string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.wildcards {
		if w.pattern == pattern {
			return true
		}
	}
	return false
}
