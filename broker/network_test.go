package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// awaitBridge waits for the bridge named link to reach state on node's
// recorder, failing with the last bridge event seen.
func awaitBridge(t testing.TB, b *brokertest.Broker, link, state string) {
	t.Helper()
	_, ok, last := b.Events.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.Link == link && e.State == state
	}, func(e events.Event) bool { return e.Kind == events.BridgeState && e.Link == link })
	if !ok {
		t.Fatalf("bridge %s on %s never reached %s; last seen: %v", link, b.Name(), state, last)
	}
}

// hubAndSpokes starts a plaintext hub and spokes joined by duplex bridges.
func hubAndSpokes(t *testing.T, ttl int, spokes ...string) (*brokertest.Broker, map[string]*brokertest.Broker) {
	t.Helper()
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	out := map[string]*brokertest.Broker{}
	for _, name := range spokes {
		s := brokertest.NewBroker(t, broker.Options{Name: name, Connect: []string{
			fmt.Sprintf("static://(tcp://%s)?duplex=true&name=%s->hub&networkTTL=%d&initialReconnectDelay=50", hub.Addr(), name, ttl),
		}})
		awaitBridge(t, s, name+"->hub", events.StateUp)
		awaitBridge(t, hub, name+"->hub", events.StateUp)
		out[name] = s
	}
	return hub, out
}

// consumeAfterDemand subscribes and waits until the demand has crossed the
// network: a probe message sent from `from` arrives.
func subscribeAcross(t *testing.T, consumerAddr, producerAddr, dest string) (*stomp.Conn, *stomp.Subscription, *stomp.Conn) {
	t.Helper()
	c := dial(t, consumerAddr)
	// A small prefetch: go-stomp deadlocks when a consumer acks as it reads
	// with more than ~18 messages in flight (see scenarios/probe.go).
	s, err := c.Subscribe(dest, stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "8"))
	if err != nil {
		t.Fatal(err)
	}
	// go-stomp does not wait for SUBSCRIBE; a receipted frame after it on
	// the same connection proves the broker has the consumer in place.
	if err := c.Send("/topic/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	return c, s, dial(t, producerAddr)
}

func TestDuplexBothDirections(t *testing.T) {
	hub, spokes := hubAndSpokes(t, 1, "server-a")
	a := spokes["server-a"]

	// hub -> server-a: the bridge server-a opened carries it back (duplex).
	c, s, p := subscribeAcross(t, a.Addr(), hub.Addr(), "/queue/down")
	waitDemand(t, hub, "/queue/down")
	if err := p.Send("/queue/down", "text/plain", []byte("from hub"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	m := recv(t, s)
	c.Ack(m)
	if string(m.Body) != "from hub" {
		t.Fatalf("got %q", m.Body)
	}

	// server-a -> hub.
	c2, s2, p2 := subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/up")
	waitDemand(t, a, "/queue/up")
	p2.Send("/queue/up", "text/plain", []byte("from a"), stomp.SendOpt.Receipt)
	m2 := recv(t, s2)
	c2.Ack(m2)
	if string(m2.Body) != "from a" {
		t.Fatalf("got %q", m2.Body)
	}
}

// waitDemand waits until node holds a network consumer for dest, which it
// shows by forwarding a message: we watch for the SUBSCRIBE's effect via a
// short poll of a throwaway probe instead of a sleep.
func waitDemand(t *testing.T, node *brokertest.Broker, dest string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if node.Broker.HasDemand(dest) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never learned of a consumer for %s", node.Name(), dest)
}

// waitWildcardDemand is waitDemand for a consumer of a pattern.
func waitWildcardDemand(t *testing.T, node *brokertest.Broker, pattern string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !node.Broker.HasWildcardDemand(pattern) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never learned of a wildcard consumer for %s", node.Name(), pattern)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSpokeToSpokeNeedsTTL2(t *testing.T) {
	_, spokes := hubAndSpokes(t, 2, "server-a", "server-b")
	c, s, p := subscribeAcross(t, spokes["server-b"].Addr(), spokes["server-a"].Addr(), "/queue/orders")
	waitDemand(t, spokes["server-a"], "/queue/orders")
	for i := range 10 {
		if err := p.Send("/queue/orders", "text/plain", []byte(fmt.Sprint(i)), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		m := recv(t, s)
		if string(m.Body) != fmt.Sprint(i) {
			t.Fatalf("message %d: got %q (order lost)", i, m.Body)
		}
		c.Ack(m)
	}
}

// With ActiveMQ's default networkTTL=1 a consumer two bridges away is never
// advertised to the far spoke, so nothing leaves server-a.
func TestSpokeToSpokeTTL1DoesNotDeliver(t *testing.T) {
	hub, spokes := hubAndSpokes(t, 1, "server-a", "server-b")
	_, _, _ = subscribeAcross(t, spokes["server-b"].Addr(), spokes["server-a"].Addr(), "/queue/orders")
	waitDemand(t, hub, "/queue/orders")
	if spokes["server-a"].Broker.HasDemand("/queue/orders") {
		t.Fatal("server-a learned of a consumer two bridges away with networkTTL=1")
	}
}

// TestBridgeReconnects: the hub goes away and comes back on the same port;
// the spoke's connector brings the bridge back by itself and messages sent
// meanwhile arrive.
func TestBridgeReconnects(t *testing.T) {
	hub1 := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	addr := hub1.Addr()
	a := brokertest.NewBroker(t, broker.Options{Name: "server-a", Connect: []string{
		fmt.Sprintf("static://(tcp://%s)?duplex=true&name=server-a->hub&initialReconnectDelay=50&maxReconnectDelay=200", addr),
	}})
	awaitBridge(t, a, "server-a->hub", events.StateUp)
	hub1.Kill()
	awaitBridge(t, a, "server-a->hub", events.StateDown)
	from := a.Events.Len()
	hub2 := brokertest.NewBroker(t, broker.Options{Name: "hub", Listen: []string{"stomp://" + addr}})
	if _, ok, last := a.Events.Wait(from, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.State == events.StateUp
	}, nil); !ok {
		t.Fatalf("bridge did not come back: %v", last)
	}
	c, s, p := subscribeAcross(t, hub2.Addr(), a.Addr(), "/queue/after")
	waitDemand(t, a, "/queue/after")
	p.Send("/queue/after", "text/plain", []byte("ok"), stomp.SendOpt.Receipt)
	m := recv(t, s)
	c.Ack(m)
}

// TestBridgeCutMidStreamLosesNothing kills the hub's side of a bridge
// repeatedly while a steady stream crosses it; after the bridge is back,
// every message arrives exactly once and in order (requeue of unacked
// messages at the head of the queue, and the receiver's audit).
func TestBridgeCutMidStreamLosesNothing(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := brokertest.NewBroker(t, broker.Options{Name: "server-a", Connect: []string{
		fmt.Sprintf("static://(tcp://%s)?duplex=true&name=server-a->hub&initialReconnectDelay=20&maxReconnectDelay=50", hub.Addr()),
	}})
	awaitBridge(t, a, "server-a->hub", events.StateUp)
	c, s, p := subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/stream")
	waitDemand(t, a, "/queue/stream")

	const n = 2000
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := p.Send("/queue/stream", "text/plain", []byte(fmt.Sprint(i))); err != nil {
				sent <- err
				return
			}
		}
		sent <- p.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
	}()
	cuts := 0
	for i := range n {
		if i%400 == 200 {
			// Cut the bridge from the hub's side, as a reset would.
			if hub.Broker.DropBridges() > 0 {
				cuts++
			}
		}
		m := recv(t, s)
		if got := string(m.Body); got != fmt.Sprint(i) {
			t.Fatalf("message %d: got %q after %d cuts", i, got, cuts)
		}
		c.Ack(m)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if cuts == 0 {
		t.Fatal("the test never cut the bridge")
	}
	t.Logf("%d messages in order across %d bridge cuts", n, cuts)
}
