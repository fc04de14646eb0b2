package broker_test

import (
	"testing"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// DISCONNECT's RECEIPT comes after the broker has let go of the
// connection's subscriptions, as ActiveMQ's does: when the client has it,
// no consumer of its is left, and its unacknowledged message waits for the
// next consumer.
func TestDisconnectReceiptAfterRelease(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	for range 20 {
		c := dial(t, b.Addr())
		s, err := c.Subscribe("/queue/held", stomp.AckClientIndividual)
		if err != nil {
			t.Fatal(err)
		}
		c.Send("/queue/held", "text/plain", []byte("x"), stomp.SendOpt.Receipt)
		recv(t, s) // delivered, never acknowledged
		if err := c.Disconnect(); err != nil {
			t.Fatal(err)
		}
		for _, d := range b.Stats().Destinations {
			if d.Name == "/queue/held" && (len(d.Consumers) != 0 || d.Pending == 0) {
				t.Fatalf("after DISCONNECT's receipt /queue/held holds %+v; want no consumer and the message back", d)
			}
		}
		// Drain it for the next round.
		c2 := dial(t, b.Addr())
		s2, _ := c2.Subscribe("/queue/held", stomp.AckAuto)
		recv(t, s2)
		c2.Disconnect()
	}
}
