package broker

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Stats is a snapshot of what a broker holds: per destination, the
// messages waiting and every consumer with its messages in flight. It is
// what /stats will serve, and what a failed scenario keeps to show where
// messages stopped.
type Stats struct {
	Node        string `json:"node"`
	Connections int    `json:"connections"`
	// Bytes is every destination's bytes together, against the broker's
	// memory limit (BrokerMemoryLimit).
	Bytes        int64              `json:"bytes"`
	Bridges      []string           `json:"bridges"`
	Destinations []DestinationStats `json:"destinations"`
	Durables     []DurableStats     `json:"durables,omitempty"`
	Network      []BridgeStats      `json:"network,omitempty"` // bridges with their counters
}

// MarshalJSON writes a list that is empty as [] rather than null, so
// readers of /stats (jq, dashboards, other languages) can iterate
// "bridges" and "destinations" without first checking for null. Lists
// tagged omitempty are left out when empty, as before.
func (s Stats) MarshalJSON() ([]byte, error) {
	type plain Stats // the same fields without this method
	p := plain(s)
	if p.Bridges == nil {
		p.Bridges = []string{}
	}
	if p.Destinations == nil {
		p.Destinations = []DestinationStats{}
	}
	// Unescaped: the caller's encoder escapes HTML if it was asked to, and
	// /stats was not (links read "a->hub", not "a-\u003ehub").
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// DurableStats describes a durable topic subscription.
type DurableStats struct {
	Key     string `json:"key"`   // client-id:subscription-name
	Topic   string `json:"topic"` // a pattern (/topic/PRICE.>) for a durable wildcard subscription
	Active  bool   `json:"active"`
	Pending int    `json:"pending"` // kept while its subscriber is away
}

// DestinationStats describes one queue or topic.
type DestinationStats struct {
	Name string `json:"name"`
	// Pending is what waits: a queue's backlog, or what a topic keeps for
	// its durable subscribers while they are away.
	Pending  int    `json:"pending"`
	Enqueued uint64 `json:"enqueued"`
	Dequeued uint64 `json:"dequeued"`
	Expired  uint64 `json:"expired"`
	// Spooled counts persistent messages that waited in the store rather
	// than in memory, their queue being over its memory limit (a topic:
	// copies kept for durable subscribers away, over half its limit).
	Spooled   uint64          `json:"spooled"`
	Bytes     int64           `json:"bytes"`
	Consumers []ConsumerStats `json:"consumers,omitempty"`
}

// ConsumerStats describes one subscription.
type ConsumerStats struct {
	ID       string `json:"id"`
	Network  bool   `json:"network,omitempty"`
	Peer     string `json:"peer,omitempty"`
	Hops     int    `json:"hops,omitempty"`
	Ack      string `json:"ack"`
	InFlight int    `json:"inFlight"`
	Window   int    `json:"window"`
	Pending  int    `json:"pending,omitempty"` // topic copies not yet sent
	Remote   string `json:"remote"`
}

// Stats takes a snapshot.
func (b *Broker) Stats() Stats {
	b.mu.Lock()
	st := Stats{Node: b.cfg.Name, Connections: len(b.conns), Bytes: b.mem.bytes.Load()}
	for c := range b.bridges {
		st.Bridges = append(st.Bridges, c.bridge.link+" ("+c.remote+")")
	}
	dests := make([]*destination, 0, len(b.dests))
	for _, d := range b.dests {
		dests = append(dests, d)
	}
	durs := make([]*durable, 0, len(b.durables))
	for _, d := range b.durables {
		durs = append(durs, d)
	}
	type patternStats struct {
		DurableStats
		children []*durable
	}
	pats := make([]patternStats, 0, len(b.durablePatterns))
	for _, dp := range b.durablePatterns {
		ps := patternStats{DurableStats: DurableStats{Key: dp.key, Topic: dp.pattern, Active: dp.active != nil}}
		for _, dur := range dp.children {
			ps.children = append(ps.children, dur)
		}
		pats = append(pats, ps)
	}
	b.mu.Unlock()
	for _, dur := range durs {
		dur.dest.mu.Lock()
		st.Durables = append(st.Durables, DurableStats{Key: dur.key, Topic: dur.dest.name, Active: dur.active != nil, Pending: len(dur.pending)})
		dur.dest.mu.Unlock()
	}
	for _, ps := range pats {
		for _, dur := range ps.children {
			dur.dest.mu.Lock()
			ps.Pending += len(dur.pending)
			dur.dest.mu.Unlock()
		}
		st.Durables = append(st.Durables, ps.DurableStats)
	}
	sort.Slice(st.Durables, func(i, j int) bool { return st.Durables[i].Key < st.Durables[j].Key })
	sort.Strings(st.Bridges)
	st.Network = b.bridgeStats()
	sort.Slice(dests, func(i, j int) bool { return dests[i].name < dests[j].name })
	for _, d := range dests {
		d.mu.Lock()
		ds := DestinationStats{Name: d.name, Pending: len(d.pending), Enqueued: d.enqueued, Dequeued: d.dequeued, Expired: d.expired, Spooled: d.spooled, Bytes: d.bytes}
		for _, dur := range d.durables {
			if dur.active == nil {
				ds.Pending += len(dur.pending) // a topic's depth: what it keeps for subscribers away
			}
		}
		for _, s := range d.subs {
			ds.Consumers = append(ds.Consumers, ConsumerStats{ID: s.id, Network: s.network, Peer: s.peer, Hops: s.hops, Ack: s.ack,
				InFlight: s.inflight, Window: s.window, Pending: len(s.pending), Remote: s.conn.remote})
		}
		d.mu.Unlock()
		st.Destinations = append(st.Destinations, ds)
	}
	return st
}
