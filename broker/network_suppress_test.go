package broker_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// suppressDuplicateQueueSubscriptions: a queue consumer on c is reachable
// from p by two paths, p -> c and p -> m -> c, so p holds two network
// consumers for it. With the option only the shorter path carries the
// queue's messages and m sees none; without it p shares them round robin
// and some go the long way (which shows the two paths are really there).
func TestSuppressDuplicateQueueSubscriptions(t *testing.T) {
	for _, suppress := range []bool{true, false} {
		t.Run(fmt.Sprintf("suppress=%v", suppress), func(t *testing.T) {
			connector := func(from, to, addr string) string {
				return fmt.Sprintf("static://(tcp://%s)?name=%s->%s&networkTTL=2&suppressDuplicateQueueSubscriptions=%v&initialReconnectDelay=50", addr, from, to, suppress)
			}
			c := brokertest.NewBroker(t, broker.Options{Name: "c"})
			m := brokertest.NewBroker(t, broker.Options{Name: "m", Connect: []string{connector("m", "c", c.Addr())}})
			p := brokertest.NewBroker(t, broker.Options{Name: "p", Connect: []string{connector("p", "c", c.Addr()), connector("p", "m", m.Addr())}})
			awaitBridge(t, m, "m->c", events.StateUp)
			awaitBridge(t, p, "p->c", events.StateUp)
			awaitBridge(t, p, "p->m", events.StateUp)

			rc, s, prod := subscribeAcross(t, c.Addr(), p.Addr(), "/queue/paths")
			// Both paths are known on p before anything is sent: the
			// direct one (one bridge) and the one through m (two).
			deadline := time.Now().Add(5 * time.Second)
			for !slices.Equal(sorted(networkHops(p, "/queue/paths")), []int{1, 2}) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if hops := sorted(networkHops(p, "/queue/paths")); !slices.Equal(hops, []int{1, 2}) {
				t.Fatalf("p's network consumers for /queue/paths are %v bridges from the consumer, want [1 2]", hops)
			}

			const n = 20
			for i := range n {
				if err := prod.Send("/queue/paths", "text/plain", []byte(fmt.Sprint(i)), stomp.SendOpt.Receipt); err != nil {
					t.Fatal(err)
				}
			}
			for range n {
				rc.Ack(recv(t, s))
			}
			viaM := destStats(m, "/queue/paths").Enqueued
			t.Logf("suppressDuplicateQueueSubscriptions=%v: %d of %d messages went through m", suppress, viaM, n)
			switch {
			case suppress && viaM != 0:
				t.Fatalf("%d of %d messages took the longer path through m; suppressDuplicateQueueSubscriptions keeps only the shorter one", viaM, n)
			case !suppress && viaM == 0:
				t.Fatalf("no message went through m: without suppressDuplicateQueueSubscriptions p shares a queue's messages among both paths")
			}
		})
	}
}

func sorted(s []int) []int {
	slices.Sort(s)
	return s
}
