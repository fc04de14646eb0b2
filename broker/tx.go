package broker

import (
	"fmt"

	"github.com/brokerlab/brokerlab/broker/stomp"
)

// transaction buffers SENDs and ACKs between BEGIN and COMMIT; ABORT or a
// disconnect drops them, so nothing of an unfinished transaction happens.
// Only the connection's reading goroutine touches one.
type transaction struct {
	name  string
	sends []*message
	acks  []pendingAck
	named map[*delivery]bool // the deliveries acks name
	bytes int64              // counted in conn.txBytes
}

// What a transaction and a buffered ACK cost besides their names, roughly:
// enough that a client cannot buffer without bound in empty transactions
// or ACKs either.
const (
	transactionCost = 128
	pendingAckCost  = 48
)

// txBuffer counts n more bytes buffered by tx against MaxTransactionBytes,
// which bounds all of one connection's open transactions together (a
// client could otherwise open many). Past it the client gets an ERROR
// saying so and how to raise it, and the connection ends, dropping them.
// Only the connection's reader calls it.
func (c *conn) txBuffer(f *stomp.Frame, tx *transaction, n int64) error {
	c.mu.Lock()
	c.txBytes += n
	total := c.txBytes
	c.mu.Unlock()
	tx.bytes += n
	if limit := c.b.cfg.MaxTransactionBytes; total > limit {
		return c.fail(f, msgTxTooLarge, fmt.Sprintf("transaction %q: this connection's open transactions would buffer more than %d bytes until COMMIT (MaxTransactionBytes); commit in smaller transactions, or raise the broker's MaxTransactionBytes", tx.name, limit))
	}
	return nil
}

// pendingAck is an ACK or NACK inside a transaction: the delivery it named
// when it arrived, settled at COMMIT.
type pendingAck struct {
	d    *delivery
	nack bool
}

func (tx *transaction) add(d *delivery, nack bool) {
	if tx.named == nil {
		tx.named = map[*delivery]bool{}
	}
	tx.named[d] = true
	tx.acks = append(tx.acks, pendingAck{d: d, nack: nack})
}

// names says whether the transaction already acknowledges d. A nil
// transaction names nothing.
func (tx *transaction) names(d *delivery) bool { return tx != nil && tx.named[d] }

func (c *conn) txFor(name string) *transaction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tx[name]
}

func (c *conn) onTransaction(f *stomp.Frame) error {
	name, ok := f.Lookup("transaction")
	if !ok {
		return c.fail(f, msgNoTx, "")
	}
	c.mu.Lock()
	tx, exists := c.tx[name]
	switch f.Command {
	case stomp.BEGIN:
		if exists {
			c.mu.Unlock()
			return c.fail(f, msgTxExists, fmt.Sprintf("transaction %q", name))
		}
		tx = &transaction{name: name}
		c.tx[name] = tx
		c.mu.Unlock()
		return c.txBuffer(f, tx, int64(len(name))+transactionCost)
	}
	delete(c.tx, name)
	if exists {
		c.txBytes -= tx.bytes
	}
	c.mu.Unlock()
	if !exists {
		return c.fail(f, msgUnknownTx, fmt.Sprintf("transaction %q was not begun", name))
	}
	if f.Command == stomp.ABORT {
		return nil
	}
	return c.commit(f, name, tx)
}

// commit applies a transaction all or nothing: everything that could refuse
// it is checked before anything is stored, routed or settled, so a COMMIT
// answered with ERROR has changed nothing (the connection then ends, and
// its unacknowledged messages go back as after any disconnect).
func (c *conn) commit(f *stomp.Frame, name string, tx *transaction) error {
	c.mu.Lock()
	for _, a := range tx.acks {
		if c.unacked[a.d.ackID] != a.d {
			c.mu.Unlock()
			// Settled meanwhile outside the transaction, or its
			// subscription ended.
			return c.fail(f, msgUnknownAck, fmt.Sprintf("transaction %q acknowledged message %s, which is no longer unacknowledged on this connection; nothing of the transaction was applied", name, a.d.msg.id))
		}
	}
	c.mu.Unlock()
	for _, m := range tx.sends {
		if c.b.tempGone(m.dest) {
			return c.fail(f, msgTempGone+": "+m.dest, tempGoneDetail+"; nothing of the transaction was applied")
		}
	}
	if err := c.txFlowControl(f, tx); err != nil {
		return err
	}
	// The transaction's persistent messages, and its topic messages' copies
	// for durable subscribers, are stored in one append: after a crash, all
	// of them are there or none.
	copies, err := c.b.persistAll(tx.sends)
	if err != nil {
		return c.fail(f, msgNotStored, err.Error()+"; nothing of the transaction was applied")
	}
	for i, m := range tx.sends {
		c.b.dest(m.dest).publishKept(m, copies[i])
	}
	type settled struct {
		done []*delivery
		nack bool
	}
	c.mu.Lock()
	all := make([]settled, 0, len(tx.acks))
	for _, a := range tx.acks {
		// Gone now only if an earlier cumulative ACK of this transaction
		// took it, or the connection is closing (and gives it back).
		if c.unacked[a.d.ackID] == a.d {
			all = append(all, settled{c.take(a.d, a.nack), a.nack})
		}
	}
	c.mu.Unlock()
	for _, s := range all {
		c.finish(s.done, s.nack)
	}
	return nil
}

// txFlowControl applies flow control to a COMMIT, before any of it takes
// effect: it waits (or, with SendFailIfNoSpace, refuses the COMMIT) until
// every destination the transaction sends to is under its memory limit,
// as a SEND outside a transaction would. Then all of it is routed at once,
// so a destination passes its limit by at most one transaction, itself
// bounded by MaxTransactionBytes; pausing between its messages instead
// would let others see a half-committed transaction, and refusing half-way
// would leave one. Persistent queue messages wait only for the broker's
// limit, as outside a transaction: with a store they wait there (spool),
// not in memory, but their headers do not.
func (c *conn) txFlowControl(f *stomp.Frame, tx *transaction) error {
	stored := c.b.currentStore() != nil
	seen := map[string]bool{}
	for _, m := range tx.sends {
		if seen[m.dest] {
			continue
		}
		d := c.b.dest(m.dest)
		if m.persistent && stored { // only queue messages are persistent here
			if c.b.memOver() && !c.brokerFlowControl(d) {
				return c.noSpace(f, d, fmt.Sprintf("transaction %q was not committed", tx.name))
			}
			continue
		}
		seen[m.dest] = true
		if !c.flowControl(d) {
			return c.noSpace(f, d, fmt.Sprintf("transaction %q was not committed", tx.name))
		}
	}
	return nil
}
