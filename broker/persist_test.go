package broker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

func startOn(t *testing.T, dir string) *brokertest.Broker {
	t.Helper()
	return brokertest.NewBroker(t, broker.Options{Name: "p", DataDir: dir})
}

// After Kill, a broker restarted on the same data directory delivers the
// persistent messages nobody consumed, and neither the consumed ones nor
// the non-persistent ones.
func TestRestartDeliversPersistentMessages(t *testing.T) {
	dir := t.TempDir()
	b1 := startOn(t, dir)
	p, _ := stomp.Dial("tcp", b1.Addr())
	for _, m := range []struct{ body, persistent string }{{"kept-1", "true"}, {"gone", "false"}, {"consumed", "true"}, {"kept-2", "true"}} {
		if err := p.Send("/queue/p", "text/plain", []byte(m.body), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", m.persistent)); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := stomp.Dial("tcp", b1.Addr())
	// Prefetch 3: the first three arrive (two left unacknowledged), kept-2 stays queued.
	s, _ := c.Subscribe("/queue/p", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "3"))
	for _, want := range []string{"kept-1", "gone", "consumed"} {
		m := recv(t, s)
		if string(m.Body) != want {
			t.Fatalf("got %q want %q", m.Body, want)
		}
		if want == "consumed" {
			c.Ack(m)
		}
	}
	c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt) // the ACK was processed
	// Give the background writer its moment, then crash: whatever it had
	// not written would only make "consumed" come back, never lose a message.
	time.Sleep(50 * time.Millisecond)
	b1.Kill()

	b2 := startOn(t, dir)
	c2 := dial(t, b2.Addr())
	s2, _ := c2.Subscribe("/queue/p", stomp.AckClientIndividual)
	var got []string
	for range 2 {
		m := recv(t, s2)
		got = append(got, string(m.Body))
		if m.Header.Get("redelivered") != "true" {
			t.Errorf("%s: a recovered message may have been delivered before; it must say redelivered", m.Body)
		}
		c2.Ack(m)
	}
	if strings.Join(got, ",") != "kept-1,kept-2" {
		t.Fatalf("after restart got %v, want kept-1 then kept-2", got)
	}
}

// A damaged tail (a crash mid-write, a bad disk) is cut, reported with the
// file and offset, and what came before it is recovered.
func TestDamagedStoreTailIsReported(t *testing.T) {
	dir := t.TempDir()
	b1 := startOn(t, dir)
	p := dial(t, b1.Addr())
	p.Send("/queue/d", "text/plain", []byte("before"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true"))
	b1.Kill()
	segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.seg"))
	if len(segs) == 0 {
		t.Fatalf("no segment files in %s", filepath.Join(dir, "store"))
	}
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("\x00\x00\x01\x00garbage that is not a record"))
	f.Close()

	b2 := startOn(t, dir)
	if _, ok, _ := b2.Events.Wait(0, time.Now().Add(5*time.Second), func(e events.Event) bool {
		return e.Kind == events.StoreRecovered && strings.Contains(e.Reason, "cut a damaged tail at "+segs[len(segs)-1]+" offset")
	}, nil); !ok {
		t.Fatalf("no event reports the damaged tail: %v", b2.Events.Events())
	}
	c := dial(t, b2.Addr())
	s, _ := c.Subscribe("/queue/d", stomp.AckAuto)
	if m := recv(t, s); string(m.Body) != "before" {
		t.Fatalf("got %q", m.Body)
	}
}

// A durable subscription survives a crash of its broker, with what it kept
// while its subscriber was away, and keeps collecting after the restart.
func TestDurableSubscriptionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	b1 := startOn(t, dir)
	sub := func(addr string) (*stomp.Conn, *stomp.Subscription) {
		c, err := stomp.Dial("tcp", addr, stomp.ConnOpt.Header("client-id", "audit"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Subscribe("/topic/ledger", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.subscriptionName", "all"))
		if err != nil {
			t.Fatal(err)
		}
		c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
		return c, s
	}
	c1, _ := sub(b1.Addr())
	c1.Disconnect()
	p := dial(t, b1.Addr())
	p.Send("/topic/ledger", "text/plain", []byte("before-crash"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true"))
	b1.Kill()

	b2 := startOn(t, dir)
	p2 := dial(t, b2.Addr())
	p2.Send("/topic/ledger", "text/plain", []byte("after-restart"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true"))
	c2, s2 := sub(b2.Addr())
	for _, want := range []string{"before-crash", "after-restart"} {
		m := recv(t, s2)
		if string(m.Body) != want {
			t.Fatalf("got %q want %q", m.Body, want)
		}
		c2.Ack(m)
	}
	c2.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt) // the ACKs were processed
	c2.Disconnect()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b2.Shutdown(ctx); err != nil { // graceful: queued acknowledgements are written
		t.Fatal(err)
	}
	b3 := startOn(t, dir)
	durs := b3.Stats().Durables
	if len(durs) != 1 || durs[0].Key != "audit:all" || durs[0].Topic != "/topic/ledger" || durs[0].Pending != 0 {
		t.Fatalf("after a graceful restart the durable subscription must exist with nothing pending (all acknowledged): %+v", durs)
	}
}

// A stored message taken by an auto-ack consumer is consumed once it is
// written to that consumer: a restart, after a clean shutdown or a crash,
// must not deliver it again.
func TestAutoAckConsumedPersistentMessagesStayConsumed(t *testing.T) {
	for _, crash := range []bool{false, true} {
		dir := t.TempDir()
		b1 := startOn(t, dir)
		c := dial(t, b1.Addr())
		s, err := c.Subscribe("/queue/auto", stomp.AckAuto)
		if err != nil {
			t.Fatal(err)
		}
		p := dial(t, b1.Addr())
		for _, body := range []string{"a", "b"} {
			if err := p.Send("/queue/auto", "text/plain", []byte(body), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true")); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			recv(t, s)
		}
		c.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
		if crash {
			time.Sleep(50 * time.Millisecond) // the store's writer has its moment, as a crash test allows
			b1.Kill()
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			b1.Shutdown(ctx)
			cancel()
		}
		b2 := startOn(t, dir)
		c2 := dial(t, b2.Addr())
		s2, err := c2.Subscribe("/queue/auto", stomp.AckAuto)
		if err != nil {
			t.Fatal(err)
		}
		c2.Send("/queue/sync", "text/plain", nil, stomp.SendOpt.Receipt)
		select {
		case m := <-s2.C:
			t.Fatalf("crash=%v: a message consumed with ack:auto came back after the restart: %q", crash, m.Body)
		case <-time.After(300 * time.Millisecond):
		}
		for _, d := range b2.Stats().Destinations {
			if d.Name == "/queue/auto" && d.Pending != 0 {
				t.Fatalf("crash=%v: %d consumed messages recovered into /queue/auto", crash, d.Pending)
			}
		}
	}
}
