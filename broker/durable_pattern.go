package broker

import (
	"fmt"
	"slices"

	"github.com/brokerlab/brokerlab/broker/selector"
)

// durablePattern is a durable subscription to a wildcard topic
// (/topic/PRICE.>), which ActiveMQ allows: while its subscriber is away it
// keeps what is published to every matching topic, topics created
// meanwhile included. It is one durable per matching topic (its children),
// all under the pattern's key, each made with its topic. The subscriber's
// wildcard subscription binds each of its own children to the durable on
// that topic as it attaches (Broker.attach), so a returning subscriber is
// given what every topic kept, under one prefetch window and one ack order
// as any wildcard subscription.
//
// The children share the key, so a copy's record (durableRecordID) is
// "<message id>@<key>" whichever topic it came from: a message id names one
// message, and a message has one topic.
type durablePattern struct {
	key      string
	pattern  string
	selector *selector.Selector
	active   *wildcardSub              // guarded by Broker.mu
	children map[*destination]*durable // guarded by Broker.mu
}

// subscribeDurablePattern attaches w to the durable subscription named key,
// creating it on first use, then subscribes w to its pattern.
func (b *Broker) subscribeDurablePattern(key string, w *wildcardSub) error {
	b.mu.Lock()
	dp := b.durablePatterns[key]
	if b.durables[key] != nil || dp != nil && (dp.pattern != w.pattern || dp.selector.String() != w.selector.String()) {
		// Another topic, pattern or selector under the same name replaces
		// the subscription, as in JMS.
		b.mu.Unlock()
		b.dropDurable(key)
		b.mu.Lock()
		dp = nil
	}
	if dp != nil && dp.active != nil {
		b.mu.Unlock()
		return fmt.Errorf("durable subscription %q is already in use by another connection", key)
	}
	created := dp == nil
	if created {
		dp = &durablePattern{key: key, pattern: w.pattern, selector: w.selector}
	} else {
		dp.active, w.durable = w, dp
	}
	b.mu.Unlock()
	if created {
		// Stored before the SUBSCRIBE's RECEIPT, as a topic's is.
		if err := b.storeDurable(key, w.pattern, w.selector); err != nil {
			return fmt.Errorf("could not store durable subscription %q: %v", key, err)
		}
		dp.active, w.durable = w, dp
		if !b.addDurablePattern(dp) {
			return fmt.Errorf("durable subscription %q was created by another connection meanwhile; subscribe again", key)
		}
	}
	b.subscribePattern(w)
	return nil
}

// addDurablePattern registers dp, unless the key is taken, and gives it
// its durable on every topic it already matches.
func (b *Broker) addDurablePattern(dp *durablePattern) bool {
	dp.children = map[*destination]*durable{}
	b.mu.Lock()
	if b.durablePatterns[dp.key] != nil || b.durables[dp.key] != nil {
		b.mu.Unlock()
		return false
	}
	b.durablePatterns[dp.key] = dp
	var topics []*destination
	for _, d := range b.dests {
		if matchDest(dp.pattern, d.name) {
			topics = append(topics, d)
		}
	}
	b.mu.Unlock()
	for _, d := range topics {
		b.durableChild(dp, d)
	}
	b.patternsChanged() // while its subscriber is away, the pattern is still demand on the network
	return true
}

// durableChild is dp's durable on topic d, made on first use; nil once dp
// is deleted.
func (b *Broker) durableChild(dp *durablePattern, d *destination) *durable {
	b.mu.Lock()
	if b.durablePatterns[dp.key] != dp {
		b.mu.Unlock()
		return nil
	}
	dur := dp.children[d]
	if dur == nil {
		dur = &durable{key: dp.key, dest: d, selector: dp.selector}
		dp.children[d] = dur
	}
	b.mu.Unlock()
	d.mu.Lock()
	if !dur.gone && !slices.Contains(d.durables, dur) {
		d.durables = append(d.durables, dur)
	}
	d.mu.Unlock()
	return dur
}

// durableChildren gives a newly created topic the durable of every durable
// pattern it matches, its subscriber present or away.
func (b *Broker) durableChildren(d *destination) {
	if !d.topic {
		return
	}
	b.mu.Lock()
	var dps []*durablePattern
	for _, dp := range b.durablePatterns {
		if matchDest(dp.pattern, d.name) {
			dps = append(dps, dp)
		}
	}
	b.mu.Unlock()
	for _, dp := range dps {
		b.durableChild(dp, d)
	}
}

// leaveDurablePattern marks w's durable subscription away, once w's
// children have handed back to their durables what they held.
func (b *Broker) leaveDurablePattern(w *wildcardSub) {
	b.mu.Lock()
	if dp := w.durable; dp != nil && dp.active == w {
		dp.active = nil
	}
	b.mu.Unlock()
}
