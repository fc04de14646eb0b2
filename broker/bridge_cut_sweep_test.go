package broker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/go-stomp/stomp/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// cutSweep is where TestBridgeCutAtAnyByte cuts: byte offsets into the
// first connection of the bridge, upstream (what server-a, the dialler,
// sends) and downstream (what the hub sends). The layout, measured with
// these certificates and Go 1.26's TLS 1.3 (its ClientHello carries a
// post-quantum key share), varies by a few bytes from run to run:
//
//	upstream    0-1497 ClientHello, -2303 certificate, CertificateVerify, Finished,
//	            -2430 CONNECT; then server-a's MESSAGEs, about 472 bytes each,
//	            until about 13700; then its ACKs of the hub's messages
//	downstream  0-1938 ServerHello … the hub's certificate … Finished,
//	            -2170 session tickets, CONNECTED, the hub's demand (SUBSCRIBE);
//	            then ACKs of server-a's messages, 33-34 bytes each, and from
//	            about 2700 the hub's MESSAGEs, about 470 bytes each, to about 14200
//
// So the offsets fall in each part of the handshake, in the STOMP exchange
// that sets the bridge up, on the first acknowledgement (downstream 2180:
// the hub has stored the message, server-a never hears so) and through the
// streams of messages, where a cut separates a message stored on one side
// from its acknowledgement on the other. Each stays below its direction's
// total by thousands of bytes, so every one is reached.
var cutSweep = []struct {
	stream string // toxiproxy's: upstream is server-a -> hub
	offset int64
}{
	{"upstream", 3},
	{"upstream", 700},
	{"upstream", 1600},
	{"upstream", 2350},
	{"upstream", 2600},
	{"upstream", 5000},
	{"upstream", 9000},
	{"upstream", 12000},
	{"downstream", 3},
	{"downstream", 1000},
	{"downstream", 2000},
	{"downstream", 2180},
	{"downstream", 2300},
	{"downstream", 3500},
	{"downstream", 6000},
	{"downstream", 10000},
}

// sweepMessages cross the bridge each way per case: with their bodies
// they carry more than the largest offset, so every cut falls inside the
// first connection.
const (
	sweepMessages = 24
	sweepBody     = 256
	sweepBound    = 30 * time.Second
)

// TestBridgeCutAtAnyByte: a mutual-TLS duplex bridge carrying persistent
// messages both ways is cut once at each offset of cutSweep with
// toxiproxy's limit_data (the toxic of the `cut` fault), and comes back by
// itself once the toxic is gone. Every message a producer had a receipt
// for arrives at its consumer exactly once: none lost at any byte, and
// the receiving broker's audit drops every copy a sender offers again
// because the acknowledgement was cut.
func TestBridgeCutAtAnyByte(t *testing.T) {
	if testing.Short() {
		t.Skip("16 bridges cut and re-formed")
	}
	files, _ := benchPKI(t)
	// The whole sweep is bounded (it takes about 2 s): on a machine too
	// slow for this, waits end here instead of at each case's own bound.
	deadline := time.Now().Add(sweepBound)
	duplicates := 0
	for _, tc := range cutSweep {
		t.Run(fmt.Sprintf("%s-%d", tc.stream, tc.offset), func(t *testing.T) {
			duplicates += cutBridgeAt(t, files, tc.stream, tc.offset, deadline)
		})
	}
	t.Logf("the receiving brokers' audits dropped %d copies over the sweep", duplicates)
	if duplicates == 0 && !t.Failed() {
		t.Fatal("no offset cut an acknowledgement after its message was stored: the sweep never tested the audit")
	}
}

// cutBridgeAt runs one case and returns how many copies the audits dropped.
func cutBridgeAt(t *testing.T, files tlsconf.Files, stream string, offset int64, deadline time.Time) int {
	if time.Now().After(deadline) {
		t.Fatalf("the sweep's bound of %v passed before this case", sweepBound)
	}
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub", TLS: files, DataDir: t.TempDir(),
		Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true", "stomp://127.0.0.1:0"}})
	proxy := cutProxy(t, hub.Addr())
	cut := fmt.Sprintf("cut-%s-%d", stream, offset)
	addToxic(t, proxy, map[string]any{"name": cut, "type": "limit_data", "stream": stream, "toxicity": 1,
		"attributes": map[string]any{"bytes": offset}})
	clients := hub.Listeners()[1].Addr // plaintext, for the probes
	upC, upS, hubP := subscribeAcross(t, clients, clients, "/queue/sweep.up")

	// The toxic is in place before server-a dials: the offset counts from
	// the first byte of the bridge's first connection.
	a := brokertest.NewBroker(t, broker.Options{Name: "server-a", TLS: files, DataDir: t.TempDir(), Connect: []string{
		fmt.Sprintf("static://(ssl://%s?serverName=bench)?name=server-a->hub&duplex=true&initialReconnectDelay=10&maxReconnectDelay=50", proxy.Listen),
	}})
	downC, downS, aP := subscribeAcross(t, a.Addr(), a.Addr(), "/queue/sweep.down")
	sendPersistent(t, aP, "/queue/sweep.up", "up")
	sendPersistent(t, hubP, "/queue/sweep.down", "down")

	// The first connection carries more than offset bytes each way, so it
	// is cut; so is every connection made while the toxic stays.
	e, ok, last := a.Events.Wait(0, earlier(time.Now().Add(15*time.Second), deadline), func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.State != events.StateConnecting && e.State != events.StateUp
	}, func(e events.Event) bool { return e.Kind == events.BridgeState })
	if !ok {
		t.Fatalf("the bridge was never cut %d bytes %s; last bridge event: %v", offset, stream, last)
	}
	if err := proxy.Toxics.RemoveToxic(context.Background(), cut); err != nil {
		t.Fatal(err)
	}

	exactlyOnce(t, upC, upS, aP, "/queue/sweep.up", "up", deadline)
	exactlyOnce(t, downC, downS, hubP, "/queue/sweep.down", "down", deadline)
	dropped := droppedCopies(hub) + droppedCopies(a)
	t.Logf("cut at %d bytes %s: %s; the audits dropped %d copies", offset, stream, e, dropped)
	return dropped
}

// cutProxy starts an embedded toxiproxy in front of upstream, the way the
// faults package runs one per link, and returns its proxy.
func cutProxy(t *testing.T, upstream string) *toxiproxy.Proxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "server-a->hub", "127.0.0.1:0", upstream)
	if err := srv.Collection.Add(p, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Collection.Clear() })
	return p
}

func addToxic(t *testing.T, p *toxiproxy.Proxy, toxic map[string]any) {
	t.Helper()
	body, err := json.Marshal(toxic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
}

// sendPersistent sends sweepMessages persistent messages named prefix-i,
// each acknowledged by a receipt: the broker has stored it.
func sendPersistent(t *testing.T, p *stomp.Conn, dest, prefix string) {
	t.Helper()
	pad := strings.Repeat("x", sweepBody)
	for i := range sweepMessages {
		if err := p.Send(dest, "text/plain", []byte(fmt.Sprintf("%s-%d %s", prefix, i, pad)), stomp.SendOpt.Receipt,
			stomp.SendOpt.Header("persistent", "true")); err != nil {
			t.Fatalf("send %s-%d: %v", prefix, i, err)
		}
	}
}

// exactlyOnce receives until every prefix-i has arrived, failing on a
// second copy of any; then a fence sent after them must be the next
// message, so a copy that came late is caught too.
func exactlyOnce(t *testing.T, c *stomp.Conn, s *stomp.Subscription, p *stomp.Conn, dest, prefix string, deadline time.Time) {
	t.Helper()
	seen := map[string]bool{}
	next := func() string {
		t.Helper()
		select {
		case m, ok := <-s.C:
			if !ok || m.Err != nil {
				t.Fatalf("%s: subscription closed: %v", dest, m)
			}
			c.Ack(m)
			name, _, _ := strings.Cut(string(m.Body), " ")
			return name
		case <-time.After(time.Until(earlier(time.Now().Add(20*time.Second), deadline))):
			t.Fatalf("%s: %d of %d messages arrived; the rest are lost", dest, len(seen), sweepMessages)
		}
		return ""
	}
	for len(seen) < sweepMessages {
		name := next()
		if seen[name] {
			t.Fatalf("%s: %s arrived twice", dest, name)
		}
		seen[name] = true
	}
	if err := p.Send(dest, "text/plain", []byte(prefix+"-fence"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true")); err != nil {
		t.Fatal(err)
	}
	if name := next(); name != prefix+"-fence" {
		t.Fatalf("%s: %s arrived again after all %d had", dest, name, sweepMessages)
	}
}

func droppedCopies(b *brokertest.Broker) int {
	n := 0
	for _, e := range b.Events.Events() {
		if e.Kind == events.MessageDropped && strings.HasPrefix(e.Reason, "duplicate") {
			n++
		}
	}
	return n
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
