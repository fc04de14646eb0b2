package broker_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// subscribeDurablePattern subscribes as client-id cid to pattern under
// durable name "n", in client-individual mode, and fences the SUBSCRIBE
// with a receipt unless messages kept for it would arrive first.
func subscribeDurablePattern(t *testing.T, addr, cid, pattern string, fence bool, opts ...func(*frame.Frame) error) (*stomp.Conn, *stomp.Subscription) {
	t.Helper()
	c := dial(t, addr, stomp.ConnOpt.Header("client-id", cid))
	opts = append([]func(*frame.Frame) error{stomp.SubscribeOpt.Header("activemq.subscriptionName", "n")}, opts...)
	s, err := c.Subscribe(pattern, stomp.AckClientIndividual, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if fence {
		if err := c.Send("/queue/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	return c, s
}

// publishEach sends one message per topic, its body the topic's name, with
// header k (for selectors) and persistent as given.
func publishEach(t *testing.T, p *stomp.Conn, persistent bool, k string, topics ...string) {
	t.Helper()
	for _, topic := range topics {
		if err := p.Send(topic, "text/plain", []byte(topic), stomp.SendOpt.Receipt, stomp.SendOpt.Header("k", k),
			stomp.SendOpt.Header("persistent", fmt.Sprint(persistent))); err != nil {
			t.Fatal(err)
		}
	}
}

// receiveSet reads n messages, acknowledging each, and returns their bodies
// sorted; then nothing more may arrive.
func receiveSet(t *testing.T, c *stomp.Conn, s *stomp.Subscription, n int) []string {
	t.Helper()
	var got []string
	for range n {
		m := recv(t, s)
		if err := c.Ack(m); err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Body))
	}
	select {
	case m := <-s.C:
		t.Fatalf("after %v, one more arrived: %q (%v)", got, m.Body, m.Err)
	case <-time.After(200 * time.Millisecond):
	}
	slices.Sort(got)
	return got
}

func durableStats(b *brokertest.Broker, key string) (broker.DurableStats, bool) {
	for _, d := range b.Stats().Durables {
		if d.Key == key {
			return d, true
		}
	}
	return broker.DurableStats{}, false
}

// A durable subscription to a wildcard topic keeps, while its subscriber
// is away, what is published to every matching topic: one that existed
// when it subscribed, one created while it was away, and the pattern's
// own root (> matches zero names); its selector holds for all of them.
func TestDurableWildcardKeepsEveryMatchingTopic(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	p := dial(t, b.Addr())
	publishEach(t, p, false, "yes", "/topic/W.old") // the topic exists before the subscription
	c, _ := subscribeDurablePattern(t, b.Addr(), "cid", "/topic/W.>", true, stomp.SubscribeOpt.Header("selector", "k = 'yes'"))
	c.Disconnect()
	publishEach(t, p, false, "yes", "/topic/W.old", "/topic/W.new.deep", "/topic/W", "/topic/X.other")
	publishEach(t, p, false, "no", "/topic/W.old", "/topic/W.new.deep")
	if st, ok := durableStats(b, "cid:n"); !ok || st.Topic != "/topic/W.>" || st.Active || st.Pending != 3 {
		t.Errorf("/stats: %+v (listed %v); want cid:n on /topic/W.>, away, 3 kept", st, ok)
	}
	c2, s2 := subscribeDurablePattern(t, b.Addr(), "cid", "/topic/W.>", false, stomp.SubscribeOpt.Header("selector", "k = 'yes'"))
	got := receiveSet(t, c2, s2, 3)
	if want := []string{"/topic/W", "/topic/W.new.deep", "/topic/W.old"}; !slices.Equal(got, want) {
		t.Fatalf("the returning subscriber got %v, want %v", got, want)
	}
	// Present again, it gets what is published now, as any subscriber.
	publishEach(t, p, false, "yes", "/topic/W.later")
	if got := receiveSet(t, c2, s2, 1); got[0] != "/topic/W.later" {
		t.Fatalf("got %v", got)
	}
}

// Persistent messages kept for a durable wildcard subscription survive a
// crash, on topics created before the crash and with nothing else but the
// copies to bring them back; acknowledged, they are gone for good.
func TestDurableWildcardSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	b1 := startOn(t, dir)
	c, _ := subscribeDurablePattern(t, b1.Addr(), "cid", "/topic/P.*", true)
	c.Disconnect()
	p := dial(t, b1.Addr())
	publishEach(t, p, true, "", "/topic/P.a", "/topic/P.b", "/topic/Q.a")
	b1.Kill()

	b2 := startOn(t, dir)
	if st, ok := durableStats(b2, "cid:n"); !ok || st.Topic != "/topic/P.*" || st.Pending != 2 {
		t.Errorf("after the restart /stats shows %+v (listed %v); want 2 kept on /topic/P.*", st, ok)
	}
	for _, topic := range []string{"/topic/P.a", "/topic/P.b"} {
		if d := destStats(b2, topic); d.Spooled != 1 {
			t.Errorf("%s: %+v; want the kept copy's body left in the store (spooled 1) until it is delivered", topic, d)
		}
	}
	c2, s2 := subscribeDurablePattern(t, b2.Addr(), "cid", "/topic/P.*", false)
	if got := receiveSet(t, c2, s2, 2); !slices.Equal(got, []string{"/topic/P.a", "/topic/P.b"}) {
		t.Fatalf("after the restart got %v", got)
	}
	c2.Disconnect()
	b2.Kill()

	b3 := startOn(t, dir)
	c3, s3 := subscribeDurablePattern(t, b3.Addr(), "cid", "/topic/P.*", true)
	receiveSet(t, c3, s3, 0) // acknowledged before the second restart: nothing comes back
}

// UNSUBSCRIBE with the durable name deletes the subscription and what it
// kept on every topic; the same name on a plain topic replaces the
// pattern; a second subscriber to one in use is refused.
func TestDurableWildcardLifecycle(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	p := dial(t, b.Addr())

	w, _ := connectWire(t, b.Addr(), "accept-version:1.2", "client-id:cid")
	w.send("SUBSCRIBE", "id:1", "destination:/topic/L.>", "activemq.subscriptionName:n", "receipt:s1")
	w.expectReceipt("s1")
	w.send("SUBSCRIBE", "id:2", "destination:/topic/L.>", "activemq.subscriptionName:n", "receipt:s2")
	w.expectError(`durable subscription "cid:n" is already in use by another connection`)

	c, _ := subscribeDurablePattern(t, b.Addr(), "cid", "/topic/L.>", true)
	c.Disconnect()
	publishEach(t, p, false, "", "/topic/L.a", "/topic/L.b")
	// go-stomp cannot UNSUBSCRIBE by name alone; the raw frame can.
	u, _ := connectWire(t, b.Addr(), "accept-version:1.2", "client-id:cid")
	u.send("UNSUBSCRIBE", "id:gone", "activemq.subscriptionName:n", "receipt:u")
	u.expectReceipt("u")
	u.send("DISCONNECT", "receipt:bye")
	u.expectReceipt("bye")
	if st, ok := durableStats(b, "cid:n"); ok {
		t.Fatalf("still listed after UNSUBSCRIBE by name: %+v", st)
	}
	for _, topic := range []string{"/topic/L.a", "/topic/L.b"} {
		if d := destStats(b, topic); d.Bytes != 0 || d.Pending != 0 {
			t.Errorf("%s still holds what the deleted subscription kept: %+v", topic, d)
		}
	}
	publishEach(t, p, false, "", "/topic/L.a")
	c3, s3 := subscribeDurablePattern(t, b.Addr(), "cid", "/topic/L.>", true)
	receiveSet(t, c3, s3, 0)
	c3.Disconnect()

	// Same name, a plain topic: the pattern subscription is replaced, and
	// a message on another of its topics is kept for nobody.
	c4, _ := subscribeDurablePattern(t, b.Addr(), "cid", "/topic/L.a", true)
	c4.Disconnect()
	publishEach(t, p, false, "", "/topic/L.b", "/topic/L.a")
	if st, _ := durableStats(b, "cid:n"); st.Topic != "/topic/L.a" || st.Pending != 1 {
		t.Fatalf("after re-subscribing by name to /topic/L.a: %+v", st)
	}
	if d := destStats(b, "/topic/L.b"); d.Bytes != 0 {
		t.Errorf("/topic/L.b still keeps for the replaced pattern: %+v", d)
	}
}

// A durable wildcard subscription whose subscriber is away is demand
// across a bridge, as one on a single topic is: a persistent message
// published on a spoke, to a topic the hub has never seen, is forwarded
// and kept for it.
func TestDurableWildcardAwayIsNetworkDemand(t *testing.T) {
	hub, spokes := hubAndSpokes(t, 1, "spoke")
	c, _ := subscribeDurablePattern(t, hub.Addr(), "cid", "/topic/N.>", true)
	c.Disconnect()
	waitWildcardDemand(t, spokes["spoke"], "/topic/N.>")
	p := dial(t, spokes["spoke"].Addr())
	publishEach(t, p, true, "", "/topic/N.fresh")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st, _ := durableStats(hub, "cid:n")
		if st.Pending == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub kept nothing for the durable pattern away: %+v", st)
		}
	}
	c2, s2 := subscribeDurablePattern(t, hub.Addr(), "cid", "/topic/N.>", false)
	if got := receiveSet(t, c2, s2, 1); got[0] != "/topic/N.fresh" {
		t.Fatalf("got %v", got)
	}
}
