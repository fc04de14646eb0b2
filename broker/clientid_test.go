package broker_test

import (
	"testing"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// One connection per client-id, as ActiveMQ: a second is refused with an
// ERROR naming the first, and the id is free again once its holder has
// disconnected.
func TestClientIDIsOneConnection(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	first, _ := connectWire(t, b.Addr(), "accept-version:1.2", "client-id:orders")
	second := dialWire(t, b.Addr())
	second.send("CONNECT", "accept-version:1.2", "client-id:orders", "receipt:c2")
	f := second.expectError("client-id already in use")
	if f.Header.Get("receipt-id") != "c2" {
		t.Errorf("the ERROR lacks receipt-id c2: %v", headerList(f))
	}
	first.send("DISCONNECT", "receipt:bye")
	first.expectReceipt("bye")
	connectWire(t, b.Addr(), "accept-version:1.2", "client-id:orders") // free again
	connectWire(t, b.Addr(), "accept-version:1.2", "client-id:other")
}
