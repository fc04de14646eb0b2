package broker

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

// FuzzConn feeds arbitrary bytes to a real connection handler: whatever a
// client sends, the broker must neither panic nor hang. The same broker
// serves every input, so state left by one input (destinations, pending
// messages) meets the next, as on a long-lived broker.
func FuzzConn(f *testing.F) {
	seeds := []string{
		"CONNECT\naccept-version:1.2\n\n\x00SEND\ndestination:/queue/a\n\nhello\x00SUBSCRIBE\nid:1\ndestination:/queue/a\nack:client\n\n\x00ACK\nid:1\n\n\x00DISCONNECT\nreceipt:r\n\n\x00",
		"STOMP\naccept-version:1.1\nheart-beat:1,1\n\n\x00SUBSCRIBE\nid:0\ndestination:/topic/t\n\n\x00SEND\ndestination:/topic/t\ncontent-length:3\n\na\x00b\x00",
		"CONNECT\n\n\x00BEGIN\ntransaction:t\n\n\x00SEND\ndestination:/queue/q\ntransaction:t\n\nx\x00ACK\nmessage-id:nope\ntransaction:t\n\n\x00COMMIT\ntransaction:t\n\n\x00",
		"CONNECT\naccept-version:1.2\nbrokerlab-bridge:peer\nbrokerlab-ttl:9\n\n\x00SUBSCRIBE\nid:/queue/a\ndestination:/queue/a\nbrokerlab-hops:1\n\n\x00MESSAGE\ndestination:/queue/a\nmessage-id:m1\nack:1\nbrokerlab-path:peer,fuzz\n\nx\x00",
		"CONNECT\naccept-version:1.2\nbrokerlab-bridge:fuzz\n\n\x00",
		"CONNECT\naccept-version:1.2\n\n\x00NACK\nid:x\n\n\x00UNSUBSCRIBE\nid:zz\n\n\x00",
		"\n\n\r\nCONNECT\naccept-version:9.9\n\n\x00",
		"SEND\n\n\x00",
		"CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\nid:w\ndestination:/queue/a.>\n\n\x00SEND\ndestination:/queue/a.b\nreply-to:/temp-queue/r\n\nq\x00SUBSCRIBE\nid:t\ndestination:/temp-topic/x\n\n\x00UNSUBSCRIBE\nid:w\n\n\x00",
		"CONNECT\naccept-version:1.2\nclient-id:c\n\n\x00SUBSCRIBE\nid:d\ndestination:/topic/t\nactivemq.subscriptionName:n\nack:client\n\n\x00SEND\ndestination:/topic/t\n\nm\x00UNSUBSCRIBE\nid:d\nactivemq.subscriptionName:n\n\n\x00",
		"CONNECT\naccept-version:1.2\nlogin:u\npasscode:p\n\n\x00SEND\ndestination:/queue/x\nexpires:1\n\n\x00NACK\nid:1\n\n\x00",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	b, err := New(Options{Name: "fuzz", Events: events.Discard, HandshakeTimeout: 2 * time.Second, MaxConnections: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		server, client := net.Pipe()
		c := b.newConn(server, "fuzz://")
		if ok, _ := b.admit(c); !ok {
			t.Fatal("not admitted")
		}
		go c.writeLoop()
		go io.Copy(io.Discard, client)
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.readLoop()
		}()
		client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("the connection did not end after its peer closed (input %q)", data)
		}
		c.close(nil)
	})
}
