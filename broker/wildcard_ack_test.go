package broker_test

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// A wildcard subscription is one consumer, as in ActiveMQ: one prefetch
// window over all its destinations, and in client mode one order of
// deliveries over which an ACK is cumulative.
//
// These tests speak STOMP frame by frame (go-stomp's codec, not the
// broker's) because they count what arrives before a RECEIPT. The broker
// handles a connection's frames in order and dispatches while handling
// them, so whatever a SUBSCRIBE, SEND or ACK lets through is queued on the
// socket before that frame's RECEIPT: counting up to the receipt is exact,
// with no sleeping.

// frameConn is a STOMP 1.2 connection driven one frame at a time.
type frameConn struct {
	t  *testing.T
	nc net.Conn
	r  *frame.Reader
	w  *frame.Writer
	n  int // receipts asked for so far
}

func dialFrames(t *testing.T, addr string) *frameConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &frameConn{t: t, nc: nc, r: frame.NewReader(nc), w: frame.NewWriter(nc)}
	c.write(frame.New(frame.CONNECT, frame.AcceptVersion, "1.2", frame.Host, "test"))
	if f := c.read(); f.Command != frame.CONNECTED {
		t.Fatalf("CONNECT answered by %s: %v", f.Command, f.Header)
	}
	return c
}

func (c *frameConn) write(f *frame.Frame) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.w.Write(f); err != nil {
		c.t.Fatalf("write %s: %v", f.Command, err)
	}
}

// read returns the next frame, skipping heart-beats, within 5 s.
func (c *frameConn) read() *frame.Frame {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 100 {
		f, err := c.r.Read()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if f != nil {
			return f
		}
	}
	c.t.Fatal("read: only heart-beats")
	return nil
}

// do sends a frame with a receipt and returns the MESSAGE frames that
// arrived before the RECEIPT.
func (c *frameConn) do(command string, headers ...string) []*frame.Frame {
	c.t.Helper()
	c.n++
	receipt := fmt.Sprint("r", c.n)
	c.write(frame.New(command, append(headers, frame.Receipt, receipt)...))
	var msgs []*frame.Frame
	for range 10000 {
		f := c.read()
		switch {
		case f.Command == frame.MESSAGE:
			msgs = append(msgs, f)
		case f.Command == frame.RECEIPT && f.Header.Get(frame.ReceiptId) == receipt:
			return msgs
		default:
			c.t.Fatalf("%s: unexpected %s %v %q", command, f.Command, f.Header, f.Body)
		}
	}
	c.t.Fatalf("%s: no RECEIPT after 10000 frames", command)
	return nil
}

// consumers sums, over the destinations whose names start with prefix,
// the in-flight counts of their consumers (network ones when network).
func consumersInFlight(b *brokertest.Broker, prefix string, network bool) (inflight, pending int) {
	for _, d := range b.Stats().Destinations {
		if !strings.HasPrefix(d.Name, prefix) {
			continue
		}
		pending += d.Pending
		for _, c := range d.Consumers {
			if c.Network == network {
				inflight += c.InFlight
			}
		}
	}
	return inflight, pending
}

// In client mode an ACK settles every message delivered before it on the
// subscription, whichever of the pattern's destinations it came from: the
// message on WC.a is settled by acknowledging the later one on WC.b, and is
// not delivered again once the consumer goes.
func TestWildcardClientAckIsCumulativeAcrossDestinations(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dialFrames(t, b.Addr())
	c.do(frame.SUBSCRIBE, frame.Id, "w", frame.Destination, "/queue/WC.*", frame.Ack, "client")
	got := c.do(frame.SEND, frame.Destination, "/queue/WC.a", frame.ContentType, "text/plain")
	got = append(got, c.do(frame.SEND, frame.Destination, "/queue/WC.b", frame.ContentType, "text/plain")...)
	if len(got) != 2 || got[0].Header.Get(frame.Destination) != "/queue/WC.a" || got[1].Header.Get(frame.Destination) != "/queue/WC.b" {
		t.Fatalf("got %d messages, want one from WC.a then one from WC.b", len(got))
	}
	c.do(frame.ACK, frame.Id, got[1].Header.Get(frame.Ack))
	for _, d := range b.Stats().Destinations {
		for _, cs := range d.Consumers {
			if cs.InFlight != 0 {
				t.Errorf("%s: %d in flight after the cumulative ACK, want 0", d.Name, cs.InFlight)
			}
		}
		if strings.HasPrefix(d.Name, "/queue/WC.") && d.Dequeued != 1 {
			t.Errorf("%s: dequeued %d, want 1", d.Name, d.Dequeued)
		}
	}
	c.do(frame.DISCONNECT)

	again := dialFrames(t, b.Addr())
	if redelivered := again.do(frame.SUBSCRIBE, frame.Id, "w", frame.Destination, "/queue/WC.*", frame.Ack, "client"); len(redelivered) != 0 {
		t.Fatalf("%d acknowledged messages delivered again, first from %s", len(redelivered), redelivered[0].Header.Get(frame.Destination))
	}
}

// activemq.prefetchSize bounds the wildcard consumer as a whole: with a
// window of one over four matching queues, one message is out at a time,
// and each ACK lets exactly one more through until all have come.
func TestWildcardPrefetchIsOneWindowPerConsumer(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	p := dialFrames(t, b.Addr())
	for _, q := range []string{"a", "b", "c", "d"} {
		p.do(frame.SEND, frame.Destination, "/queue/WP."+q, frame.ContentType, "text/plain")
	}
	c := dialFrames(t, b.Addr())
	got := c.do(frame.SUBSCRIBE, frame.Id, "w", frame.Destination, "/queue/WP.*", frame.Ack, "client", "activemq.prefetchSize", "1")
	seen := map[string]bool{}
	for range 5 {
		if len(got) != 1 {
			break
		}
		seen[got[0].Header.Get(frame.Destination)] = true
		if inflight, _ := consumersInFlight(b, "/queue/WP.", false); inflight != 1 {
			t.Fatalf("%d in flight over the pattern's queues, want 1 (the prefetch)", inflight)
		}
		got = c.do(frame.ACK, frame.Id, got[0].Header.Get(frame.Ack))
	}
	if len(got) != 0 || len(seen) != 4 {
		t.Fatalf("one at a time, the consumer had messages from %d of the 4 queues, then %d at once", len(seen), len(got))
	}
}

// With a window smaller than the number of matching queues that hold
// messages, freed credits go to the queues waiting for them, so none
// starves: every message arrives, each queue's in order, the window is
// never exceeded, and every queue is served before any has its third
// message.
func TestWildcardSharedWindowDoesNotStarve(t *testing.T) {
	const perQueue, window = 5, 2
	queues := []string{"/queue/WS.a", "/queue/WS.b", "/queue/WS.c"}
	b := brokertest.NewBroker(t, broker.Options{})
	p := dialFrames(t, b.Addr())
	for i := range perQueue {
		for _, q := range queues {
			p.do(frame.SEND, frame.Destination, q, frame.ContentType, "text/plain", "x-seq", fmt.Sprint(i))
		}
	}
	c := dialFrames(t, b.Addr())
	got := c.do(frame.SUBSCRIBE, frame.Id, "w", frame.Destination, "/queue/WS.*", frame.Ack, "client", "activemq.prefetchSize", fmt.Sprint(window))
	var unacked []*frame.Frame
	next := map[string]int{}
	var order []string
	for step := 0; len(order) < perQueue*len(queues); step++ {
		if step > 10*perQueue*len(queues) {
			t.Fatalf("after %d steps only %d messages: %v", step, len(order), next)
		}
		for _, m := range got {
			q, seq := m.Header.Get(frame.Destination), m.Header.Get("x-seq")
			if seq != fmt.Sprint(next[q]) {
				t.Fatalf("%s: got x-seq %s, want %d", q, seq, next[q])
			}
			next[q]++
			order = append(order, q)
		}
		unacked = append(unacked, got...)
		if len(unacked) > window {
			t.Fatalf("%d messages unacknowledged, over the prefetch of %d", len(unacked), window)
		}
		if len(unacked) == 0 {
			t.Fatalf("nothing in flight and nothing delivered after %d of %d messages: starved (%v)", len(order), perQueue*len(queues), next)
		}
		// Acknowledge the oldest (settling one) or the newest (settling
		// all, across queues) in turn.
		upTo := 0
		if step%2 == 1 {
			upTo = len(unacked) - 1
		}
		got = c.do(frame.ACK, frame.Id, unacked[upTo].Header.Get(frame.Ack))
		unacked = unacked[upTo+1:]
	}
	if len(got) != 0 {
		t.Fatalf("%d messages more than were sent", len(got))
	}
	for _, q := range queues {
		if i := slices.Index(order, q); i < 0 || i >= window+len(queues) {
			t.Errorf("%s first served as delivery %d of %v", q, i, order)
		}
	}
	if inflight, pending := consumersInFlight(b, "/queue/WS.", false); inflight != 0 || pending != 0 {
		t.Fatalf("after the last ACK: %d in flight, %d pending", inflight, pending)
	}
}

// With auto acknowledgement a credit comes back once its frame is written,
// outside any ACK: the waiting queues must be woken from there too.
func TestWildcardAutoAckSharedWindowDrains(t *testing.T) {
	const perQueue = 20
	b := brokertest.NewBroker(t, broker.Options{})
	p := dialFrames(t, b.Addr())
	for i := range perQueue {
		for _, q := range []string{"a", "b", "c"} {
			p.do(frame.SEND, frame.Destination, "/queue/WA."+q, frame.ContentType, "text/plain", "x-seq", fmt.Sprint(i))
		}
	}
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/WA.*", stomp.AckAuto, stomp.SubscribeOpt.Header("activemq.prefetchSize", "1"))
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	for range 3 * perQueue {
		m := recv(t, s)
		if seq := m.Header.Get("x-seq"); seq != fmt.Sprint(next[m.Destination]) {
			t.Fatalf("%s: got x-seq %s, want %d", m.Destination, seq, next[m.Destination])
		}
		next[m.Destination]++
	}
}

// A peer's wildcard demand is a client-mode subscription the receiving
// broker acknowledges cumulatively, only the latest message per
// subscription: messages for several matching queues all cross, and the
// sending broker settles every one of them, not only those of the queue
// that happened to carry the last.
func TestNetworkWildcardAcksSettleEveryDestination(t *testing.T) {
	hub, spokes := hubAndSpokes(t, 1, "server-a")
	a := spokes["server-a"]
	c := dial(t, hub.Addr())
	s, err := c.Subscribe("/queue/NW.*", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "8"))
	if err != nil {
		t.Fatal(err)
	}
	waitWildcardDemand(t, a, "/queue/NW.*")
	p := dial(t, a.Addr())
	// Sent without waiting, so the bridge carries them in bursts and the
	// hub acknowledges a burst with one ACK, for whichever queue came last.
	const rounds = 100
	for i := range rounds {
		for _, q := range []string{"a", "b", "c"} {
			if err := p.Send("/queue/NW."+q, "text/plain", []byte(fmt.Sprint(q, i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := map[string]bool{}
	for range 3 * rounds {
		m := recv(t, s)
		got[string(m.Body)] = true
		c.Ack(m)
	}
	if len(got) != 3*rounds {
		t.Fatalf("%d distinct messages of %d", len(got), 3*rounds)
	}
	var inflight, pending int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if inflight, pending = consumersInFlight(a, "/queue/NW.", true); inflight == 0 && pending == 0 {
			return
		}
	}
	t.Fatalf("server-a still holds %d forwarded messages unacknowledged and %d pending", inflight, pending)
}

// Producers on different matching queues make their destinations dispatch
// to the wildcard consumer at the same time. Acknowledging each message as
// it arrives (cumulatively) must never settle one still on its way, which
// the broker would then refuse to have acknowledged again: it ends the
// connection with an ERROR.
func TestWildcardCumulativeAckUnderConcurrentDispatch(t *testing.T) {
	const perQueue = 500
	queues := []string{"/queue/WR.a", "/queue/WR.b", "/queue/WR.c", "/queue/WR.d"}
	b := brokertest.NewBroker(t, broker.Options{})
	c := dialFrames(t, b.Addr())
	// The default prefetch (1000): the window rarely fills, so the
	// producers' own SENDs dispatch, each on its connection's goroutine.
	c.do(frame.SUBSCRIBE, frame.Id, "w", frame.Destination, "/queue/WR.*", frame.Ack, "client")
	errs := make(chan error, len(queues))
	for _, q := range queues {
		p := dial(t, b.Addr())
		go func() {
			for i := range perQueue {
				if err := p.Send(q, "text/plain", []byte(fmt.Sprint(i))); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	// ACKs go without receipts, as a consumer acknowledging as it reads
	// sends them; an ERROR would arrive in place of a MESSAGE.
	for range len(queues) * perQueue {
		f := c.read()
		if f.Command != frame.MESSAGE {
			t.Fatalf("got %s %v %q", f.Command, f.Header, f.Body)
		}
		c.write(frame.New(frame.ACK, frame.Id, f.Header.Get(frame.Ack)))
	}
	for range queues {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if extra := c.do(frame.SEND, frame.Destination, "/topic/brokerlab.test.fence"); len(extra) != 0 {
		t.Fatalf("%d messages more than were sent", len(extra))
	}
	if inflight, pending := consumersInFlight(b, "/queue/WR.", false); inflight != 0 || pending != 0 {
		t.Fatalf("after the last ACK: %d in flight, %d pending", inflight, pending)
	}
}

// A NACK in client mode refuses only the message it names, on a wildcard
// subscription too: the refused one comes back marked redelivered, and the
// earlier one, from another destination, is still the client's to ACK.
func TestWildcardClientNackSettlesOnlyThatMessage(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dialFrames(t, b.Addr())
	c.do(frame.SUBSCRIBE, frame.Id, "w", frame.Destination, "/queue/WN.*", frame.Ack, "client")
	got := c.do(frame.SEND, frame.Destination, "/queue/WN.a", frame.ContentType, "text/plain")
	got = append(got, c.do(frame.SEND, frame.Destination, "/queue/WN.b", frame.ContentType, "text/plain")...)
	if len(got) != 2 {
		t.Fatalf("got %d messages, want 2", len(got))
	}
	again := c.do(frame.NACK, frame.Id, got[1].Header.Get(frame.Ack))
	if len(again) != 1 || again[0].Header.Get(frame.Destination) != "/queue/WN.b" || again[0].Header.Get("redelivered") != "true" {
		t.Fatalf("after the NACK got %d messages, want WN.b's again, marked redelivered", len(again))
	}
	c.do(frame.ACK, frame.Id, again[0].Header.Get(frame.Ack)) // cumulative: WN.a's too
	if inflight, pending := consumersInFlight(b, "/queue/WN.", false); inflight != 0 || pending != 0 {
		t.Fatalf("after the cumulative ACK: %d in flight, %d pending, want none", inflight, pending)
	}
}
