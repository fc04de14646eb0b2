package broker_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// Many destinations, each under its own limit, cannot together pass the
// broker's: a producer spreading a flood over sixteen queues is paused at
// BrokerMemoryLimit, and goes on as a consumer drains them.
func TestBrokerMemoryLimit(t *testing.T) {
	const brokerLimit, queues = 256 << 10, 16
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: 64 << 10, BrokerMemoryLimit: brokerLimit})
	p := dialRaw(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	const n = 1024 // 1 MiB: four times the broker's limit, a quarter of the queues' together
	body := strings.Repeat("m", 1024)
	go func() {
		for i := range n {
			p.nc.SetWriteDeadline(time.Now().Add(20 * time.Second))
			if _, err := fmt.Fprintf(p.nc, "SEND\ndestination:/queue/mem.%d\n\n%s\x00", i%queues, body); err != nil {
				return
			}
		}
		io.WriteString(p.nc, "SEND\ndestination:/queue/mem.done\nreceipt:done\n\n\x00")
	}()
	if _, ok, last := b.Events.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked && strings.Contains(e.Reason, "BrokerMemoryLimit")
	}, func(e events.Event) bool { return e.Kind == events.ProducerBlocked }); !ok {
		t.Fatalf("the producer was never paused at the broker's limit; last pause: %v; broker holds %d bytes", last, b.Stats().Bytes)
	}
	st := b.Stats()
	var sum int64
	for _, d := range st.Destinations {
		sum += d.Bytes
	}
	if st.Bytes != sum || st.Bytes > brokerLimit+2048 {
		t.Errorf("broker holds %d bytes, its destinations %d: want them equal, and at most the limit %d and a message", st.Bytes, sum, brokerLimit)
	}
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/mem.>", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if m := recv(t, s); len(m.Body) != 1024 {
			t.Fatalf("message %d: %d bytes", i, len(m.Body))
		}
	}
	p.expect("receipt-id:done")
}

// Every way a message leaves a destination gives its bytes back, to the
// destination and the broker: once everything sent is consumed and
// settled, the broker holds nothing. A leak here would end, in time, in
// every producer paused for good.
func TestMemoryAccountingReturnsToZero(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	p := dial(t, b.Addr())
	send := func(dest string, n int) {
		t.Helper()
		for i := range n {
			if err := p.Send(dest, "text/plain", []byte(strings.Repeat("a", 100+i)), stomp.SendOpt.Receipt); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A client-individual consumer that NACKs, ACKs, and leaves with some
	// unacknowledged; the next one takes the rest.
	send("/queue/acct", 20)
	c1 := dial(t, b.Addr())
	s1, _ := c1.Subscribe("/queue/acct", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "5"))
	for i := range 10 {
		m := recv(t, s1)
		if i%3 == 0 {
			c1.Nack(m)
		} else if i < 8 {
			c1.Ack(m)
		}
	}
	s1.Unsubscribe()
	c2 := dial(t, b.Addr())
	s2, _ := c2.Subscribe("/queue/acct", stomp.AckClient, stomp.SubscribeOpt.Header("activemq.prefetchSize", "5"))
	var last *stomp.Message
	for {
		select {
		case m := <-s2.C:
			last = m
			c2.Ack(m) // cumulative
			continue
		case <-time.After(300 * time.Millisecond):
		}
		break
	}
	if last == nil {
		t.Fatal("the second consumer got nothing")
	}

	// A durable subscriber away, then back; a plain topic subscriber.
	d1, _ := durableSub(t, b.Addr(), "acct", "/topic/acct", false)
	d1.Disconnect()
	plain := dial(t, b.Addr())
	ps, _ := plain.Subscribe("/topic/acct", stomp.AckAuto)
	plain.Send("/queue/acct.sync", "text/plain", nil, stomp.SendOpt.Receipt) // the SUBSCRIBE is in place
	send("/topic/acct", 10)
	for range 10 {
		recv(t, ps)
	}
	d2, ds := durableSub(t, b.Addr(), "acct", "/topic/acct", true)
	for range 10 {
		d2.Ack(recv(t, ds))
	}

	// A transaction, and a temporary queue deleted with its connection
	// while it still holds messages.
	tx := p.Begin()
	for range 5 {
		tx.Send("/queue/acct.tx", "text/plain", []byte("t"))
	}
	tx.Commit()
	tc := dial(t, b.Addr())
	tc.Subscribe("/temp-queue/acct", stomp.AckClientIndividual)
	tc.Send("/temp-queue/acct", "text/plain", []byte("held by a temp queue"), stomp.SendOpt.Receipt)
	tc.Disconnect()
	c3 := dial(t, b.Addr())
	s3, _ := c3.Subscribe("/queue/acct.tx", stomp.AckAuto)
	for range 5 {
		recv(t, s3)
	}

	// Settled things are processed in order on each connection: a receipt
	// on each proves its ACKs were handled.
	for _, c := range []*stomp.Conn{c2, d2, c3} {
		c.Send("/queue/acct.sync", "text/plain", nil, stomp.SendOpt.Receipt)
	}
	// The fences (/queue/sync, /queue/acct.sync) keep what was sent to
	// them; everything else must be back to nothing.
	fence := func(name string) bool { return name == "/queue/sync" || name == "/queue/acct.sync" }
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := b.Stats()
		var left []string
		var fences int64
		for _, d := range st.Destinations {
			switch {
			case fence(d.Name):
				fences += d.Bytes
			case d.Bytes != 0:
				left = append(left, fmt.Sprintf("%s: %d", d.Name, d.Bytes))
			}
		}
		if len(left) == 0 && st.Bytes == fences {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after everything was consumed: broker %d bytes (%d of them the fences'), destinations %v", st.Bytes, fences, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Persistent messages to a queue over its limit wait in the store, not in
// memory, and do not pause their producer, as in ActiveMQ; but each still
// keeps its headers in memory, so a backlog of them is bounded by the
// broker's limit: past it the producer is paused, and goes on as a
// consumer drains the queue, every message delivered. The limit is passed
// by at most what the producer had in flight to the store when it was
// reached (up to 1024 messages a connection, storedsend.go), where without
// the pause the backlog grows with every message sent.
func TestSpooledBacklogPausesAtBrokerLimit(t *testing.T) {
	const brokerLimit, n, inFlight, perMessage = 128 << 10, 8000, 1024, 400
	b := brokertest.NewBroker(t, broker.Options{DataDir: t.TempDir(), DestinationMemoryLimit: 16 << 10, BrokerMemoryLimit: brokerLimit})
	p := dialRaw(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	note := strings.Repeat("h", 200) // headers stay in memory when the body is spooled
	go func() {
		for i := range n {
			p.nc.SetWriteDeadline(time.Now().Add(20 * time.Second))
			if _, err := fmt.Fprintf(p.nc, "SEND\ndestination:/queue/spool\npersistent:true\nnote:%s\n\nmessage %d\x00", note, i); err != nil {
				return
			}
		}
		io.WriteString(p.nc, "SEND\ndestination:/queue/spool.done\nreceipt:done\n\n\x00")
	}()
	if _, ok, last := b.Events.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked && strings.Contains(e.Reason, "BrokerMemoryLimit")
	}, func(e events.Event) bool { return e.Kind == events.ProducerBlocked }); !ok {
		t.Fatalf("the producer of persistent messages was never paused at the broker's limit; last pause: %v; broker holds %d bytes", last, b.Stats().Bytes)
	}
	d := destStats(b, "/queue/spool")
	if st := b.Stats(); st.Bytes > brokerLimit+inFlight*perMessage || d.Spooled == 0 || d.Pending >= n/2 {
		t.Errorf("paused with the broker holding %d bytes (limit %d), the queue %+v: want at most the limit and what was in flight to the store, most of it spooled", st.Bytes, brokerLimit, d)
	}
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/spool", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if m := recv(t, s); string(m.Body) != fmt.Sprintf("message %d", i) {
			t.Fatalf("message %d: got %q", i, m.Body)
		}
	}
	p.expect("receipt-id:done")
}
