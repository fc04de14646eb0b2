package broker_test

import (
	"crypto/tls"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// A producer paused by flow control that goes away is cleaned up within a
// bounded time, although its connection is not being read: whether it
// closes with what it sent still unread (its FIN waits behind the data),
// resets the connection mid-flood, or does either over TLS.
func TestPausedProducerThatLeavesIsCleanedUp(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a paused producer's departure is seen through TCP_INFO, which only Linux has")
	}
	serverFiles, clientTLS := benchPKI(t)
	for _, tc := range []struct {
		name   string
		listen string
		tls    *tls.Config
		reset  bool
	}{
		{"close", "stomp://127.0.0.1:0", nil, false},
		{"reset", "stomp://127.0.0.1:0", nil, true},
		{"tls close", "stomp+ssl://127.0.0.1:0", clientTLS, false},
		{"tls reset", "stomp+ssl://127.0.0.1:0", clientTLS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := brokertest.NewBroker(t, broker.Options{Listen: []string{tc.listen}, TLS: serverFiles, DestinationMemoryLimit: 8 << 10})
			raw, err := net.Dial("tcp", b.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			var nc net.Conn = raw
			if tc.tls != nil {
				tc := tls.Client(raw, tc.tls.Clone())
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				nc = tc
			}
			io.WriteString(nc, "CONNECT\naccept-version:1.2\n\n\x00")
			frame := "SEND\ndestination:/queue/paused\n\n" + strings.Repeat("p", 1024) + "\x00"
			// Closing: 64 KiB, which the broker's socket buffers hold, so
			// the FIN arrives behind unread frames. Resetting: a flood that
			// fills every buffer on the way, cut short.
			n := 64
			if tc.reset {
				n = 64 << 10
			}
			go func() {
				for range n {
					nc.SetWriteDeadline(time.Now().Add(20 * time.Second))
					if _, err := io.WriteString(nc, frame); err != nil {
						return
					}
				}
			}()
			if _, ok, _ := b.Events.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
				return e.Kind == events.ProducerBlocked && e.Dest == "/queue/paused"
			}, nil); !ok {
				t.Fatal("the producer was never paused")
			}
			from := b.Events.Len()
			if tc.reset {
				raw.(*net.TCPConn).SetLinger(0)
			}
			raw.Close()
			// A check every second: a few seconds is plenty.
			if _, ok, _ := b.Events.Wait(from, time.Now().Add(10*time.Second), func(e events.Event) bool {
				return e.Kind == events.ConnClosed && e.Remote == raw.LocalAddr().String()
			}, nil); !ok {
				t.Fatalf("the paused producer's connection was not cleaned up after it left: %d connections", b.Stats().Connections)
			}
			if c := b.Stats().Connections; c != 0 {
				t.Errorf("%d connections left", c)
			}
		})
	}
}
