package broker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/stomp"
)

// queueIsEmpty checks, with a fresh consumer, that nothing waits in dest:
// the first message it gets is a fence sent after subscribing.
func queueIsEmpty(t *testing.T, addr, dest string) {
	t.Helper()
	c, _ := connectWire(t, addr, "accept-version:1.2")
	c.send("SUBSCRIBE", "id:check", "destination:"+dest, "receipt:sub")
	c.expectReceipt("sub")
	c.send("SEND", "destination:"+dest, "", "fence")
	if f := c.expect("MESSAGE"); string(f.Body) != "fence" {
		t.Fatalf("%s held %q", dest, f.Body)
	}
	c.send("DISCONNECT", "receipt:bye") // so that it takes nothing sent later
	c.expectReceipt("bye")
}

// An ACK naming no message is refused when it arrives, inside a
// transaction too, with the receipt it asked for; the transaction's SEND
// is never routed.
func TestTransactionUnknownAckRefusedOnArrival(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("BEGIN", "transaction:t1")
	c.send("SEND", "destination:/queue/tx", "transaction:t1", "", "held")
	c.send("ACK", "id:bogus", "transaction:t1", "receipt:a1")
	e := c.expectError("no message to acknowledge")
	if got := e.Header.Get("receipt-id"); got != "a1" {
		t.Fatalf("ERROR receipt-id %q, want a1", got)
	}
	queueIsEmpty(t, b.Addr(), "/queue/tx")
}

// A COMMIT that cannot be applied whole applies nothing: the ACK was valid
// when it arrived, but the message was acknowledged outside the
// transaction before COMMIT. The transaction's SEND must not be routed.
func TestCommitIsAllOrNothing(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("SUBSCRIBE", "id:s", "destination:/queue/in", "ack:client-individual")
	c.send("SEND", "destination:/queue/in", "", "work")
	ack := c.expectMessage("work").Header.Get("ack")
	c.send("BEGIN", "transaction:t1")
	c.send("SEND", "destination:/queue/out", "transaction:t1", "", "result")
	c.send("ACK", "id:"+ack, "transaction:t1", "receipt:a1")
	c.expectReceipt("a1")
	c.send("ACK", "id:"+ack, "receipt:a2")
	c.expectReceipt("a2")
	c.send("COMMIT", "transaction:t1", "receipt:c1")
	e := c.expectError("no message to acknowledge")
	if got := e.Header.Get("receipt-id"); got != "c1" {
		t.Fatalf("ERROR receipt-id %q, want c1", got)
	}
	queueIsEmpty(t, b.Addr(), "/queue/out")
}

// Every ERROR answering a frame that asked for a receipt carries its
// receipt-id: refusals of CONNECT, and frames the codec could read only
// as far as their headers.
func TestErrorsCarryReceiptID(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Limits: stomp.Limits{MaxHeaderLine: 1024, MaxHeaders: 32, MaxBody: 16}})
	for _, tt := range []struct{ name, in, receipt, msg string }{
		{"version mismatch", "CONNECT\naccept-version:2.0,3.1\nreceipt:r9\n\n\x00", "r9", "Supported protocol versions"},
		{"body longer than content-length", "SEND\ndestination:/queue/a\ncontent-length:2\nreceipt:L5\n\nabc\x00", "L5", "longer than content-length"},
		{"content-length over the limit", "SEND\ndestination:/queue/a\ncontent-length:17\nreceipt:L6\n\n" + strings.Repeat("x", 17) + "\x00", "L6", "exceeds the body limit"},
		{"body over the limit", "SEND\ndestination:/queue/a\nreceipt:L7\n\n" + strings.Repeat("x", 17) + "\x00", "L7", "frame body exceeds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := dialWire(t, b.Addr())
			if !strings.HasPrefix(tt.in, "CONNECT") {
				w.send("CONNECT", "accept-version:1.2")
				w.expect("CONNECTED")
			}
			w.write(tt.in)
			e := w.expectError(tt.msg)
			if got := e.Header.Get("receipt-id"); got != tt.receipt {
				t.Fatalf("ERROR %v: receipt-id %q, want %q", headerList(e), got, tt.receipt)
			}
		})
	}
}

// The ERROR refusing every version the client accepts lists ours in a
// header named exactly "version", as the spec asks.
func TestVersionMismatchErrorListsVersions(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	w := dialWire(t, b.Addr())
	w.send("CONNECT", "accept-version:2.0")
	e := w.expectError("Supported protocol versions")
	if v, ok := e.Header.Contains("version"); !ok || v != "1.0,1.1,1.2" {
		t.Fatalf("ERROR headers %v: want version:1.0,1.1,1.2", headerList(e))
	}
}

// STOMP 1.1 names the delivery acknowledged by message-id and
// subscription: two subscriptions on one topic get the same message id,
// and the ACK must settle the one it names, not the other.
func TestAck11NarrowsBySubscription(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.1")
	// A window of one message each: the next one goes to a subscription
	// only once its first is acknowledged, which shows whose was.
	for _, id := range []string{"s2", "s3"} {
		c.send("SUBSCRIBE", "id:"+id, "destination:/topic/t", "ack:client-individual", "activemq.prefetchSize:1")
	}
	c.sync("subs")
	p, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	p.send("SEND", "destination:/topic/t", "receipt:p1", "", "m1")
	p.expectReceipt("p1")
	p.send("SEND", "destination:/topic/t", "receipt:p2", "", "m2")
	p.expectReceipt("p2")
	got := map[string]string{}
	for range 2 {
		f := c.expectMessage("m1")
		got[f.Header.Get("subscription")] = f.Header.Get("message-id")
	}
	if got["s2"] == "" || got["s2"] != got["s3"] {
		t.Fatalf("deliveries %v: want one each for s2 and s3, same message-id", got)
	}
	c.send("ACK", "subscription:s3", "message-id:"+got["s3"])
	f := c.expectMessage("m2")
	if sub := f.Header.Get("subscription"); sub != "s3" {
		t.Fatalf("m2 went to %s: the ACK for s3 settled another subscription's delivery", sub)
	}
	c.quiet(200 * time.Millisecond)
	// A subscription that never got the message has nothing to settle.
	c.send("ACK", "subscription:s9", "message-id:"+got["s2"], "receipt:a2")
	c.expectError("no message to acknowledge")
}

// A NACK in client mode refuses only the message it names, as ActiveMQ
// does; earlier unacknowledged messages stay with the consumer.
func TestNackInClientModeSettlesOnlyThatMessage(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("SUBSCRIBE", "id:s", "destination:/queue/n", "ack:client")
	c.send("SEND", "destination:/queue/n", "", "m0")
	c.send("SEND", "destination:/queue/n", "", "m1")
	m0 := c.expectMessage("m0").Header.Get("ack")
	m1 := c.expectMessage("m1").Header.Get("ack")
	c.send("NACK", "id:"+m1)
	again := c.expectMessage("m1")
	if again.Header.Get("redelivered") != "true" {
		t.Fatalf("redelivery of m1 not marked: %v", headerList(again))
	}
	c.quiet(200 * time.Millisecond) // m0 was not refused, so it does not come back
	c.send("ACK", "id:"+m0, "receipt:a0")
	c.expectReceipt("a0")
	c.send("ACK", "id:"+again.Header.Get("ack"), "receipt:a1")
	c.expectReceipt("a1")
}
