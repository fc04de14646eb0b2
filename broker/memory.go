package broker

import (
	"sync"
	"sync/atomic"
)

// Broker-wide memory. Every destination's bytes (what waits in it, what
// it keeps for durable subscribers away, what it delivered that is not yet
// acknowledged) also count in one sum against BrokerMemoryLimit, so that
// many destinations, each under its own limit, cannot together take the
// machine: a producer is paused (or refused) when either its destination
// or the broker is full, and persistent messages spool when either is.
// One atomic add per change; a destination's lock is held anyway.

type memoryUse struct {
	bytes   atomic.Int64
	waiting atomic.Bool // a producer waits for broker-wide room: freeing must wake it
	mu      sync.Mutex
	space   chan struct{} // closed when bytes drops, so paused producers look again
}

// memOver says whether the broker holds its BrokerMemoryLimit or more.
func (b *Broker) memOver() bool { return b.mem.bytes.Load() >= b.cfg.BrokerMemoryLimit }

// memWait returns a channel closed once broker-wide room may have
// appeared, or nil if there is room already.
func (b *Broker) memWait() <-chan struct{} {
	m := &b.mem
	m.mu.Lock()
	if m.space == nil {
		m.space = make(chan struct{})
	}
	ch := m.space
	m.waiting.Store(true)
	m.mu.Unlock()
	// waiting is set before bytes is read again, and freeing lowers bytes
	// before it reads waiting: no wake-up is lost between them.
	if !b.memOver() {
		return nil
	}
	return ch
}

func (m *memoryUse) wake() {
	m.mu.Lock()
	m.waiting.Store(false)
	if m.space != nil {
		close(m.space)
		m.space = nil
	}
	m.mu.Unlock()
}

// grow counts n more bytes in d, and in the broker. Called under d.mu.
func (d *destination) grow(n int64) {
	d.bytes += n
	if !d.deleted {
		d.b.mem.bytes.Add(n)
	}
}

// shrink takes n bytes out of d and the broker and wakes the producers
// waiting for room. Called under d.mu.
func (d *destination) shrink(n int64) {
	d.bytes -= n
	if !d.deleted {
		if m := &d.b.mem; m.bytes.Add(-n) < d.b.cfg.BrokerMemoryLimit && m.waiting.Load() {
			m.wake()
		}
	}
	if d.space != nil {
		close(d.space)
		d.space = nil
	}
}

// forgetBytes takes a deleted destination's bytes out of the broker's
// sum; what is still settled on it later no longer counts there. Called
// under d.mu.
func (d *destination) forgetBytes() {
	if !d.deleted {
		d.shrink(d.bytes) // to zero
		d.deleted = true
	}
}
