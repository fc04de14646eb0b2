package broker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// A durable subscription's selector holds while its subscriber is away:
// only what it would have been given is kept for it.
func TestDurableSelectorWhileAway(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	sub := func() (*stomp.Conn, *stomp.Subscription) {
		c := dial(t, b.Addr(), stomp.ConnOpt.Header("client-id", "cid"))
		s, err := c.Subscribe("/topic/ds", stomp.AckAuto, stomp.SubscribeOpt.Header("activemq.subscriptionName", "n"), stomp.SubscribeOpt.Header("selector", "k = 'yes'"))
		if err != nil {
			t.Fatal(err)
		}
		return c, s
	}
	c, _ := sub()
	c.Disconnect()
	p := dial(t, b.Addr())
	for _, k := range []string{"no", "yes", "no"} {
		if err := p.Send("/topic/ds", "text/plain", []byte(k), stomp.SendOpt.Receipt, stomp.SendOpt.Header("k", k)); err != nil {
			t.Fatal(err)
		}
	}
	_, s := sub()
	if m := recv(t, s); string(m.Body) != "yes" {
		t.Fatalf("got %q first, want the one message the selector takes", m.Body)
	}
	select {
	case m := <-s.C:
		t.Fatalf("a message the durable subscription's selector refuses was kept for it: %q", m.Body)
	case <-time.After(200 * time.Millisecond):
	}
}

// With a store, a persistent message the selector refuses is not stored
// for the durable subscription, so a restart does not deliver it either;
// and the selector itself survives the restart.
func TestDurableSelectorSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	b1 := brokertest.NewBroker(t, broker.Options{Name: "p", DataDir: dir})
	c := dial(t, b1.Addr(), stomp.ConnOpt.Header("client-id", "cid"))
	if _, err := c.Subscribe("/topic/ds", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.subscriptionName", "n"), stomp.SubscribeOpt.Header("selector", "k = 'yes'")); err != nil {
		t.Fatal(err)
	}
	if err := c.Send("/topic/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	p := dial(t, b1.Addr())
	if err := p.Send("/topic/ds", "text/plain", []byte("online-no"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("k", "no"), stomp.SendOpt.Header("persistent", "true")); err != nil {
		t.Fatal(err)
	}
	c.Disconnect()
	for _, k := range []string{"no", "yes"} {
		if err := p.Send("/topic/ds", "text/plain", []byte("away-"+k), stomp.SendOpt.Receipt, stomp.SendOpt.Header("k", k), stomp.SendOpt.Header("persistent", "true")); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	b1.Shutdown(ctx)
	cancel()
	b2 := brokertest.NewBroker(t, broker.Options{Name: "p", DataDir: dir})
	c2 := dial(t, b2.Addr(), stomp.ConnOpt.Header("client-id", "cid"))
	s2, err := c2.Subscribe("/topic/ds", stomp.AckAuto, stomp.SubscribeOpt.Header("activemq.subscriptionName", "n"), stomp.SubscribeOpt.Header("selector", "k = 'yes'"))
	if err != nil {
		t.Fatal(err)
	}
	if m := recv(t, s2); string(m.Body) != "away-yes" {
		t.Fatalf("after the restart got %q first, want away-yes", m.Body)
	}
	select {
	case m := <-s2.C:
		t.Fatalf("after the restart a message the selector refuses arrived: %q", m.Body)
	case <-time.After(200 * time.Millisecond):
	}
	// Kept while the broker runs on: once more, away.
	c2.Disconnect()
	p2 := dial(t, b2.Addr())
	for _, k := range []string{"no", "yes"} {
		if err := p2.Send("/topic/ds", "text/plain", []byte("later-"+k), stomp.SendOpt.Receipt, stomp.SendOpt.Header("k", k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range b2.Stats().Destinations {
		if d.Name == "/topic/ds" && d.Pending != 1 {
			t.Fatalf("the recovered durable subscription keeps %d while away, want 1 (its selector was lost)", d.Pending)
		}
	}
}

// A NACK on a topic subscription gives the message back to that
// subscription, marked redelivered, durable or not; it is not lost.
func TestTopicNackRedeliversToTheSubscriber(t *testing.T) {
	for _, durable := range []bool{false, true} {
		b := brokertest.NewBroker(t, broker.Options{})
		c := dial(t, b.Addr(), stomp.ConnOpt.Header("client-id", "nk"))
		opts := []func(*frame.Frame) error{}
		if durable {
			opts = append(opts, stomp.SubscribeOpt.Header("activemq.subscriptionName", "n"))
		}
		s, err := c.Subscribe("/topic/nk", stomp.AckClientIndividual, opts...)
		if err != nil {
			t.Fatal(err)
		}
		// A receipt on the same connection: the SUBSCRIBE has taken
		// effect before anything is published to the topic.
		if err := c.Send("/topic/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
		p := dial(t, b.Addr())
		if err := p.Send("/topic/nk", "text/plain", []byte("m"), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
		m := recv(t, s)
		if err := c.Nack(m); err != nil {
			t.Fatal(err)
		}
		again := recv(t, s)
		if string(again.Body) != "m" || again.Header.Get("redelivered") != "true" {
			t.Fatalf("durable=%v: after the NACK got %q redelivered=%q, want m again, redelivered", durable, again.Body, again.Header.Get("redelivered"))
		}
		if err := c.Ack(again); err != nil {
			t.Fatal(err)
		}
	}
}

// A committed transaction's persistent queue message and its persistent
// topic message's copy for a durable subscriber away are stored together
// (one append) and both come back after a crash; an aborted one leaves
// neither.
func TestTransactionStoresDurableCopiesWithItsMessages(t *testing.T) {
	dir := t.TempDir()
	b1 := startOn(t, dir)
	c, _ := durableSub(t, b1.Addr(), "txd", "/topic/txd", false)
	c.Disconnect()
	p := dial(t, b1.Addr())
	for _, commit := range []bool{false, true} {
		tx := p.Begin()
		for _, dest := range []string{"/queue/txd", "/topic/txd"} {
			if err := tx.Send(dest, "text/plain", []byte(fmt.Sprintf("%s commit=%v", dest, commit)), stomp.SendOpt.Header("persistent", "true")); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Abort()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// A receipted frame after the COMMIT: it took effect before this.
	if err := p.Send("/queue/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	b1.Kill()

	b2 := startOn(t, dir)
	q := dial(t, b2.Addr())
	qs, err := q.Subscribe("/queue/txd", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	if m := recv(t, qs); string(m.Body) != "/queue/txd commit=true" {
		t.Fatalf("queue after the crash: %q", m.Body)
	}
	d, ds := durableSub(t, b2.Addr(), "txd", "/topic/txd", true)
	m := recv(t, ds)
	if string(m.Body) != "/topic/txd commit=true" {
		t.Fatalf("durable subscriber after the crash: %q", m.Body)
	}
	d.Ack(m)
	for _, s := range []*stomp.Subscription{qs, ds} {
		select {
		case m := <-s.C:
			t.Fatalf("an aborted transaction's message came back: %q", m.Body)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// A durable subscriber's spooled copy (every kept copy is, after a
// restart) that it keeps refusing goes to the DLQ with its body, and the
// DLQ keeps it across the next restart; it is never lost between the two.
func TestSpooledDurableCopyDeadLettered(t *testing.T) {
	dir := t.TempDir()
	opts := broker.Options{Name: "p", DataDir: dir, MaxRedeliveries: 1}
	b1 := brokertest.NewBroker(t, opts)
	c, _ := durableSub(t, b1.Addr(), "dl", "/topic/dl", false)
	c.Disconnect()
	p := dial(t, b1.Addr())
	if err := p.Send("/topic/dl", "text/plain", []byte("refused"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true")); err != nil {
		t.Fatal(err)
	}
	b1.Kill()

	b2 := brokertest.NewBroker(t, opts)
	d, ds := durableSub(t, b2.Addr(), "dl", "/topic/dl", true)
	for range 2 { // delivered twice: more than 1+MaxRedeliveries after the second NACK
		m := recv(t, ds)
		if err := d.Nack(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Send("/queue/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	b2.Kill()

	b3 := brokertest.NewBroker(t, opts)
	q := dial(t, b3.Addr())
	qs, err := q.Subscribe(broker.DeadLetterQueue, stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	if m := recv(t, qs); string(m.Body) != "refused" || m.Header.Get("original-destination") != "/topic/dl" {
		t.Fatalf("from the DLQ after a restart: %q, original-destination %q", m.Body, m.Header.Get("original-destination"))
	}
	d3, ds3 := durableSub(t, b3.Addr(), "dl", "/topic/dl", false)
	select {
	case m := <-ds3.C:
		t.Fatalf("the dead-lettered copy came back to the durable subscriber: %q", m.Body)
	case <-time.After(200 * time.Millisecond):
	}
	d3.Disconnect()
}
