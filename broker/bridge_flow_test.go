package broker_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// Messages arriving over a bridge are subject to flow control: a hub
// whose consumer is stuck holds at most its limit and one window of the
// spoke's network consumer, and the spoke, whose forwarded messages then
// stay unacknowledged, pauses its own producer. Before, the hub took in
// everything the spoke's producer sent.
func TestBridgeIngestFlowControl(t *testing.T) {
	const limit = 64 << 10
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub", DestinationMemoryLimit: limit, ConnectionMemoryLimit: limit})
	spoke := brokertest.NewBroker(t, broker.Options{Name: "spoke", DestinationMemoryLimit: 4 * limit, Connect: []string{
		fmt.Sprintf("static://(tcp://%s)?duplex=true&name=spoke->hub&initialReconnectDelay=50", hub.Addr()),
	}})
	awaitBridge(t, spoke, "spoke->hub", events.StateUp)

	cons := dialRaw(t, hub.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	cons.write("SUBSCRIBE\nid:s\ndestination:/queue/bridged\nack:auto\nreceipt:sub\n\n\x00")
	cons.expect("receipt-id:sub")
	// From here on the hub's consumer never reads.
	for deadline := time.Now().Add(10 * time.Second); !spoke.HasDemand("/queue/bridged"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the hub's demand never reached the spoke")
		}
	}

	prod := dialRaw(t, spoke.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	frame := "SEND\ndestination:/queue/bridged\n\n" + strings.Repeat("b", 1024) + "\x00"
	const most = 32 << 20 / 1024
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for i := 0; i < most && time.Now().Before(deadline); i++ {
			prod.nc.SetWriteDeadline(deadline)
			if _, err := io.WriteString(prod.nc, frame); err != nil {
				return
			}
		}
	}()
	blocked := func(b *brokertest.Broker, bridged bool) bool {
		_, ok, _ := b.Events.Wait(0, time.Now().Add(20*time.Second), func(e events.Event) bool {
			return e.Kind == events.ProducerBlocked && e.Dest == "/queue/bridged" && (e.Link != "") == bridged
		}, nil)
		return ok
	}
	if !blocked(hub, true) {
		t.Fatalf("the hub never held back the bridge: %+v", destStats(hub, "/queue/bridged"))
	}
	if !blocked(spoke, false) {
		t.Fatalf("the spoke's producer was never paused: %+v", destStats(spoke, "/queue/bridged"))
	}
	// The hub's limit, and one window (1000) of the spoke's network
	// consumer: 1.2 MiB. Unbounded before: up to the whole 32 MiB.
	if st := destStats(hub, "/queue/bridged"); st.Bytes > limit+1000*1200 {
		t.Errorf("hub: %+v: more than its limit and one window of the bridge", st)
	}
	if st := destStats(spoke, "/queue/bridged"); st.Bytes > 4*limit+1000*1200 {
		t.Errorf("spoke: %+v: more than its limit and one window of the bridge", st)
	}
}
