package broker_test

import (
	"testing"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// messageTTL and consumerTTL apart, as ActiveMQ has them since 5.9: with
// messageTTL=1 and consumerTTL=2 on server-a -> hub <- server-b, a consumer
// on server-b is known on server-a (its demand crossed two bridges), but a
// message sent on server-a may cross only one, which would strand it on
// the hub: server-a keeps it. The hub's own message, one bridge from the
// consumer, reaches it.
func TestMessageTTLShorterThanConsumerTTL(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub"})
	spokes := map[string]*brokertest.Broker{}
	for _, name := range []string{"server-a", "server-b"} {
		spokes[name] = spokeOf(t, name, hub.Addr(), "&duplex=true&messageTTL=1&consumerTTL=2", broker.Options{})
		awaitBridge(t, spokes[name], name+"->hub", events.StateUp)
	}
	a, b := spokes["server-a"], spokes["server-b"]
	c, s, hubP := subscribeAcross(t, b.Addr(), hub.Addr(), "/queue/ttl")

	// consumerTTL=2: the demand reaches server-a, two bridges from the
	// consumer. (With consumerTTL taken from messageTTL it never would.)
	waitDemand(t, a, "/queue/ttl")
	if hops := networkHops(a, "/queue/ttl"); len(hops) != 1 || hops[0] != 2 {
		t.Fatalf("server-a's network consumers for /queue/ttl are %v bridges from the consumer, want [2]", hops)
	}

	// messageTTL=1: a message from server-a does not leave it. Dispatch
	// happens before the receipt, so once the receipt is back the message
	// is either on its way to the hub or still waiting here.
	p := dial(t, a.Addr())
	if err := p.Send("/queue/ttl", "text/plain", []byte("far"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	if err := hubP.Send("/queue/ttl", "text/plain", []byte("near"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	m := recv(t, s)
	c.Ack(m)
	if string(m.Body) != "near" {
		t.Fatalf("server-b received %q first, want the hub's message: server-a's went two bridges with messageTTL=1", m.Body)
	}
	d := destStats(a, "/queue/ttl")
	if d.Pending != 1 {
		t.Fatalf("server-a holds %d messages for /queue/ttl, want 1: with messageTTL=1 its message must not cross towards a consumer two bridges away (stats %+v)", d.Pending, d)
	}
	for _, cs := range d.Consumers {
		if cs.Network && cs.InFlight != 0 {
			t.Fatalf("server-a sent %d messages to its network consumer for a consumer two bridges away with messageTTL=1", cs.InFlight)
		}
	}
}

// networkHops lists how far from the real consumers b's network consumers
// for dest are.
func networkHops(b *brokertest.Broker, dest string) []int {
	var hops []int
	for _, c := range destStats(b, dest).Consumers {
		if c.Network {
			hops = append(hops, c.Hops)
		}
	}
	return hops
}
