package broker

import (
	"fmt"
	"slices"
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
}

func durableKey(clientID, name string) string { return clientID + ":" + name }

// subscribeDurable attaches s to the durable subscription named key,
// creating it on first use. A durable subscription is used by one
// subscriber at a time.
func (b *Broker) subscribeDurable(key string, s *subscription) error {
	b.mu.Lock()
	dur := b.durables[key]
	if dur != nil && dur.dest != s.dest {
		// Re-subscribing under the same name to another topic replaces the
		// subscription, as in JMS.
		b.mu.Unlock()
		b.dropDurable(key)
		b.mu.Lock()
		dur = nil
	}
	created := dur == nil
	if created {
		dur = &durable{key: key, dest: s.dest}
		b.durables[key] = dur
	}
	b.mu.Unlock()
	if created {
		// Stored before the SUBSCRIBE's RECEIPT: a restart keeps it, and
		// keeps collecting for it while its subscriber is away.
		if err := b.storeDurable(dur); err != nil {
			return fmt.Errorf("could not store durable subscription %q: %v", key, err)
		}
	}
	d := s.dest
	d.mu.Lock()
	if dur.active != nil {
		d.mu.Unlock()
		return fmt.Errorf("durable subscription %q is already in use by another connection", key)
	}
	if !slices.Contains(d.durables, dur) {
		d.durables = append(d.durables, dur)
	}
	dur.active = s
	s.durable = dur
	s.pending = append(dur.pending, s.pending...)
	dur.pending = nil
	d.mu.Unlock()
	b.addSub(s)
	return nil
}

// dropDurable deletes a durable subscription and what it kept
// (UNSUBSCRIBE with activemq.subscriptionName).
func (b *Broker) dropDurable(key string) bool {
	b.mu.Lock()
	dur := b.durables[key]
	delete(b.durables, key)
	b.mu.Unlock()
	if dur == nil {
		return false
	}
	d := dur.dest
	d.mu.Lock()
	for i, x := range d.durables {
		if x == dur {
			d.durables = append(d.durables[:i:i], d.durables[i+1:]...)
			break
		}
	}
	kept := dur.pending
	dur.pending = nil
	d.mu.Unlock()
	b.forgetDurable(dur, kept)
	b.demandChanged(d) // a durable subscription away is demand on the network too
	return true
}
