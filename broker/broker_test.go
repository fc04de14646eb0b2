package broker_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

func dial(t *testing.T, addr string, opts ...func(*stomp.Conn) error) *stomp.Conn {
	t.Helper()
	c, err := stomp.Dial("tcp", addr, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.MustDisconnect() })
	return c
}

func recv(t *testing.T, s *stomp.Subscription) *stomp.Message {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok || m.Err != nil {
			t.Fatalf("receive: subscription closed: %v", m)
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatalf("receive on %s: nothing in 5s", s.Destination())
	}
	return nil
}

func TestQueueRoundRobin(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c1, c2, p := dial(t, b.Addr()), dial(t, b.Addr()), dial(t, b.Addr())
	s1, err := c1.Subscribe("/queue/orders", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := c2.Subscribe("/queue/orders", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	// A receipt on a later frame proves both SUBSCRIBEs were processed.
	for _, c := range []*stomp.Conn{c1, c2} {
		if err := c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		if err := p.Send("/queue/orders", "text/plain", []byte(fmt.Sprint(i)), stomp.SendOpt.Receipt, stomp.SendOpt.Header("x-seq", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for range 2 {
		got["c1:"+string(recv(t, s1).Body)]++
		got["c2:"+string(recv(t, s2).Body)]++
	}
	if len(got) != 4 {
		t.Fatalf("each message should go to exactly one consumer, alternating: %v", got)
	}
}

func TestTopicFanOut(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c1, c2 := dial(t, b.Addr()), dial(t, b.Addr())
	var subs []*stomp.Subscription
	for _, c := range []*stomp.Conn{c1, c2} {
		s, err := c.Subscribe("/topic/prices", stomp.AckAuto)
		if err != nil {
			t.Fatal(err)
		}
		c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
		subs = append(subs, s)
	}
	p := dial(t, b.Addr())
	if err := p.Send("/topic/prices", "text/plain", []byte("42"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("x-user", "kept")); err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		m := recv(t, s)
		if string(m.Body) != "42" || m.Header.Get("x-user") != "kept" || m.Header.Get("message-id") == "" {
			t.Fatalf("copy: body %q headers %v", m.Body, m.Header)
		}
	}
}

// TestClientIndividualRedelivery: an unacknowledged message goes to another
// consumer when its consumer disconnects, marked redelivered.
func TestClientIndividualRedelivery(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c1, err := stomp.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	s1, err := c1.Subscribe("/queue/work", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	p := dial(t, b.Addr())
	if err := p.Send("/queue/work", "text/plain", []byte("job"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, s1); string(m.Body) != "job" {
		t.Fatalf("got %q", m.Body)
	}
	c1.MustDisconnect() // without ACK
	c2 := dial(t, b.Addr())
	s2, err := c2.Subscribe("/queue/work", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	m := recv(t, s2)
	if string(m.Body) != "job" || m.Header.Get("redelivered") != "true" {
		t.Fatalf("redelivery: body %q redelivered=%q", m.Body, m.Header.Get("redelivered"))
	}
	if err := c2.Ack(m); err != nil {
		t.Fatal(err)
	}
}

// TestTransactions: SENDs inside an aborted transaction never arrive; a
// committed one does.
func TestTransactions(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/tx", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := c.BeginWithError()
	tx.Send("/queue/tx", "text/plain", []byte("aborted"))
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	tx, _ = c.BeginWithError()
	tx.Send("/queue/tx", "text/plain", []byte("committed"))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, s); string(m.Body) != "committed" {
		t.Fatalf("got %q", m.Body)
	}
}

// rawExchange writes bytes to a fresh connection and returns everything the
// broker answered before closing.
func rawExchange(t *testing.T, addr, input string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write([]byte(input))
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := nc.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	tests := []struct{ name, in, want string }{
		{"frame before CONNECT", "SEND\ndestination:/queue/a\n\nx\x00", "message:not connected"},
		{"no common version", "CONNECT\naccept-version:2.0\n\n\x00", "version:1.0,1.1,1.2"},
		{"send without destination", "CONNECT\naccept-version:1.2\n\n\x00SEND\nreceipt:r1\n\nx\x00", "receipt-id:r1"},
		{"bad destination", "CONNECT\naccept-version:1.2\n\n\x00SEND\ndestination:orders\n\nx\x00", "message:destination must start with /queue/ or /topic/"},
		{"subscribe without id", "CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\ndestination:/queue/a\n\n\x00", "message:missing id header"},
		{"unknown ack", "CONNECT\naccept-version:1.2\n\n\x00ACK\nid:nope\n\n\x00", "message:no message to acknowledge"},
		{"undefined escape", "CONNECT\naccept-version:1.2\n\n\x00SEND\ndestination:/queue/a\nx:\\t\n\n\x00", "ERROR"},
		{"disconnect receipt", "CONNECT\naccept-version:1.2\n\n\x00DISCONNECT\nreceipt:bye\n\n\x00", "RECEIPT\nreceipt-id:bye"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawExchange(t, b.Addr(), tt.in)
			if !strings.Contains(got, tt.want) {
				t.Fatalf("answer %q does not contain %q", got, tt.want)
			}
		})
	}
}

func TestHeartBeatNegotiation(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{HeartBeat: 100 * time.Millisecond})
	for in, want := range map[string]string{
		"heart-beat:0,50":    "heart-beat:100,0", // we send (at least every 100ms), the client does not
		"heart-beat:50,0":    "heart-beat:0,100",
		"heart-beat:0,0":     "heart-beat:0,0",
		"heart-beat:500,500": "heart-beat:100,100",
	} {
		got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n"+in+"\n\n\x00DISCONNECT\n\n\x00")
		if !strings.Contains(got, want) {
			t.Errorf("%s: CONNECTED %q lacks %s", in, got, want)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	_, err := broker.New(broker.Options{Name: "bad name", Listen: []string{"ftp://x:1", "stomp+ssl://127.0.0.1:0"}, Connect: []string{"static://(ssl://h:1)?dupex=1"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`Name: "bad name"`, "Listen[0]", "Connect[0]", "TLS: a stomp+ssl listener"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestMaxConnections(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{MaxConnections: 1})
	dial(t, b.Addr())
	got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	if !strings.Contains(got, "message:too many connections") {
		t.Fatalf("second connection got %q", got)
	}
}

func TestStatsCounters(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/counted", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c.Send("/queue/counted", "text/plain", []byte("x"), stomp.SendOpt.Receipt)
	}
	for range 3 {
		c.Ack(recv(t, s))
	}
	c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt) // ACKs are processed by now
	for _, d := range b.Stats().Destinations {
		if d.Name == "/queue/counted" {
			if d.Enqueued != 3 || d.Dequeued != 3 || d.Pending != 0 || len(d.Consumers) != 1 || d.Consumers[0].InFlight != 0 {
				t.Fatalf("stats %+v", d)
			}
			return
		}
	}
	t.Fatal("no stats for /queue/counted")
}
