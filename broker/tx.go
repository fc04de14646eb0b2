package broker

import (
	"fmt"

	"github.com/brokerlab/brokerlab/broker/stomp"
)

// transaction buffers SENDs and ACKs between BEGIN and COMMIT; ABORT or a
// disconnect drops them, so nothing of an unfinished transaction happens.
type transaction struct {
	sends []*message
	acks  []pendingAck
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
		c.tx[name] = &transaction{}
		c.mu.Unlock()
		return nil
	}
	delete(c.tx, name)
	c.mu.Unlock()
	if !exists {
		return c.fail(f, msgUnknownTx, fmt.Sprintf("transaction %q was not begun", name))
	}
	if f.Command == stomp.ABORT {
		return nil
	}
	// The transaction's persistent messages are stored in one append: after a
	// crash, all of them are there or none.
	if err := c.b.persist(tx.sends...); err != nil {
		return c.fail(f, msgNotStored, err.Error())
	}
	for _, m := range tx.sends {
		if err := c.b.publishTo(c.b.dest(m.dest), m); err != nil {
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
