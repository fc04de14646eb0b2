package broker

import (
	"fmt"

	"github.com/brokerlab/brokerlab/broker/stomp"
)

// transaction buffers SENDs and ACKs between BEGIN and COMMIT; ABORT or a
// disconnect drops them, so nothing of an unfinished transaction happens.
type transaction struct {
	name  string
	sends []*message
	acks  []pendingAck
	bytes int64 // counted in conn.txBytes
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

type pendingAck struct {
	id          string
	byMessageID bool
	nack        bool
}

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
	if err := c.txFlowControl(f, tx); err != nil {
		return err
	}
	// The transaction's persistent messages are stored in one append: after a
	// crash, all of them are there or none.
	if err := c.b.persist(tx.sends...); err != nil {
		return c.fail(f, msgNotStored, err.Error())
	}
	for _, m := range tx.sends {
		if _, err := c.b.publishTo(c.b.dest(m.dest), m); err != nil {
			return c.fail(f, msgNotStored, err.Error())
		}
	}
	for _, a := range tx.acks {
		if !c.settle(a.id, a.byMessageID, a.nack) {
			return c.fail(f, msgUnknownAck, fmt.Sprintf("transaction %q acknowledged %q, which is not an unacknowledged message on this connection", name, a.id))
		}
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
// would leave one. Persistent queue messages are exempt, as outside a
// transaction: with a store they wait there (spool), not in memory.
func (c *conn) txFlowControl(f *stomp.Frame, tx *transaction) error {
	stored := c.b.currentStore() != nil
	seen := map[string]bool{}
	for _, m := range tx.sends {
		if (m.persistent && stored && isQueue(m.dest)) || seen[m.dest] {
			continue
		}
		seen[m.dest] = true
		d := c.b.dest(m.dest)
		if !c.flowControl(d) {
			return c.noSpace(f, d, fmt.Sprintf("transaction %q was not committed", tx.name))
		}
	}
	return nil
}
