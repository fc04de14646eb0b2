package broker

import (
	"errors"
	"sync"

	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/store"
)

// Persistent sends are pipelined. Waiting for each one's fsync before
// reading the next frame would let a connection put one message in each
// group commit: two producers would make two records per fsync, a few
// thousand messages a second. Instead the reader queues the append and
// reads on; a router goroutine per connection waits for the appends in the
// order they were queued (the store completes them in that order), then
// routes each message and sends its RECEIPT. So a message is still on disk
// before anyone can receive it and before its producer hears it is safe,
// and a connection's messages are still routed in the order sent.
//
// Any other frame waits for the pipeline to empty first, so frames keep
// taking effect in the order the client sent them: a non-persistent SEND
// after persistent ones, an ACK, a COMMIT, DISCONNECT's RECEIPT.

// maxStoredInFlight bounds a connection's persistent sends queued for the
// store; past it the reader waits, and TCP slows the producer.
const maxStoredInFlight = 1024

// errReceiptLater tells handle that the frame's RECEIPT is the router's to
// send, once the message is stored.
var errReceiptLater = errors.New("receipt sent once stored")

// storedSend is one persistent SEND whose append is under way.
type storedSend struct {
	f *stomp.Frame
	m *message
	d *destination
	p *store.Pending
	// done runs after the message is routed (a bridge acknowledges to the
	// sending broker then); nil for a client's SEND.
	done func()
}

// storedPipeline is a connection's queue of persistent sends. Only the
// connection's reader queues and waits; the router drains.
type storedPipeline struct {
	once    sync.Once
	queue   chan *storedSend
	pending sync.WaitGroup
}

// sendStored queues m's append and returns at once, unless
// maxStoredInFlight are queued already.
func (c *conn) sendStored(f *stomp.Frame, m *message, d *destination, st *store.Store) {
	c.sendStoredThen(f, m, d, st, nil)
}

// sendStoredThen is sendStored with done run after routing.
func (c *conn) sendStoredThen(f *stomp.Frame, m *message, d *destination, st *store.Store, done func()) {
	c.stored.once.Do(func() {
		c.stored.queue = make(chan *storedSend, maxStoredInFlight)
		go c.routeStored()
	})
	c.stored.pending.Add(1)
	c.stored.queue <- &storedSend{f: f, m: m, d: d, p: st.AppendAsync(putRecord(m)), done: done}
}

// waitStored returns once every queued persistent send has been routed.
func (c *conn) waitStored() { c.stored.pending.Wait() }

// stopStored ends the router once it has routed what is queued: a message
// on disk is routed even when its producer has gone, or it would wait in
// the store until a restart. Called by the reader as it stops.
func (c *conn) stopStored() {
	if c.stored.queue != nil {
		close(c.stored.queue)
	}
}

func (c *conn) routeStored() {
	for ss := range c.stored.queue {
		locs, err := ss.p.Wait()
		if err != nil {
			c.fail(ss.f, msgNotStored, err.Error())
		} else {
			ss.m.loc = locs[0]
			ss.d.publish(ss.m)
			c.receipt(ss.f)
			if ss.done != nil {
				ss.done()
			}
		}
		c.stored.pending.Done()
	}
}
