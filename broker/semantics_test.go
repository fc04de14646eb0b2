package broker_test

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

func TestExpiredMessagesAreNeverDelivered(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	p := dial(t, b.Addr())
	past := fmt.Sprint(time.Now().Add(-time.Minute).UnixMilli())
	future := fmt.Sprint(time.Now().Add(time.Hour).UnixMilli())
	p.Send("/queue/exp", "text/plain", []byte("stale"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("expires", past))
	p.Send("/queue/exp", "text/plain", []byte("fresh"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("expires", future))
	c := dial(t, b.Addr())
	s, _ := c.Subscribe("/queue/exp", stomp.AckAuto)
	if m := recv(t, s); string(m.Body) != "fresh" {
		t.Fatalf("got %q first; the expired message must be dropped", m.Body)
	}
	for _, d := range b.Stats().Destinations {
		if d.Name == "/queue/exp" && d.Expired != 1 {
			t.Fatalf("expired count %d", d.Expired)
		}
	}
}

// A message refused (NACK) more than maximumRedeliveries times goes to
// /queue/ActiveMQ.DLQ, naming where it came from.
func TestPoisonMessageGoesToDLQ(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{MaxRedeliveries: 2})
	c := dial(t, b.Addr())
	s, _ := c.Subscribe("/queue/work", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "1"))
	c.Send("/queue/work", "text/plain", []byte("poison"), stomp.SendOpt.Receipt)
	for i := range 3 { // the first delivery and two redeliveries
		m := recv(t, s)
		if (i > 0) != (m.Header.Get("redelivered") == "true") {
			t.Fatalf("delivery %d: redelivered=%q", i, m.Header.Get("redelivered"))
		}
		if got := m.Header.Get("JMSXDeliveryCount"); got != fmt.Sprint(i+1) {
			t.Fatalf("delivery %d: JMSXDeliveryCount=%q", i, got)
		}
		if err := c.Nack(m); err != nil {
			t.Fatal(err)
		}
	}
	d := dial(t, b.Addr())
	dlq, _ := d.Subscribe(broker.DeadLetterQueue, stomp.AckAuto)
	m := recv(t, dlq)
	if string(m.Body) != "poison" || m.Header.Get("original-destination") != "/queue/work" {
		t.Fatalf("DLQ got %q headers %v", m.Body, m.Header)
	}
	if _, ok, _ := b.Events.Wait(0, time.Now().Add(time.Second), func(e events.Event) bool {
		return e.Kind == events.MessageDropped && strings.Contains(e.Reason, "dead-lettered")
	}, nil); !ok {
		t.Fatal("no event says the message was dead-lettered")
	}
}

func TestLogin(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Users: map[string]string{"alice": "wonder"}})
	for _, tt := range []struct{ login, pass string }{{"alice", "wrong"}, {"mallory", "wonder"}, {"", ""}} {
		got := rawExchange(t, b.Addr(), fmt.Sprintf("CONNECT\naccept-version:1.2\nlogin:%s\npasscode:%s\n\n\x00", tt.login, tt.pass))
		if !strings.Contains(got, "message:login failed: unknown login or wrong passcode") {
			t.Fatalf("%s/%s: %q", tt.login, tt.pass, got)
		}
	}
	c, err := stomp.Dial("tcp", b.Addr(), stomp.ConnOpt.Login("alice", "wonder"))
	if err != nil {
		t.Fatal(err)
	}
	c.Disconnect()
	for _, e := range b.Events.Events() {
		if strings.Contains(e.String(), "wonder") {
			t.Fatalf("an event shows the passcode: %v", e)
		}
	}
}

// Bridges log in with the connector's userName/password.
func TestBridgeLogin(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub", Users: map[string]string{"bridge": "b-pass"}})
	good := brokertest.NewBroker(t, broker.Options{Name: "server-a", Connect: []string{
		fmt.Sprintf("static://(tcp://%s)?name=server-a->hub&userName=bridge&password=b-pass&initialReconnectDelay=50", hub.Addr())}})
	awaitBridge(t, good, "server-a->hub", events.StateUp)
	bad := brokertest.NewBroker(t, broker.Options{Name: "server-b", Connect: []string{
		fmt.Sprintf("static://(tcp://%s)?name=server-b->hub&userName=bridge&password=nope&initialReconnectDelay=50", hub.Addr())}})
	_, ok, _ := bad.Events.Wait(0, time.Now().Add(5*time.Second), func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.State == events.StateRetrying && strings.Contains(e.Reason, "login failed")
	}, nil)
	if !ok {
		t.Fatalf("a bridge with a wrong password should retry, saying the login failed: %v", bad.Events.Events())
	}
}

func TestWildcardSubscriptions(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	p := dial(t, b.Addr())
	// A destination that exists before the wildcard SUBSCRIBE…
	p.Send("/queue/PRICE.STOCK.NYSE.IBM", "text/plain", []byte("ibm-before"), stomp.SendOpt.Receipt)
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/PRICE.STOCK.*.IBM", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	if m := recv(t, s); string(m.Body) != "ibm-before" || m.Header.Get("destination") != "/queue/PRICE.STOCK.NYSE.IBM" {
		t.Fatalf("got %q from %q", m.Body, m.Header.Get("destination"))
	} else {
		c.Ack(m)
	}
	// …and one created after it; a non-matching one is not delivered.
	p.Send("/queue/PRICE.STOCK.NYSE.ORCL", "text/plain", []byte("orcl"), stomp.SendOpt.Receipt)
	p.Send("/queue/PRICE.STOCK.NASDAQ.IBM", "text/plain", []byte("ibm-after"), stomp.SendOpt.Receipt)
	if m := recv(t, s); string(m.Body) != "ibm-after" {
		t.Fatalf("got %q", m.Body)
	} else {
		c.Ack(m)
	}
	t2 := dial(t, b.Addr())
	ts, _ := t2.Subscribe("/topic/PRICE.>", stomp.AckAuto)
	t2.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
	p.Send("/topic/PRICE.BOND.X", "text/plain", []byte("bond"), stomp.SendOpt.Receipt)
	if m := recv(t, ts); string(m.Body) != "bond" {
		t.Fatalf("topic wildcard got %q", m.Body)
	}
	if got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00SEND\ndestination:/queue/a.>\n\nx\x00"); !strings.Contains(got, "cannot send to a wildcard destination") {
		t.Fatalf("send to a pattern: %q", got)
	}
}

// Request/reply through a temporary queue: the requester's reply-to is
// rewritten to its own destination, which the responder answers.
func TestTempQueueRequestReply(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	server := dial(t, b.Addr())
	reqs, _ := server.Subscribe("/queue/rpc", stomp.AckAuto)
	server.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)

	client := dial(t, b.Addr())
	replies, _ := client.Subscribe("/temp-queue/replies", stomp.AckAuto)
	client.Send("/queue/rpc", "text/plain", []byte("2+2"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("reply-to", "/temp-queue/replies"))

	req := recv(t, reqs)
	replyTo := req.Header.Get("reply-to")
	if !strings.HasPrefix(replyTo, "/remote-temp-queue/") {
		t.Fatalf("reply-to not rewritten: %q", replyTo)
	}
	server.Send(replyTo, "text/plain", []byte("4"), stomp.SendOpt.Receipt)
	if m := recv(t, replies); string(m.Body) != "4" {
		t.Fatalf("reply %q", m.Body)
	}
	client.Disconnect()
	// The temporary queue ends with its connection.
	server.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		found := false
		for _, d := range b.Stats().Destinations {
			found = found || d.Name == replyTo
		}
		if !found {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s still exists after its connection closed", replyTo)
}

// A durable subscriber that goes away gets, when it returns, what was
// published meanwhile, and what it had received without acknowledging.
func TestDurableTopicSubscription(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	sub := func() (*stomp.Conn, *stomp.Subscription) {
		c, err := stomp.Dial("tcp", b.Addr(), stomp.ConnOpt.Header("client-id", "reporting"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Subscribe("/topic/news", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.subscriptionName", "daily"))
		if err != nil {
			t.Fatal(err)
		}
		c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
		return c, s
	}
	c1, s1 := sub()
	p := dial(t, b.Addr())
	p.Send("/topic/news", "text/plain", []byte("1"), stomp.SendOpt.Receipt)
	if m := recv(t, s1); string(m.Body) != "1" {
		t.Fatalf("got %q", m.Body)
	} // received, never acknowledged
	c1.Disconnect()
	for _, body := range []string{"2", "3"} {
		p.Send("/topic/news", "text/plain", []byte(body), stomp.SendOpt.Receipt)
	}
	c2, s2 := sub()
	defer c2.Disconnect()
	for _, want := range []string{"1", "2", "3"} {
		m := recv(t, s2)
		if string(m.Body) != want {
			t.Fatalf("got %q, want %q (unacknowledged first, then what was kept)", m.Body, want)
		}
		c2.Ack(m)
	}
	if got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\nid:1\ndestination:/topic/x\nactivemq.subscriptionName:n\n\n\x00"); !strings.Contains(got, "needs a /topic/ destination and a client-id") {
		t.Fatalf("durable without client-id: %q", got)
	}
}

func TestDurableSubscriptionDroppedByName(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c, _ := stomp.Dial("tcp", b.Addr(), stomp.ConnOpt.Header("client-id", "x"))
	c.Subscribe("/topic/t", stomp.AckAuto, stomp.SubscribeOpt.Id("s"), stomp.SubscribeOpt.Header("activemq.subscriptionName", "n"))
	c.Disconnect()
	p := dial(t, b.Addr())
	p.Send("/topic/t", "text/plain", []byte("kept"), stomp.SendOpt.Receipt)
	got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\nclient-id:x\n\n\x00UNSUBSCRIBE\nid:gone\nactivemq.subscriptionName:n\nreceipt:r\n\n\x00SUBSCRIBE\nid:again\ndestination:/topic/t\nactivemq.subscriptionName:n\nreceipt:r2\n\n\x00DISCONNECT\nreceipt:bye\n\n\x00")
	if strings.Contains(got, "MESSAGE") || !strings.Contains(got, "receipt-id:bye") {
		t.Fatalf("after dropping the durable subscription nothing kept should arrive: %q", got)
	}
}

// Flow control, refusing mode: a producer that would overfill a
// destination gets an ERROR saying so.
func TestFlowControlRefuses(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: 4096, SendFailIfNoSpace: true})
	body := strings.Repeat("x", 1024)
	var in strings.Builder
	in.WriteString("CONNECT\naccept-version:1.2\n\n\x00")
	for i := range 8 {
		fmt.Fprintf(&in, "SEND\ndestination:/queue/full\nreceipt:%d\n\n%s\x00", i, body)
	}
	got := rawExchange(t, b.Addr(), in.String())
	if !strings.Contains(got, "message:destination memory limit reached") || !strings.Contains(got, "receipt-id:3") {
		t.Fatalf("expected the first sends confirmed, then a refusal: %.300q", got)
	}
}

// Flow control, pausing mode: the producer is held, not refused, and
// resumes as a consumer drains; nothing is lost.
func TestFlowControlPausesProducer(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: 8 << 10})
	p := dial(t, b.Addr())
	const n = 50
	body := []byte(strings.Repeat("y", 1024))
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := p.Send("/queue/slow", "text/plain", body, stomp.SendOpt.Header("n", fmt.Sprint(i))); err != nil {
				sent <- err
				return
			}
		}
		sent <- p.Send("/queue/slow", "text/plain", nil, stomp.SendOpt.Receipt)
	}()
	if _, ok, _ := b.Events.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked && e.Dest == "/queue/slow"
	}, nil); !ok {
		t.Fatal("the producer was never paused")
	}
	c := dial(t, b.Addr())
	s, _ := c.Subscribe("/queue/slow", stomp.AckAuto)
	for i := range n {
		if m := recv(t, s); m.Header.Get("n") != fmt.Sprint(i) {
			t.Fatalf("message %d: got n=%q", i, m.Header.Get("n"))
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

func TestSelectors(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dial(t, b.Addr())
	eu, _ := c.Subscribe("/queue/orders", stomp.AckAuto, stomp.SubscribeOpt.Header("selector", "region = 'eu' AND amount > 100"))
	rest, _ := c.Subscribe("/queue/orders", stomp.AckAuto, stomp.SubscribeOpt.Header("selector", "region <> 'eu' OR region IS NULL"))
	c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
	p := dial(t, b.Addr())
	send := func(body string, kv ...string) {
		opts := []func(*frame.Frame) error{stomp.SendOpt.Receipt}
		for i := 0; i+1 < len(kv); i += 2 {
			opts = append(opts, stomp.SendOpt.Header(kv[i], kv[i+1]))
		}
		p.Send("/queue/orders", "text/plain", []byte(body), opts...)
	}
	send("big-eu", "region", "eu", "amount", "250")
	send("us", "region", "us", "amount", "999")
	send("none")
	send("small-eu", "region", "eu", "amount", "5") // matches nobody: stays queued
	if m := recv(t, eu); string(m.Body) != "big-eu" {
		t.Fatalf("eu got %q", m.Body)
	}
	for _, want := range []string{"us", "none"} {
		if m := recv(t, rest); string(m.Body) != want {
			t.Fatalf("rest got %q, want %q", m.Body, want)
		}
	}
	for _, d := range b.Stats().Destinations {
		if d.Name == "/queue/orders" && d.Pending != 1 {
			t.Fatalf("the message no selector matched should wait in the queue: pending=%d", d.Pending)
		}
	}
	if got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\nid:1\ndestination:/queue/x\nselector:a = = 1\n\n\x00"); !strings.Contains(got, "message:invalid selector") || !strings.Contains(got, "column") {
		t.Fatalf("bad selector: %q", got)
	}
}

// Under wantClientAuth a client without a certificate is let in: the
// event says so, and names the verified principal when there is one.
func TestWantClientAuthAnonymousIsReported(t *testing.T) {
	files, withCert := benchPKI(t)
	b := brokertest.NewBroker(t, broker.Options{Name: "bench", Listen: []string{"stomp+ssl://127.0.0.1:0?wantClientAuth=true"}, TLS: files})
	noCert := withCert.Clone()
	noCert.Certificates, noCert.GetClientCertificate = nil, func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &tls.Certificate{}, nil }
	for _, cfg := range []*tls.Config{withCert, noCert} {
		nc, err := tls.Dial("tcp", b.Addr(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		c, err := stomp.Connect(nc)
		if err != nil {
			t.Fatal(err)
		}
		c.Disconnect()
	}
	var peers []string
	for _, e := range b.Events.Events() {
		if e.Kind == events.ConnAccepted {
			peers = append(peers, e.Peer+" | "+e.Reason)
		}
	}
	if len(peers) != 2 || !strings.HasPrefix(peers[0], "CN=client |") || !strings.Contains(peers[1], "anonymous | ") || !strings.Contains(peers[1], "admitted anonymously (wantClientAuth)") {
		t.Fatalf("accepted connections: %q", peers)
	}
}
