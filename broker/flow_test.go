package broker_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// rawClient is a STOMP client over a bare TCP connection, so a test can do
// what no well-behaved client library does: never read, trickle bytes,
// vanish mid-flood.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

// dialRaw dials addr and, unless connect is empty, sends it and waits
// for CONNECTED. The connection is closed when the test ends, before the
// broker's own cleanup: a peer that never reads must not hold up Shutdown.
func dialRaw(t *testing.T, addr, connect string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, r: bufio.NewReader(nc)}
	if connect != "" {
		c.write(connect)
		c.expect("CONNECTED")
	}
	return c
}

func (c *rawClient) write(s string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// expect reads frames until one whose text contains want.
func (c *rawClient) expect(want string) string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.nc.SetReadDeadline(time.Time{})
	var seen []string
	for {
		f, err := c.r.ReadString(0)
		if err != nil {
			c.t.Fatalf("waiting for %q: %v; frames seen: %q", want, err, seen)
		}
		if f = strings.TrimLeft(f, "\r\n"); strings.Contains(f, want) {
			return f
		}
		seen = append(seen, f)
	}
}

// closedWithin reads (discarding) until the broker closes the connection
// and reports how long that took, or fails after max.
func closedWithin(t *testing.T, nc net.Conn, max time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	nc.SetReadDeadline(start.Add(max))
	buf := make([]byte, 512)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the broker kept the connection open for %v", max)
		}
		return time.Since(start)
	}
}

// A connection that never sends CONNECT is closed after HandshakeTimeout,
// whether it stays silent or trickles heart-beat newlines to look alive:
// before CONNECT there is one fixed deadline, not a sliding one.
func TestConnectTimeoutPlaintext(t *testing.T) {
	const timeout = 400 * time.Millisecond
	b := brokertest.NewBroker(t, broker.Options{HandshakeTimeout: timeout})
	for _, tc := range []struct {
		name  string
		every time.Duration // 0: silent
	}{{"silent", 0}, {"trickling newlines", timeout / 5}} {
		t.Run(tc.name, func(t *testing.T) {
			from := b.Events.Len()
			c := dialRaw(t, b.Addr(), "")
			stop := make(chan struct{})
			defer close(stop)
			if tc.every > 0 {
				go func() {
					tick := time.NewTicker(tc.every)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							if _, err := c.nc.Write([]byte("\n")); err != nil {
								return
							}
						}
					}
				}()
			}
			// Generous: the point is that it is closed at all, where before
			// the trickling one never was.
			took := closedWithin(t, c.nc, 10*timeout)
			if took < timeout/2 {
				t.Errorf("closed after %v, before HandshakeTimeout %v", took, timeout)
			}
			if _, ok, last := b.Events.Wait(from, time.Now().Add(5*time.Second), func(e events.Event) bool {
				return e.Kind == events.ConnRefused && strings.Contains(e.Reason, "HandshakeTimeout")
			}, nil); !ok {
				t.Errorf("no conn-refused event naming HandshakeTimeout; last: %v", last)
			}
		})
	}
}

// A consumer that asks for a huge prefetch and then never reads must not
// take the broker's memory: its prefetch is cut to ActiveMQ's maximum, its
// connection holds at most ConnectionMemoryLimit, the rest waits in the
// queue against DestinationMemoryLimit, and the producer is paused.
func TestSlowConsumerWithHugePrefetchPausesProducer(t *testing.T) {
	const (
		destLimit = 2 << 20
		connLimit = 2 << 20
		size      = 1024
		most      = 64 << 20 / size // 64 MiB, far past both limits
	)
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: destLimit, ConnectionMemoryLimit: connLimit})
	heapBefore := liveHeap()

	cons := dialRaw(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	cons.nc.(*net.TCPConn).SetReadBuffer(4096)
	cons.write("SUBSCRIBE\nid:s\ndestination:/queue/hog\nack:auto\nactivemq.prefetchSize:1000000000\nreceipt:sub\n\n\x00")
	cons.expect("receipt-id:sub")
	// From here on the consumer never reads.

	prod := dialRaw(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	frame := "SEND\ndestination:/queue/hog\n\n" + strings.Repeat("x", size) + "\x00"
	sent := make(chan int, 1)
	go func() {
		n := 0
		deadline := time.Now().Add(30 * time.Second)
		for ; n < most && time.Now().Before(deadline); n++ {
			prod.nc.SetWriteDeadline(deadline)
			if _, err := io.WriteString(prod.nc, frame); err != nil {
				break // paused (deadline) or closed at the end of the test
			}
		}
		sent <- n
	}()
	if _, ok, _ := b.Events.Wait(0, time.Now().Add(20*time.Second), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked && e.Dest == "/queue/hog"
	}, nil); !ok {
		t.Fatal("the producer was never paused: the messages went somewhere unbounded")
	}
	var st broker.DestinationStats
	for _, d := range b.Stats().Destinations {
		if d.Name == "/queue/hog" {
			st = d
		}
	}
	if len(st.Consumers) != 1 || st.Consumers[0].Window != broker.MaxPrefetch {
		t.Errorf("consumers %+v: want one, its prefetch cut to %d", st.Consumers, broker.MaxPrefetch)
	}
	if st.Pending == 0 || st.Bytes > destLimit+2*size {
		t.Errorf("%+v: the backlog should wait in the queue, within its limit %d", st, destLimit)
	}
	// Both limits, the socket buffers and the producer's frames being
	// read: a few MiB. Before the fix the whole flood was queued for the
	// consumer's socket (64 MiB and more).
	if grew := liveHeap() - heapBefore; grew > 24<<20 {
		t.Errorf("live heap grew by %d MiB with a consumer that never reads; want it bounded near the limits (%d + %d MiB)", grew>>20, destLimit>>20, connLimit>>20)
	}
	prod.nc.Close()
	if n := <-sent; n >= most {
		t.Errorf("the producer sent all %d messages without being paused", n)
	}
}

func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// A connection at its ConnectionMemoryLimit gets more as soon as it
// drains, on every one of its subscriptions, whatever their ack mode:
// nothing is left behind once the consumer keeps reading.
func TestConnectionLimitDeliversEverything(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{ConnectionMemoryLimit: 8 << 10})
	c := dial(t, b.Addr())
	auto, err := c.Subscribe("/queue/la", stomp.AckAuto, stomp.SubscribeOpt.Header("activemq.prefetchSize", "100000"))
	if err != nil {
		t.Fatal(err)
	}
	// 16: go-stomp hands a subscription's messages over a channel of 16,
	// and its one goroutine also sends our ACKs; more in flight and it can
	// block on a full channel with our ACKs queued behind it. 16 KiB in
	// flight is still twice the connection's limit.
	indiv, err := c.Subscribe("/queue/li", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "16"))
	if err != nil {
		t.Fatal(err)
	}
	p := dial(t, b.Addr())
	const n = 500
	body := []byte(strings.Repeat("z", 1024))
	for i := range n {
		for _, q := range []string{"/queue/la", "/queue/li"} {
			if err := p.Send(q, "text/plain", body, stomp.SendOpt.Header("n", strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Each subscription read on its own: go-stomp hands frames to
	// subscriptions in the order they arrive, and one reader blocked on a
	// full subscription would stall the other.
	errs := make(chan error, 2)
	for _, s := range []*stomp.Subscription{auto, indiv} {
		go func() {
			for i := range n {
				select {
				case m := <-s.C:
					if m.Err != nil || m.Header.Get("n") != strconv.Itoa(i) {
						errs <- fmt.Errorf("%s: message %d: n=%q, err %v", s.Destination(), i, m.Header.Get("n"), m.Err)
						return
					}
					if s == indiv {
						c.Ack(m)
					}
				case <-time.After(10 * time.Second):
					errs <- fmt.Errorf("%s: message %d never came: %+v", s.Destination(), i, b.Stats().Destinations)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Messages a consumer has received but not acknowledged stay counted
// against their destination's limit, as in ActiveMQ: a client that reads
// everything and acknowledges nothing pauses the producer instead of
// piling up unacknowledged messages in the broker.
func TestUnacknowledgedMessagesCountAgainstTheLimit(t *testing.T) {
	const limit = 256 << 10
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: limit})
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/unacked", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "1000000000"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range s.C { // read, and never acknowledged
		}
	}()
	prod := dialRaw(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	const most = 16 << 20 / 1024
	frame := "SEND\ndestination:/queue/unacked\n\n" + strings.Repeat("u", 1024) + "\x00"
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for i := 0; i < most && time.Now().Before(deadline); i++ {
			prod.nc.SetWriteDeadline(deadline)
			if _, err := io.WriteString(prod.nc, frame); err != nil {
				return
			}
		}
	}()
	if _, ok, _ := b.Events.Wait(0, time.Now().Add(20*time.Second), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked && e.Dest == "/queue/unacked"
	}, nil); !ok {
		t.Fatal("the producer was never paused while the consumer acknowledged nothing")
	}
	for _, d := range b.Stats().Destinations {
		if d.Name == "/queue/unacked" && (d.Bytes < limit || d.Consumers[0].InFlight*1024 > 2*limit) {
			t.Errorf("%+v: want the unacknowledged messages counted, about %d bytes of them", d, limit)
		}
	}
}

// durableSub subscribes to topic as client-id id, durable name "kept",
// and waits until the broker has the subscription unless it has messages
// kept for it (they would stand in front of the receipt).
func durableSub(t *testing.T, addr, id, topic string, kept bool) (*stomp.Conn, *stomp.Subscription) {
	t.Helper()
	c, err := stomp.Dial("tcp", addr, stomp.ConnOpt.Header("client-id", id))
	if err != nil {
		t.Fatal(err)
	}
	// Prefetch 16: see TestConnectionLimitDeliversEverything.
	s, err := c.Subscribe(topic, stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.subscriptionName", "kept"),
		stomp.SubscribeOpt.Header("activemq.prefetchSize", "16"))
	if err != nil {
		t.Fatal(err)
	}
	if !kept {
		// A receipt on a later frame proves the SUBSCRIBE was handled.
		if err := c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	return c, s
}

func destStats(b *brokertest.Broker, name string) broker.DestinationStats {
	for _, d := range b.Stats().Destinations {
		if d.Name == name {
			return d
		}
	}
	return broker.DestinationStats{}
}

// What a topic keeps for a durable subscriber who is away counts against
// the topic's memory limit: a flood pauses the producer instead of
// growing without bound, /stats shows the backlog, and the subscriber
// gets all of it on its return, after which the producer goes on.
func TestDurableBacklogPausesProducer(t *testing.T) {
	const limit = 64 << 10
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: limit})
	c, _ := durableSub(t, b.Addr(), "away", "/topic/kept", false)
	c.Disconnect()
	p := dial(t, b.Addr())
	const n = 200 // 200 KiB, three times the limit
	body := []byte(strings.Repeat("d", 1024))
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := p.Send("/topic/kept", "text/plain", body, stomp.SendOpt.Header("n", strconv.Itoa(i))); err != nil {
				sent <- err
				return
			}
		}
		sent <- p.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
	}()
	if _, ok, _ := b.Events.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked && e.Dest == "/topic/kept"
	}, nil); !ok {
		t.Fatalf("the producer was never paused: %+v", destStats(b, "/topic/kept"))
	}
	if st := destStats(b, "/topic/kept"); st.Bytes < limit || st.Bytes > 2*limit || st.Pending == 0 || st.Pending >= n {
		t.Errorf("%+v: want the durable backlog shown, about %d bytes of it", st, limit)
	}
	c, s := durableSub(t, b.Addr(), "away", "/topic/kept", true)
	defer c.Disconnect()
	for i := range n {
		m := recv(t, s)
		if m.Header.Get("n") != strconv.Itoa(i) {
			t.Fatalf("message %d: n=%q", i, m.Header.Get("n"))
		}
		c.Ack(m)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

// With a store, the persistent messages kept for a durable subscriber
// who is away wait there, as a queue's do, once the topic holds half its
// limit: the producer is not paused, memory holds their headers, and the
// subscriber gets every body back, in order.
func TestDurableBacklogSpools(t *testing.T) {
	const limit = 256 << 10
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: limit, DataDir: t.TempDir()})
	c, _ := durableSub(t, b.Addr(), "away", "/topic/spool", false)
	c.Disconnect()
	p := dial(t, b.Addr())
	const n = 1000 // 1 MiB, four times the limit
	for i := range n {
		body := strings.Repeat(fmt.Sprintf("%04d", i), 256)
		if err := p.Send("/topic/spool", "text/plain", []byte(body), stomp.SendOpt.Header("persistent", "true"), stomp.SendOpt.Header("n", strconv.Itoa(i))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := p.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	if _, blocked, _ := b.Events.Wait(0, time.Now(), func(e events.Event) bool { return e.Kind == events.ProducerBlocked }, nil); blocked {
		t.Error("the producer of persistent messages was paused; their copies should have been spooled")
	}
	if st := destStats(b, "/topic/spool"); st.Pending != n || st.Spooled < n/2 || st.Bytes > limit {
		t.Errorf("%+v: want all %d kept, most spooled, memory under the limit %d", st, n, limit)
	}
	c, s := durableSub(t, b.Addr(), "away", "/topic/spool", true)
	defer c.Disconnect()
	for i := range n {
		m := recv(t, s)
		if want := strings.Repeat(fmt.Sprintf("%04d", i), 256); m.Header.Get("n") != strconv.Itoa(i) || string(m.Body) != want {
			t.Fatalf("message %d: n=%q, body %.20q… (%d bytes)", i, m.Header.Get("n"), m.Body, len(m.Body))
		}
		c.Ack(m)
	}
}

// Messages a durable subscription kept across a restart are counted once
// its subscriber is back, and uncounted as it acknowledges them: the
// topic's bytes come back to zero, never below (which would lift its
// limit).
func TestDurableBacklogCountedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	b1 := startOn(t, dir)
	c, _ := durableSub(t, b1.Addr(), "away", "/topic/restart", false)
	c.Disconnect()
	p := dial(t, b1.Addr())
	const n = 20
	for range n {
		p.Send("/topic/restart", "text/plain", []byte(strings.Repeat("r", 1000)), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true"))
	}
	b1.Kill()

	b2 := startOn(t, dir)
	c, s := durableSub(t, b2.Addr(), "away", "/topic/restart", true)
	defer c.Disconnect()
	for range n {
		c.Ack(recv(t, s))
	}
	if err := c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt); err != nil { // the ACKs were handled
		t.Fatal(err)
	}
	if st := destStats(b2, "/topic/restart"); st.Bytes != 0 {
		t.Errorf("%+v: every kept message was acknowledged; want 0 bytes", st)
	}
}
