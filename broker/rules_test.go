package broker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// Protocol rules the broker keeps, each checked where a client would see
// it: every test here fails if the rule is dropped.

// No accept-version means STOMP 1.0: CONNECTED says so, and 1.0's rules
// apply, among them no header escaping (a backslash is a backslash).
func TestNoAcceptVersionMeansStomp10(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dial(t, b.Addr()) // go-stomp, speaking 1.2: it reads what the 1.0 producer sent
	s, err := c.Subscribe("/queue/v10", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	p, connected := connectWire(t, b.Addr())
	if v, ok := connected.Header.Contains("version"); !ok || v != "1.0" {
		t.Fatalf("CONNECTED %v: want version:1.0", headerList(connected))
	}
	// Under 1.1 and 1.2, \t is an undefined escape (an ERROR) and \c is a
	// colon; under 1.0 both are plain text.
	p.send("SEND", "destination:/queue/v10", `x:a\tb`, `y:a\cb`, "receipt:r", "", "body")
	p.expectReceipt("r")
	m := recv(t, s)
	if x, y := m.Header.Get("x"), m.Header.Get("y"); x != `a\tb` || y != `a\cb` {
		t.Fatalf("headers x=%q y=%q: want the backslashes kept as sent under 1.0", x, y)
	}
}

func TestConnectedCarriesServerAndSession(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	sessions := map[string]bool{}
	for range 2 {
		_, f := connectWire(t, b.Addr(), "accept-version:1.2")
		server, _ := f.Header.Contains("server")
		session, _ := f.Header.Contains("session")
		if !strings.HasPrefix(server, "brokerlab/") || session == "" {
			t.Fatalf("CONNECTED %v: want server:brokerlab/… and a session", headerList(f))
		}
		sessions[session] = true
	}
	if len(sessions) != 2 {
		t.Fatalf("two connections shared a session: %v", sessions)
	}
}

// In client mode an ACK is cumulative: it settles every earlier message of
// the subscription too, so none of them comes back after a disconnect.
func TestClientAckIsCumulative(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("SUBSCRIBE", "id:s", "destination:/queue/cum", "ack:client")
	var last string
	for i := range 3 {
		c.send("SEND", "destination:/queue/cum", "", fmt.Sprint("m", i))
		last = c.expectMessage(fmt.Sprint("m", i)).Header.Get("ack")
	}
	c.send("ACK", "id:"+last, "receipt:a")
	c.expectReceipt("a")
	c.send("DISCONNECT", "receipt:bye")
	c.expectReceipt("bye")
	queueIsEmpty(t, b.Addr(), "/queue/cum")
}

// expectBoth reads two frames that may come in either order: a MESSAGE
// with body and a RECEIPT for receipt. It returns the MESSAGE.
func (w *wire) expectBoth(body, receipt string) map[string]string {
	w.t.Helper()
	var msg map[string]string
	gotReceipt := false
	for range 2 {
		f := w.next()
		switch {
		case f.Command == "RECEIPT" && f.Header.Get("receipt-id") == receipt && !gotReceipt:
			gotReceipt = true
		case f.Command == "MESSAGE" && string(f.Body) == body && msg == nil:
			msg = map[string]string{}
			for i := range f.Header.Len() {
				if k, v := f.Header.GetAt(i); msg[k] == "" {
					msg[k] = v
				}
			}
		default:
			w.t.Fatalf("got %s %v %q, want MESSAGE %q and RECEIPT %s", f.Command, headerList(f), f.Body, body, receipt)
		}
	}
	return msg
}

// ACK and NACK inside a transaction take effect at COMMIT, and ABORT
// undoes them: the message stays the consumer's, unacknowledged. A window
// of one message makes an ACK visible (the next message comes) and a NACK
// too (the message comes back).
func TestTransactionalAckAndNack(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("SUBSCRIBE", "id:s", "destination:/queue/txa", "ack:client-individual", "activemq.prefetchSize:1")
	for i := range 3 {
		c.send("SEND", "destination:/queue/txa", "", fmt.Sprint("m", i))
	}
	m0 := c.expectMessage("m0").Header.Get("ack")

	c.send("BEGIN", "transaction:t1")
	c.send("ACK", "id:"+m0, "transaction:t1", "receipt:a1")
	c.expectReceipt("a1")
	c.quiet(200 * time.Millisecond) // not acknowledged yet: the window is still full
	c.send("COMMIT", "transaction:t1", "receipt:c1")
	m1 := c.expectBoth("m1", "c1")["ack"]

	c.send("BEGIN", "transaction:t2")
	c.send("ACK", "id:"+m1, "transaction:t2")
	c.send("ABORT", "transaction:t2", "receipt:x2")
	c.expectReceipt("x2")
	c.quiet(200 * time.Millisecond)
	c.send("BEGIN", "transaction:t3")
	c.send("NACK", "id:"+m1, "transaction:t3")
	c.send("ABORT", "transaction:t3", "receipt:x3")
	c.expectReceipt("x3")
	c.quiet(200 * time.Millisecond) // not refused either: it does not come back

	c.send("BEGIN", "transaction:t4")
	c.send("NACK", "id:"+m1, "transaction:t4", "receipt:n4")
	c.expectReceipt("n4")
	c.quiet(200 * time.Millisecond)
	c.send("COMMIT", "transaction:t4", "receipt:c4")
	again := c.expectBoth("m1", "c4")
	if again["redelivered"] != "true" {
		t.Fatalf("m1 after the committed NACK: %v", again)
	}
	c.send("ACK", "id:"+again["ack"])
	c.expectMessage("m2")
}

// A connection that ends with a transaction open rolls it back: its SENDs
// are never delivered, and what it acknowledged in it comes back.
func TestDisconnectRollsBackOpenTransaction(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("SUBSCRIBE", "id:s", "destination:/queue/jobs", "ack:client-individual")
	c.send("SEND", "destination:/queue/jobs", "", "job")
	ack := c.expectMessage("job").Header.Get("ack")
	c.send("BEGIN", "transaction:t")
	c.send("SEND", "destination:/queue/results", "transaction:t", "", "never")
	c.send("ACK", "id:"+ack, "transaction:t", "receipt:a")
	c.expectReceipt("a")
	c.nc.Close() // gone without COMMIT, as a crashed client goes

	w, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	w.send("SUBSCRIBE", "id:s", "destination:/queue/jobs", "ack:client-individual")
	if f := w.expectMessage("job"); f.Header.Get("redelivered") != "true" {
		t.Fatalf("job back without redelivered: %v", headerList(f))
	}
	queueIsEmpty(t, b.Addr(), "/queue/results")
}

// Of repeated headers the first wins, on the MESSAGE delivered too.
func TestRepeatedHeaderFirstWins(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("SUBSCRIBE", "id:s", "destination:/queue/rep")
	c.send("SEND", "destination:/queue/rep", "x:first", "x:second", "", "m")
	f := c.expectMessage("m")
	if got := f.Header.Get("x"); got != "first" {
		t.Fatalf("MESSAGE %v: x is %q, want first", headerList(f), got)
	}
}

// STOMP 1.0 subscribes without an id (the destination stands for it) and
// 1.0 and 1.1 acknowledge by message-id.
func TestOldVersionsSubscribeAndAck(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	for _, tt := range []struct{ version, sub string }{
		{"", "destination:/queue/old"}, // 1.0: no id
		{"accept-version:1.1", "id:s11"},
	} {
		var c *wire
		if tt.version == "" {
			c, _ = connectWire(t, b.Addr())
		} else {
			c, _ = connectWire(t, b.Addr(), tt.version)
		}
		c.send("SUBSCRIBE", tt.sub, "destination:/queue/old", "ack:client", "receipt:s")
		c.expectReceipt("s")
		c.send("SEND", "destination:/queue/old", "", "m")
		f := c.expectMessage("m")
		c.send("ACK", "message-id:"+f.Header.Get("message-id"), "subscription:"+f.Header.Get("subscription"), "receipt:a")
		c.expectReceipt("a")
		c.send("DISCONNECT", "receipt:bye")
		c.expectReceipt("bye")
		queueIsEmpty(t, b.Addr(), "/queue/old")
	}
}

// With default options a message is delivered 7 times (maximumRedeliveries
// 6, ActiveMQ's default) and then goes to the dead-letter queue.
func TestDefaultMaxRedeliveriesIsSix(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	c.send("SUBSCRIBE", "id:dlq", "destination:"+broker.DeadLetterQueue)
	c.send("SUBSCRIBE", "id:s", "destination:/queue/poison", "ack:client-individual")
	c.send("SEND", "destination:/queue/poison", "", "bad")
	for i := 1; i <= 7; i++ {
		f := c.expectMessage("bad")
		if f.Header.Get("subscription") != "s" {
			t.Fatalf("delivery %d went to %v", i, headerList(f))
		}
		c.send("NACK", "id:"+f.Header.Get("ack"))
	}
	f := c.expectMessage("bad")
	if f.Header.Get("subscription") != "dlq" || f.Header.Get("original-destination") != "/queue/poison" {
		t.Fatalf("after 7 deliveries: %v, want it in %s", headerList(f), broker.DeadLetterQueue)
	}
}

func TestCommitOrAbortOfUnknownTransaction(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	for _, cmd := range []string{"COMMIT", "ABORT"} {
		c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
		c.send(cmd, "transaction:never-begun", "receipt:r")
		if e := c.expectError("no transaction with this name"); e.Header.Get("receipt-id") != "r" {
			t.Fatalf("%s: ERROR %v lacks receipt-id:r", cmd, headerList(e))
		}
	}
}

// correlation-id and content-type are the producer's: they reach the
// consumer untouched.
func TestCorrelationIDAndContentTypePassThrough(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/pass", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	const ct, corr = "application/json; charset=utf-8", "req:42/\\ä"
	if err := c.Send("/queue/pass", ct, []byte("{}"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("correlation-id", corr)); err != nil {
		t.Fatal(err)
	}
	m := recv(t, s)
	if m.ContentType != ct || m.Header.Get("correlation-id") != corr {
		t.Fatalf("content-type %q correlation-id %q", m.ContentType, m.Header.Get("correlation-id"))
	}
}

// activemq.prefetchSize bounds what a consumer holds unacknowledged: with
// 2 it gets exactly 2, and one more for each ACK.
func TestPrefetchSizeHonoured(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := connectWire(t, b.Addr(), "accept-version:1.2")
	for i := range 5 {
		c.send("SEND", "destination:/queue/pf", "", fmt.Sprint("m", i))
	}
	c.sync("sent")
	c.send("SUBSCRIBE", "id:s", "destination:/queue/pf", "ack:client-individual", "activemq.prefetchSize:2")
	first := c.expectMessage("m0").Header.Get("ack")
	c.expectMessage("m1")
	c.quiet(200 * time.Millisecond)
	c.send("ACK", "id:"+first)
	c.expectMessage("m2")
	c.quiet(200 * time.Millisecond)
}
