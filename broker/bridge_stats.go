package broker

import (
	"sort"
	"time"
)

// BridgeStats describes one bridge as /stats lists it.
type BridgeStats struct {
	Link       string    `json:"link"`
	Peer       string    `json:"peer"`
	Remote     string    `json:"remote"`
	Dialer     bool      `json:"dialer"`
	Duplex     bool      `json:"duplex"`
	UpSince    time.Time `json:"upSince"`
	Forwarded  uint64    `json:"forwarded"`  // messages the peer acknowledged
	Received   uint64    `json:"received"`   // messages taken from the peer and routed here
	Duplicates uint64    `json:"duplicates"` // copies the audit dropped
	Loops      uint64    `json:"loops"`      // messages that had been here before
	Demand     int       `json:"demand"`     // destinations we advertised to the peer
	InFlight   int       `json:"inFlight"`   // sent to the peer, not yet acknowledged
}

func (b *Broker) bridgeStats() []BridgeStats {
	brs := b.bridgeList()
	out := make([]BridgeStats, 0, len(brs))
	b.demandMu.Lock()
	demand := make(map[*bridge]int, len(brs))
	for _, br := range brs {
		demand[br] = len(br.advertised)
	}
	b.demandMu.Unlock()
	for _, br := range brs {
		br.c.mu.Lock()
		inflight := len(br.c.unacked)
		br.c.mu.Unlock()
		out = append(out, BridgeStats{Link: br.link, Peer: br.peer, Remote: br.c.remote, Dialer: br.dialer, Duplex: br.duplex, UpSince: br.since,
			Forwarded: br.forwarded.Load(), Received: br.received.Load(), Duplicates: br.duplicates.Load(), Loops: br.loops.Load(),
			Demand: demand[br], InFlight: inflight})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Link < out[j].Link })
	return out
}
