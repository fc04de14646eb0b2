package broker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// With a store, persistent messages over a queue's memory limit wait on
// disk instead of pausing their producer: 400 KiB go into a queue limited
// to 16 KiB without a consumer, every send is confirmed, the queue's memory
// holds little more than the limit and the spooled messages' headers, and a late consumer gets every body back, in order.
// Non-persistent messages to the same broker are still paused (there is no
// disk to put them on), which TestFlowControlPausesProducer shows.
func TestPersistentMessagesSpoolInsteadOfPausing(t *testing.T) {
	const limit = 16 << 10
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: limit, DataDir: t.TempDir()})
	p := dial(t, b.Addr())
	const n = 400
	for i := range n {
		body := strings.Repeat(fmt.Sprintf("%04d", i), 256)
		if err := p.Send("/queue/flood", "text/plain", []byte(body), stomp.SendOpt.Receipt,
			stomp.SendOpt.Header("persistent", "true"), stomp.SendOpt.Header("n", fmt.Sprint(i))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if _, blocked, _ := b.Events.Wait(0, time.Now(), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked
	}, nil); blocked {
		t.Error("a producer of persistent messages was paused; they should have been spooled")
	}
	var st broker.DestinationStats
	for _, d := range b.Stats().Destinations {
		if d.Name == "/queue/flood" {
			st = d
		}
	}
	// A spooled message still costs its headers and bookkeeping, ~150 bytes.
	if st.Pending != n || st.Spooled < n/2 || st.Bytes > limit+n*200 {
		t.Fatalf("after %d sends of 1 KiB: %+v; want all pending, most spooled, memory near %d bytes plus headers", n, st, limit)
	}
	t.Logf("%d of %d messages spooled; %d bytes in memory for %d KiB of bodies", st.Spooled, n, st.Bytes, n)
	c := dial(t, b.Addr())
	s, _ := c.Subscribe("/queue/flood", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "8"))
	for i := range n {
		m := recv(t, s)
		if want := strings.Repeat(fmt.Sprintf("%04d", i), 256); m.Header.Get("n") != fmt.Sprint(i) || string(m.Body) != want {
			t.Fatalf("message %d: n=%q, body %.20q… (%d bytes)", i, m.Header.Get("n"), m.Body, len(m.Body))
		}
		c.Ack(m)
	}
}
