package broker

import (
	"fmt"
	"slices"
	"strings"

	"github.com/brokerlab/brokerlab/broker/selector"
	"github.com/brokerlab/brokerlab/broker/store"
)

// durable is a durable topic subscription: CONNECT's client-id plus
// SUBSCRIBE's activemq.subscriptionName, as in ActiveMQ. While its
// subscriber is away, messages published to the topic are kept for it;
// when it comes back (same client-id and name) it receives them first.
type durable struct {
	key     string // client-id ":" subscription name
	dest    *destination
	active  *subscription // nil while away; guarded by dest.mu
	pending []*message    // kept while away; guarded by dest.mu
	// bytes is what pending counts in dest.bytes; guarded by dest.mu.
	// Messages recovered from the store (recoverDurable) are kept without
	// being counted, so this can be less than pending's size until the
	// subscriber comes back and they are counted as its own.
	bytes int64
	// selector is the subscription's own (nil: every message). It decides
	// what is kept, and stored, while the subscriber is away too: a copy
	// it would never be given must not wait for it, in memory or on disk.
	selector *selector.Selector
	// gone is set, under dest.mu, once the subscription is deleted: a
	// subscriber binding to it late, or a pattern's topic adding it late,
	// must not bring it back to keep messages for nobody.
	gone bool
}

// wants says whether dur's subscriber would be given m.
func (dur *durable) wants(m *message) bool {
	return dur.selector == nil || dur.selector.Match(m.header)
}

func durableKey(clientID, name string) string { return clientID + ":" + name }

// subscribeDurable attaches s to the durable subscription named key,
// creating it on first use. A durable subscription is used by one
// subscriber at a time.
func (b *Broker) subscribeDurable(key string, s *subscription) error {
	b.mu.Lock()
	dur := b.durables[key]
	if b.durablePatterns[key] != nil || dur != nil && (dur.dest != s.dest || dur.selector.String() != s.selector.String()) {
		// Re-subscribing under the same name to another topic, or with
		// another selector, replaces the subscription, as in JMS.
		b.mu.Unlock()
		b.dropDurable(key)
		b.mu.Lock()
		dur = nil
	}
	created := dur == nil
	if created {
		dur = &durable{key: key, dest: s.dest, selector: s.selector}
		b.durables[key] = dur
	}
	b.mu.Unlock()
	if created {
		// Stored before the SUBSCRIBE's RECEIPT: a restart keeps it, and
		// keeps collecting for it while its subscriber is away.
		if err := b.storeDurable(key, s.dest.name, s.selector); err != nil {
			return fmt.Errorf("could not store durable subscription %q: %v", key, err)
		}
	}
	return b.bindDurable(dur, s)
}

// bindDurable makes s dur's subscriber, which is given first what dur kept
// while it was away.
func (b *Broker) bindDurable(dur *durable, s *subscription) error {
	d := s.dest
	d.mu.Lock()
	if dur.gone {
		d.mu.Unlock()
		return fmt.Errorf("durable subscription %q was deleted meanwhile; subscribe again", dur.key)
	}
	if dur.active != nil {
		d.mu.Unlock()
		return fmt.Errorf("durable subscription %q is already in use by another connection", dur.key)
	}
	if !slices.Contains(d.durables, dur) {
		d.durables = append(d.durables, dur)
	}
	dur.active = s
	s.durable = dur
	// Every copy waiting for s counts in d.bytes, what the durable kept
	// uncounted (recovered from the store) included.
	var size int64
	for _, m := range dur.pending {
		size += m.size()
	}
	d.grow(size - dur.bytes)
	dur.bytes = 0
	s.pending = append(dur.pending, s.pending...)
	dur.pending = nil
	d.mu.Unlock()
	b.addSub(s)
	return nil
}

// dropDurable deletes a durable subscription and what it kept
// (UNSUBSCRIBE with activemq.subscriptionName): one topic's, or a
// pattern's on every topic it matched.
func (b *Broker) dropDurable(key string) bool {
	b.mu.Lock()
	var durs []*durable
	if dur := b.durables[key]; dur != nil {
		durs = append(durs, dur)
	}
	dp := b.durablePatterns[key]
	if dp != nil {
		for _, dur := range dp.children {
			durs = append(durs, dur)
		}
	}
	delete(b.durables, key)
	delete(b.durablePatterns, key)
	b.mu.Unlock()
	if len(durs) == 0 && dp == nil {
		return false
	}
	var kept []*message
	for _, dur := range durs {
		kept = append(kept, dur.detach()...)
	}
	b.forgetDurable(key, kept)
	for _, dur := range durs {
		b.demandChanged(dur.dest) // a durable subscription away is demand on the network too
	}
	if dp != nil {
		b.patternsChanged()
	}
	return true
}

// detach takes dur off its topic, for good, and returns what it kept.
func (dur *durable) detach() []*message {
	d := dur.dest
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, x := range d.durables {
		if x == dur {
			d.durables = append(d.durables[:i:i], d.durables[i+1:]...)
			break
		}
	}
	dur.gone = true
	kept := dur.pending
	dur.pending = nil
	d.shrink(dur.bytes)
	dur.bytes = 0
	return kept
}

// keep adds m to what dur keeps for its subscriber, who is away, and
// counts it against the topic's memory limit. A persistent message whose
// copy for dur is in the store (loc) is kept without its body once the
// topic holds half its limit, as a queue spools: the copy is read back
// when dur's subscriber returns. Half, not all: a topic's producers are
// paused at the limit (a live subscriber's copies have nowhere else to
// go), and a spooled copy still costs its headers, so spooling that began
// only at the limit would pause the producer a few messages later.
// Called under d.mu.
func (d *destination) keep(dur *durable, m *message, loc store.Location) {
	if loc.Valid() && !m.spooled && (d.bytes+m.size() > d.b.cfg.DestinationMemoryLimit/2 || d.b.memOver()) {
		m = m.keptCopy(d, loc)
		d.spooled++
	}
	dur.pending = append(dur.pending, m)
	dur.bytes += m.size()
	d.grow(m.size())
}

// keptCopy is a durable subscription's own copy of m, spooled: its
// headers without the body, which is read back from loc, the copy's
// record in the store (Broker.body, under durableRecordID). It shares
// nothing with m's frame.
func (m *message) keptCopy(d *destination, loc store.Location) *message {
	k := &message{id: strings.Clone(m.id), dest: d.name, expires: m.expires, persistent: true, pr: m.pr, loc: loc, spooled: true}
	k.headers, k.path = detachHeaders(m.headers, m.path)
	return k
}

// durableLoc says where the store holds a durable subscription's copy of
// a message.
type durableLoc struct {
	dur *durable
	loc store.Location
}

func locFor(locs []durableLoc, dur *durable) store.Location {
	for _, l := range locs {
		if l.dur == dur {
			return l.loc
		}
	}
	return store.Location{}
}

// publishTo stores a persistent topic message's copies for the topic's
// durable subscriptions, then publishes it; any other message is only
// published. The copies' locations are kept, so that a copy kept for a
// subscriber who is away can wait in the store instead of in memory
// (destination.keep). full says d is over its memory limit once m is in.
func (b *Broker) publishTo(d *destination, m *message) (full bool, err error) {
	locs, err := b.storeForDurables(d, m)
	if err != nil {
		return false, err
	}
	return d.publishKept(m, locs), nil
}

func (b *Broker) storeForDurables(d *destination, m *message) ([]durableLoc, error) {
	st, locs, recs := b.durableRecords(d, m)
	if len(recs) == 0 {
		return nil, nil
	}
	at, err := st.AppendAt(recs...)
	if err != nil {
		return nil, err
	}
	for i := range locs {
		locs[i].loc = at[i]
	}
	return locs, nil
}

// durableRecords is what storing a persistent topic message's copies for
// d's durable subscriptions appends: one record per subscription that
// wants it, in the order of the returned subscriptions, and the store to
// append them to. Nothing for any other message, or without a store.
func (b *Broker) durableRecords(d *destination, m *message) (*store.Store, []durableLoc, []store.Record) {
	if !d.topic {
		return nil, nil, nil
	}
	if v, _ := m.header("persistent"); v != "true" {
		return nil, nil, nil
	}
	st := b.currentStore()
	if st == nil {
		return nil, nil, nil
	}
	d.mu.Lock()
	locs := make([]durableLoc, 0, len(d.durables))
	for _, dur := range d.durables {
		if dur.wants(m) {
			locs = append(locs, durableLoc{dur: dur})
		}
	}
	d.mu.Unlock()
	if len(locs) == 0 {
		return nil, nil, nil
	}
	recs := make([]store.Record, 0, len(locs))
	for _, l := range locs {
		r := putRecord(m)
		r.ID = durableRecordID(m.id, l.dur.key)
		r.Headers = append(r.Headers, store.Header{Key: hdrDurable, Value: l.dur.key})
		recs = append(recs, r)
	}
	m.persistent = true
	return st, locs, recs
}
