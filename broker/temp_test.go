package broker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// requestReply has a requester ask /queue/rpc with reply-to its temporary
// queue, and returns the requester and the responder with the real name
// the request carried.
func requestReply(t *testing.T, addr string) (req, resp *wire, replyTo string) {
	t.Helper()
	resp, _ = connectWire(t, addr, "accept-version:1.2")
	resp.send("SUBSCRIBE", "id:rpc", "destination:/queue/rpc")
	resp.sync("resp")
	req, _ = connectWire(t, addr, "accept-version:1.2")
	req.send("SUBSCRIBE", "id:replies", "destination:/temp-queue/replies")
	req.send("SEND", "destination:/queue/rpc", "reply-to:/temp-queue/replies", "receipt:q", "", "2+2")
	req.expectReceipt("q")
	replyTo = resp.expectMessage("2+2").Header.Get("reply-to")
	if !strings.HasPrefix(replyTo, "/remote-temp-queue/") {
		t.Fatalf("reply-to %q was not rewritten", replyTo)
	}
	return req, resp, replyTo
}

// Only the connection that made a temporary queue may consume from it:
// another that learnt its name from a reply-to is refused, as ActiveMQ
// refuses it, and the replies still reach their owner.
func TestTempQueueRefusesOtherConsumers(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	req, resp, replyTo := requestReply(t, b.Addr())
	thief, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	thief.send("SUBSCRIBE", "id:steal", "destination:"+replyTo, "receipt:s1")
	e := thief.expectError("Cannot subscribe to remote temporary destination")
	if !strings.Contains(e.Header.Get("message"), replyTo) || e.Header.Get("receipt-id") != "s1" {
		t.Fatalf("ERROR %v: want the destination named and receipt-id:s1", headerList(e))
	}
	// Nor by a wildcard over every temporary queue.
	thief2, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	thief2.send("SUBSCRIBE", "id:steal", "destination:/remote-temp-queue/>")
	thief2.expectError("Cannot subscribe to remote temporary destination")

	resp.send("SEND", "destination:"+replyTo, "receipt:r", "", "4")
	resp.expectReceipt("r")
	req.expectMessage("4")

	// The owner itself may use the real name.
	req.send("SUBSCRIBE", "id:own", "destination:"+replyTo, "receipt:own")
	req.expectReceipt("own")
}

// Once its owner has gone, a temporary queue is not made again by a SEND:
// the reply is refused with an ERROR naming it (ActiveMQ's
// DestinationDoesNotExistException), not kept for a consumer that cannot
// come.
func TestTempQueueGoneRefusesSend(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	req, resp, replyTo := requestReply(t, b.Addr())
	req.send("DISCONNECT", "receipt:bye")
	req.expectReceipt("bye")
	resp.send("SEND", "destination:"+replyTo, "receipt:r", "", "4")
	e := resp.expectError("temporary destination does not exist")
	if !strings.Contains(e.Header.Get("message"), replyTo) || e.Header.Get("receipt-id") != "r" {
		t.Fatalf("ERROR %v: want the destination named and receipt-id:r", headerList(e))
	}
	for _, d := range b.Stats().Destinations {
		if d.Name == replyTo {
			t.Fatalf("%s was made again by the SEND: %+v", replyTo, d)
		}
	}
	// A name that never existed is refused alike, in a transaction too.
	p, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	p.send("BEGIN", "transaction:t")
	p.send("SEND", "destination:/remote-temp-queue/nobody.x", "transaction:t", "", "x")
	p.expectError("temporary destination does not exist")
}

// Across a bridge, a requester's temporary queue exists on the far broker
// while its demand does; once the requester has gone and its demand with
// it, a reply sent there is refused and nothing waits for it.
func TestTempQueueGoneAcrossTheNetwork(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := spokeOf(t, "server-a", hub.Addr(), "&duplex=true", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	resp, _ := connectWire(t, hub.Addr(), "accept-version:1.2")
	resp.send("SUBSCRIBE", "id:rpc", "destination:/queue/rpc")
	resp.sync("resp")
	waitDemand(t, a, "/queue/rpc")
	req, _ := connectWire(t, a.Addr(), "accept-version:1.2")
	req.send("SUBSCRIBE", "id:replies", "destination:/temp-queue/replies")
	req.send("SEND", "destination:/queue/rpc", "reply-to:/temp-queue/replies", "receipt:q", "", "ping")
	req.expectReceipt("q")
	replyTo := resp.expectMessage("ping").Header.Get("reply-to")
	resp.send("SEND", "destination:"+replyTo, "receipt:r1", "", "pong")
	resp.expectReceipt("r1")
	req.expectMessage("pong")

	req.send("DISCONNECT", "receipt:bye")
	req.expectReceipt("bye")
	deadline := time.Now().Add(5 * time.Second)
	for hub.HasDemand(replyTo) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub still has demand for %s after its owner left", replyTo)
		}
		time.Sleep(5 * time.Millisecond)
	}
	resp.send("SEND", "destination:"+replyTo, "receipt:r2", "", "late")
	resp.expectError("temporary destination does not exist")
	for _, n := range []*brokertest.Broker{hub, a} {
		for _, d := range n.Stats().Destinations {
			if d.Name == replyTo {
				t.Fatalf("%s still has %s: %+v", n.Broker.Name(), replyTo, d)
			}
		}
	}
}

// A reply that a peer broker forwards after its requester has gone (it
// crossed the requester's departure) is dropped, acknowledged so the peer
// forgets it, and does not make the temporary queue again.
func TestForwardedReplyToGoneTempQueueIsDropped(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	peer, _ := connectWire(t, b.Addr(), "accept-version:1.2", "brokerlab-bridge:fake", "heart-beat:0,0")
	gone := "/remote-temp-queue/session-gone-1.replies"
	peer.send("MESSAGE", "destination:"+gone, "message-id:ID:fake-1", "subscription:d", "ack:7", "", "late")
	if f := peer.expect("ACK"); f.Header.Get("id") != "7" {
		t.Fatalf("ACK %v: want id:7", headerList(f))
	}
	waitEvent(t, b, 0, "dropped", func(e events.Event) bool {
		return e.Kind == events.MessageDropped && e.Dest == gone && strings.Contains(e.Reason, "temporary destination does not exist")
	})
	for _, d := range b.Stats().Destinations {
		if d.Name == gone {
			t.Fatalf("%s was made again by the forwarded message: %+v", gone, d)
		}
	}
}
