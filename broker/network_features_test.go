package broker_test

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// spokeOf starts a spoke with one connector to hub; extra is appended to
// the connector's options.
func spokeOf(t *testing.T, name, hubAddr, extra string, o broker.Options) *brokertest.Broker {
	t.Helper()
	o.Name = name
	o.Connect = append(o.Connect, fmt.Sprintf("static://(tcp://%s)?name=%s->hub&initialReconnectDelay=50&maxReconnectDelay=200%s", hubAddr, name, extra))
	return brokertest.NewBroker(t, o)
}

func waitEvent(t *testing.T, b *brokertest.Broker, from int, what string, match func(events.Event) bool) events.Event {
	t.Helper()
	e, ok, _ := b.Events.Wait(from, time.Now().Add(10*time.Second), match, nil)
	if !ok {
		var seen []string
		for _, e := range b.Events.Events() {
			if e.Kind == events.BridgeState {
				seen = append(seen, e.String())
			}
		}
		t.Fatalf("%s: never saw %s; bridge events:\n%s", b.Name(), what, strings.Join(seen, "\n"))
	}
	return e
}

func bridgeIn(state string) func(events.Event) bool {
	return func(e events.Event) bool { return e.Kind == events.BridgeState && e.State == state }
}

// A hub killed and restarted on the same port: the spoke probes every
// 100 ms while nothing listens and is up again shortly after the hub
// listens, however long it was away. The figure is logged, not asserted
// (the catalogue's scenario asserts the schedule).
func TestHubRestartReconnectTimeline(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	addr := hub.Addr()
	a := spokeOf(t, "server-a", addr, "&duplex=true", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	hub.Kill()
	waitEvent(t, a, 0, "down", bridgeIn(events.StateDown))
	time.Sleep(2 * time.Second)
	from := a.Events.Len()
	listening := time.Now()
	brokertest.NewBroker(t, broker.Options{Name: "hub", Listen: []string{"stomp://" + addr}})
	up := waitEvent(t, a, from, "up again", bridgeIn(events.StateUp))
	t.Logf("bridge up %v after the hub listened again (down 2 s)", up.Time.Sub(listening))
	retrying := 0
	for _, e := range a.Events.Events() {
		if e.Kind == events.BridgeState && e.State == events.StateRetrying {
			retrying++
		}
	}
	if retrying > 3 {
		t.Fatalf("%d retrying events for one outage: probes must be quiet", retrying)
	}
}

func TestSelfLoopConnectorIsDisposed(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Name: "solo", Listen: []string{"stomp://127.0.0.1:0"}})
	loop := brokertest.NewBroker(t, broker.Options{Name: "loop", Listen: []string{"stomp://127.0.0.1:0"}})
	_ = b
	// A broker cannot know its own port before it listens, so the loop is
	// made by a second broker of the same name dialling the first: to the
	// dialler, its peer says it is itself.
	twin := brokertest.NewBroker(t, broker.Options{Name: "loop", Connect: []string{"static://(tcp://" + loop.Addr() + ")?name=loop->loop&initialReconnectDelay=50"}})
	e := waitEvent(t, twin, 0, "stopped", bridgeIn(events.StateStopped))
	if !strings.Contains(e.Reason, "disposed") || !strings.Contains(e.Reason, "own broker") {
		t.Fatalf("stopped for another reason: %v", e)
	}
	time.Sleep(300 * time.Millisecond)
	for _, e := range twin.Events.Events() {
		if e.Kind == events.BridgeState && e.State == events.StateRetrying {
			t.Fatalf("a disposed connector retried: %v", e)
		}
	}
}

func TestSecondDuplexBridgeRefused(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := brokertest.NewBroker(t, broker.Options{Name: "server-a", Connect: []string{
		"static://(tcp://" + hub.Addr() + ")?name=first&duplex=true&initialReconnectDelay=50",
	}})
	waitEvent(t, a, 0, "first up", bridgeIn(events.StateUp))
	b2 := brokertest.NewBroker(t, broker.Options{Name: "server-a", Connect: []string{
		"static://(tcp://" + hub.Addr() + ")?name=second&duplex=true&initialReconnectDelay=50",
	}})
	e := waitEvent(t, b2, 0, "refused", bridgeIn(events.StateRetrying))
	if !strings.Contains(e.Reason, "already has a duplex bridge") {
		t.Fatalf("second bridge: %v", e)
	}
	if st := hub.Stats(); len(st.Network) != 1 {
		t.Fatalf("hub bridges: %+v", st.Network)
	}
}

func TestWrongBridgeCredentialsAreAuthFailed(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub", Users: map[string]string{"bridge": "right"}})
	a := spokeOf(t, "server-a", hub.Addr(), "&userName=bridge&password=not-the-one", broker.Options{})
	e := waitEvent(t, a, 0, "auth-failed", bridgeIn(events.StateAuthFailed))
	if strings.Contains(e.String(), "not-the-one") {
		t.Fatalf("the event shows the password: %v", e)
	}
	r := waitEvent(t, a, 0, "retrying", bridgeIn(events.StateRetrying))
	if r.Delay < 50*time.Millisecond {
		t.Fatalf("an auth failure must back off, retrying in %v", r.Delay)
	}
}

func TestAdvisoryOnBridgeStart(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	c := dial(t, hub.Addr())
	s, err := c.Subscribe(broker.AdvisoryNetworkBridge, stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send("/topic/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	spokeOf(t, "server-a", hub.Addr(), "&duplex=true", broker.Options{})
	m := recv(t, s)
	if m.Header.Get("started") != "true" || m.Header.Get("createdByDuplex") != "true" || m.Header.Get("remoteIp") != "127.0.0.1" || m.Header.Get("remoteBrokerName") != "server-a" {
		t.Fatalf("advisory headers: %v", m.Header)
	}
	var body map[string]any
	if err := json.Unmarshal(m.Body, &body); err != nil || body["localBrokerName"] != "hub" {
		t.Fatalf("advisory body %s: %v", m.Body, err)
	}
}

// Excluded destinations never get demand across; statically included ones
// are forwarded with no consumer on the far side.
func TestConnectorFilters(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := spokeOf(t, "server-a", hub.Addr(), "&excludedDestinations=/queue/private.>&staticallyIncludedDestinations=queue://static", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	c, _, p := subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/private.x")
	defer c.Disconnect()
	_, _, _ = subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/public")
	waitDemand(t, a, "/queue/public")
	if a.Broker.HasDemand("/queue/private.x") {
		t.Fatal("demand for an excluded destination crossed the bridge")
	}
	// No consumer anywhere for /queue/static, yet it goes to the hub.
	if err := p.Send("/queue/static", "text/plain", []byte("s"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, d := range hub.Stats().Destinations {
			if d.Name == "/queue/static" && d.Pending == 1 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the statically included queue was not forwarded: hub %+v", hub.Stats().Destinations)
}

// With decreaseNetworkConsumerPriority a local consumer with room gets
// every message; without it, the network consumer shares them.
func TestDecreaseNetworkConsumerPriority(t *testing.T) {
	for _, decrease := range []bool{true, false} {
		hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
		a := spokeOf(t, "server-a", hub.Addr(), fmt.Sprintf("&decreaseNetworkConsumerPriority=%v", decrease), broker.Options{})
		waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
		remote, _, _ := subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/work")
		waitDemand(t, a, "/queue/work")
		// Ack auto, so the local consumer's room does not depend on how
		// soon its client's ACKs reach the broker (under load go-stomp can
		// hold back a prefetch window's worth of them).
		lc := dial(t, a.Addr())
		ls, err := lc.Subscribe("/queue/work", stomp.AckAuto)
		if err != nil {
			t.Fatal(err)
		}
		if err := lc.Send("/topic/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
		p := dial(t, a.Addr())
		local := 0
		for i := range 20 {
			// One at a time, so the local consumer always has room.
			p.Send("/queue/work", "text/plain", []byte(fmt.Sprint(i)), stomp.SendOpt.Receipt)
			select {
			case <-ls.C:
				local++
			case <-time.After(300 * time.Millisecond):
			}
		}
		if decrease && local != 20 {
			t.Fatalf("decreaseNetworkConsumerPriority: the local consumer got %d of 20", local)
		}
		if !decrease && local == 20 {
			t.Fatalf("without decreaseNetworkConsumerPriority the network consumer got nothing")
		}
		remote.Disconnect()
	}
}

// A durable subscriber on the hub that is away still draws topic messages
// across the bridge, and gets them when it returns.
func TestDurableSubscriptionAcrossTheNetwork(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := spokeOf(t, "server-a", hub.Addr(), "", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	sub := dial(t, hub.Addr(), stomp.ConnOpt.Header("client-id", "c1"))
	s, err := sub.Subscribe("/topic/news", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.subscriptionName", "n"))
	if err != nil {
		t.Fatal(err)
	}
	waitDemand(t, a, "/topic/news")
	s.Unsubscribe()
	sub.Disconnect()
	time.Sleep(100 * time.Millisecond)
	if !a.Broker.HasDemand("/topic/news") {
		t.Fatal("the spoke forgot the demand of a durable subscriber that is away")
	}
	p := dial(t, a.Addr())
	p.Send("/topic/news", "text/plain", []byte("while away"), stomp.SendOpt.Receipt)
	time.Sleep(200 * time.Millisecond)
	back := dial(t, hub.Addr(), stomp.ConnOpt.Header("client-id", "c1"))
	s2, _ := back.Subscribe("/topic/news", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.subscriptionName", "n"))
	if m := recv(t, s2); string(m.Body) != "while away" {
		t.Fatalf("got %q", m.Body)
	}
}

// A request sent on one spoke with reply-to a temporary queue is answered
// by a responder on the hub, and the answer finds its way back.
func TestTempQueueRequestReplyAcrossTheNetwork(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := spokeOf(t, "server-a", hub.Addr(), "&duplex=true", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	rc, rs, _ := subscribeAcross(t, hub.Addr(), hub.Addr(), "/queue/service")
	waitDemand(t, a, "/queue/service")
	req := dial(t, a.Addr())
	replies, err := req.Subscribe("/temp-queue/answers", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	if err := req.Send("/topic/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	if err := req.Send("/queue/service", "text/plain", []byte("ping"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("reply-to", "/temp-queue/answers")); err != nil {
		t.Fatal(err)
	}
	m := recv(t, rs)
	rc.Ack(m)
	replyTo := m.Header.Get("reply-to")
	if !strings.HasPrefix(replyTo, "/remote-temp-queue/") {
		t.Fatalf("reply-to %q", replyTo)
	}
	if err := rc.Send(replyTo, "text/plain", []byte("pong"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, replies); string(r.Body) != "pong" {
		t.Fatalf("reply %q", r.Body)
	}
}

func TestStatsListBridgesWithCounters(t *testing.T) {
	hub, spokes := hubAndSpokes(t, 1, "server-a")
	a := spokes["server-a"]
	c, s, p := subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/n")
	waitDemand(t, a, "/queue/n")
	for range 5 {
		p.Send("/queue/n", "text/plain", []byte("x"), stomp.SendOpt.Receipt)
	}
	for range 5 {
		c.Ack(recv(t, s))
	}
	// The spoke counts a message forwarded when the hub's ACK arrives.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && (len(a.Stats().Network) != 1 || a.Stats().Network[0].Forwarded < 5) {
		time.Sleep(5 * time.Millisecond)
	}
	as, hs := a.Stats().Network, hub.Stats().Network
	if len(as) != 1 || as[0].Forwarded != 5 || !as[0].Dialer || as[0].Peer != "hub" || as[0].Demand != 0 {
		t.Fatalf("spoke bridges: %+v", as)
	}
	if len(hs) != 1 || hs[0].Received != 5 || hs[0].Demand != 1 {
		t.Fatalf("hub bridges: %+v", hs)
	}
}

// Without conduit subscriptions a spoke sees one network consumer per
// remote consumer, so a queue's messages are shared by consumer count: one
// local consumer against two on the hub gets a third, not a half.
func TestConduitSubscriptionsOff(t *testing.T) {
	for _, conduit := range []bool{true, false} {
		hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
		a := spokeOf(t, "server-a", hub.Addr(), fmt.Sprintf("&conduitSubscriptions=%v", conduit), broker.Options{})
		waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
		r1, _, _ := subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/share")
		r2, _, _ := subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/share")
		want := 1
		if !conduit {
			want = 2
		}
		deadline := time.Now().Add(5 * time.Second)
		for networkConsumers(a, "/queue/share") != want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := networkConsumers(a, "/queue/share"); got != want {
			t.Fatalf("conduitSubscriptions=%v: %d network consumers on the spoke, want %d", conduit, got, want)
		}
		r1.Disconnect()
		r2.Disconnect()
		deadline = time.Now().Add(5 * time.Second)
		for networkConsumers(a, "/queue/share") != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := networkConsumers(a, "/queue/share"); got != 0 {
			t.Fatalf("conduitSubscriptions=%v: %d network consumers left after the consumers went", conduit, got)
		}
	}
}

func networkConsumers(b *brokertest.Broker, dest string) int {
	n := 0
	for _, d := range b.Stats().Destinations {
		if d.Name == dest {
			for _, c := range d.Consumers {
				if c.Network {
					n++
				}
			}
		}
	}
	return n
}

// dynamicallyIncludedDestinations: only demand for the listed destinations
// crosses; dynamicOnly: statically included ones wait for demand too.
func TestDynamicallyIncludedAndDynamicOnly(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := spokeOf(t, "server-a", hub.Addr(), "&dynamicallyIncludedDestinations=/queue/in.>&staticallyIncludedDestinations=/queue/static&dynamicOnly=true", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/out")
	subscribeAcross(t, hub.Addr(), a.Addr(), "/queue/in.x")
	waitDemand(t, a, "/queue/in.x")
	if a.Broker.HasDemand("/queue/out") {
		t.Fatal("demand for a destination outside dynamicallyIncludedDestinations crossed")
	}
	if a.Broker.HasDemand("/queue/static") {
		t.Fatal("dynamicOnly: a statically included destination was forwarded without demand")
	}
}

// A wildcard consumer on one broker draws messages for matching
// destinations that exist only on another, two bridges away, and its
// demand goes when it does.
func TestWildcardDemandAcrossTheNetwork(t *testing.T) {
	_, spokes := hubAndSpokes(t, 2, "server-a", "server-b")
	a, b := spokes["server-a"], spokes["server-b"]
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/orders.>", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "8"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send("/topic/brokerlab.test.fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	p := dial(t, a.Addr())
	waitWildcardDemand(t, a, "/queue/orders.>")
	for _, dest := range []string{"/queue/orders.eu", "/queue/orders.us.east"} {
		if err := p.Send(dest, "text/plain", []byte(dest), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
		m := recv(t, s)
		c.Ack(m)
		if string(m.Body) != dest || m.Destination != dest {
			t.Fatalf("got %q on %s, want %s", m.Body, m.Destination, dest)
		}
	}
	s.Unsubscribe()
	deadline := time.Now().Add(5 * time.Second)
	for a.Broker.HasWildcardDemand("/queue/orders.>") {
		if time.Now().After(deadline) {
			t.Fatal("the wildcard demand stayed after its consumer went")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A connection closed before it said a byte (a connector's probe, a load
// balancer's health check) is not a TLS failure; one that sent garbage is.
func TestSilentCloseIsNotATLSFailure(t *testing.T) {
	files, _ := benchPKI(t)
	b := brokertest.NewBroker(t, broker.Options{Name: "bench", Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"}, TLS: files})
	nc, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	waitEvent(t, b, 0, "a silent close", func(e events.Event) bool {
		return e.Kind == events.ConnClosed && strings.Contains(e.Reason, "before the TLS handshake began")
	})
	nc, err = net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte("CONNECT\n\n\x00"))
	waitEvent(t, b, 0, "a TLS failure for plaintext", func(e events.Event) bool { return e.Kind == events.TLSFailed })
	nc.Close()
	for _, e := range b.Events.Events() {
		if e.Kind == events.TLSFailed && strings.Contains(e.Reason, "EOF") {
			t.Fatalf("a silent close reported as a TLS failure: %v", e)
		}
	}
}

// A peer's wildcard demand covers excluded names too: /queue/> on the hub
// must not draw /queue/private.x across, while /queue/public.x crosses.
func TestExcludedDestinationsStayHomeUnderWildcardDemand(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := spokeOf(t, "server-a", hub.Addr(), "&excludedDestinations=/queue/private.>", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	c := dial(t, hub.Addr())
	s, err := c.Subscribe("/queue/>", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	waitWildcardDemand(t, a, "/queue/>")
	p := dial(t, a.Addr())
	for _, d := range []string{"/queue/private.secret", "/queue/public.news"} {
		if err := p.Send(d, "text/plain", []byte(d), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case m := <-s.C:
		if m.Err != nil || m.Destination != "/queue/public.news" {
			t.Fatalf("the hub's /queue/> consumer got %s %q (err %v); want only /queue/public.news", m.Destination, m.Body, m.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("/queue/public.news never crossed")
	}
	if got := pendingOn(a, "/queue/private.secret"); got != 1 {
		t.Fatalf("/queue/private.secret pending on the spoke = %d, want 1 (it must stay home)", got)
	}
}

// A wildcard in staticallyIncludedDestinations forwards every matching
// destination without demand, including ones created later.
func TestStaticallyIncludedWildcard(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	a := spokeOf(t, "server-a", hub.Addr(), "&staticallyIncludedDestinations=/queue/audit.>", broker.Options{})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	p := dial(t, a.Addr())
	for _, d := range []string{"/queue/audit.x", "/queue/audit.y.z"} {
		if err := p.Send(d, "text/plain", []byte("s"), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for pendingOn(hub, "/queue/audit.x") != 1 || pendingOn(hub, "/queue/audit.y.z") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("statically included wildcard did not forward: hub %+v, spoke %+v", hub.Stats().Destinations, a.Stats().Destinations)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, d := range a.Stats().Destinations {
		if d.Name == "/queue/audit.>" {
			t.Fatal("the pattern became a destination of its own on the spoke")
		}
	}
}

func pendingOn(n *brokertest.Broker, dest string) int {
	for _, d := range n.Stats().Destinations {
		if d.Name == dest {
			return d.Pending
		}
	}
	return 0
}

// A forwarded persistent message is acknowledged to the sending broker
// only once the receiving broker has stored it: when the hub cannot store,
// the spoke keeps the message (nothing dequeued) and the hub's consumer
// gets nothing.
func TestForwardedPersistentMessageAckedOnlyOnceStored(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub", DataDir: t.TempDir()})
	a := spokeOf(t, "server-a", hub.Addr(), "", broker.Options{DataDir: t.TempDir()})
	waitEvent(t, a, 0, "up", bridgeIn(events.StateUp))
	c := dial(t, hub.Addr())
	s, err := c.Subscribe("/queue/stored", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	waitDemand(t, a, "/queue/stored")
	hub.Broker.CloseStore()
	from := len(a.Events.Events())
	p := dial(t, a.Addr())
	if err := p.Send("/queue/stored", "text/plain", []byte("keep me"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true")); err != nil {
		t.Fatal(err)
	}
	// The hub refuses the bridge when its append fails; by then an ACK
	// sent ahead of the store would have reached the spoke.
	waitEvent(t, a, from, "the bridge down after the hub failed to store", bridgeIn(events.StateDown))
	for _, d := range a.Stats().Destinations {
		if d.Name == "/queue/stored" && d.Dequeued != 0 {
			t.Fatalf("the spoke let go of a message the hub never stored: %+v", d)
		}
	}
	select {
	case m := <-s.C:
		t.Fatalf("the hub delivered a message it could not store: %q", m.Body)
	default:
	}
}
