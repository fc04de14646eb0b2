package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// BenchmarkBridgeThroughput moves b.N messages of 1 KiB from a producer to
// a consumer two ways, in the same run: through one broker over mutual TLS
// (both clients on TLS), and across a TLS bridge (producer on the spoke,
// consumer on the hub, every client and the bridge on TLS). It reports
// both rates and their ratio, bridge/broker, for non-persistent and
// persistent messages:
//
//	go test -run x -bench BridgeThroughput -benchtime 20000x ./broker/
func BenchmarkBridgeThroughput(b *testing.B) {
	files, client := benchPKI(b)
	for _, persistent := range []bool{false, true} {
		name := "non-persistent"
		if persistent {
			name = "persistent"
		}
		b.Run(name, func(b *testing.B) {
			opts := func(n string) broker.Options {
				o := broker.Options{Name: n, Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"}, TLS: files}
				if persistent {
					o.DataDir = b.TempDir()
				}
				return o
			}
			one := brokertest.NewBroker(b, opts("single"))
			single := relay(b, one.Addr(), one.Addr(), client, b.N, 1024, persistent, nil)

			hub := brokertest.NewBroker(b, opts("hub"))
			so := opts("spoke")
			so.Connect = []string{fmt.Sprintf("static://(ssl://%s?serverName=bench)?name=spoke->hub&duplex=true", hub.Addr())}
			spoke := brokertest.NewBroker(b, so)
			awaitBridge(b, spoke, "spoke->hub", "up")
			bridged := relay(b, spoke.Addr(), hub.Addr(), client, b.N, 1024, persistent, func() { waitDemandB(b, spoke, "/queue/throughput") })

			b.ReportMetric(single, "broker-msgs/s")
			b.ReportMetric(bridged, "bridge-msgs/s")
			b.ReportMetric(bridged/single, "bridge/broker")
		})
	}
}

func waitDemandB(b *testing.B, node *brokertest.Broker, dest string) {
	deadline := time.Now().Add(10 * time.Second)
	for !node.Broker.HasDemand(dest) {
		if time.Now().After(deadline) {
			b.Fatalf("%s never learned of the consumer for %s", node.Name(), dest)
		}
		time.Sleep(time.Millisecond)
	}
}
