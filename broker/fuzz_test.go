package broker

import (
	"context"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

// connSeeds are inputs for both connection fuzzers: whole sessions that
// reach every handler. testdata/fuzz/FuzzConn and FuzzConnStored hold more.
var connSeeds = []string{
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

// storedSeeds reach the store: persistent SENDs pipelined through it, a
// transaction's persistent sends appended at COMMIT (or dropped at ABORT),
// ACK and NACK of stored messages, a persistent publish kept for an absent
// durable subscriber, and a bridge's persistent MESSAGE stored before its
// ACK.
var storedSeeds = []string{
	"CONNECT\naccept-version:1.2\n\n\x00SEND\ndestination:/queue/p\npersistent:true\nreceipt:1\n\none\x00SEND\ndestination:/queue/p\npersistent:true\n\ntwo\x00SUBSCRIBE\nid:s\ndestination:/queue/p\nack:client-individual\n\n\x00ACK\nid:1\n\n\x00NACK\nid:2\n\n\x00DISCONNECT\nreceipt:d\n\n\x00",
	"CONNECT\naccept-version:1.2\n\n\x00BEGIN\ntransaction:t\n\n\x00SEND\ndestination:/queue/p\npersistent:true\ntransaction:t\n\nx\x00SEND\ndestination:/queue/p\npersistent:true\ntransaction:t\n\ny\x00COMMIT\ntransaction:t\nreceipt:c\n\n\x00",
	"CONNECT\naccept-version:1.2\n\n\x00BEGIN\ntransaction:a\n\n\x00SEND\ndestination:/queue/p\npersistent:true\ntransaction:a\n\nx\x00ABORT\ntransaction:a\n\n\x00SEND\ndestination:/queue/p\npersistent:true\n\nz\x00",
	"CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\nid:s\ndestination:/queue/p\nack:client\nactivemq.prefetchSize:1\n\n\x00SEND\ndestination:/queue/p\npersistent:true\n\na\x00SEND\ndestination:/queue/p\npersistent:true\n\nb\x00BEGIN\ntransaction:t\n\n\x00ACK\nid:1\ntransaction:t\n\n\x00COMMIT\ntransaction:t\n\n\x00",
	"CONNECT\naccept-version:1.2\nclient-id:c\n\n\x00SUBSCRIBE\nid:d\ndestination:/topic/t\nactivemq.subscriptionName:n\nack:client\n\n\x00UNSUBSCRIBE\nid:d\n\n\x00SEND\ndestination:/topic/t\npersistent:true\n\nkept\x00SUBSCRIBE\nid:d\ndestination:/topic/t\nactivemq.subscriptionName:n\nack:client\n\n\x00",
	"CONNECT\naccept-version:1.2\nbrokerlab-bridge:peer\n\n\x00MESSAGE\ndestination:/queue/p\nmessage-id:peer-1\npersistent:true\nack:9\nbrokerlab-path:peer\n\nx\x00MESSAGE\ndestination:/queue/p\nmessage-id:peer-1\npersistent:true\nack:10\nbrokerlab-path:peer\n\nx\x00",
	"CONNECT\naccept-version:1.2\n\n\x00SEND\ndestination:/queue/p\npersistent:true\npriority:9\nexpires:1\n\nold\x00SEND\ndestination:/topic/t\npersistent:true\n\nt\x00SEND\ndestination:/queue/p\npersistent:false\n\nnp\x00",
}

// FuzzConn feeds arbitrary bytes to a real connection handler: whatever a
// client sends, the broker must neither panic nor hang. The same broker
// serves every input, so state left by one input (destinations, pending
// messages) meets the next, as on a long-lived broker.
func FuzzConn(f *testing.F) {
	for _, s := range connSeeds {
		f.Add([]byte(s))
	}
	b, err := New(Options{Name: "fuzz", Events: events.Discard, HandshakeTimeout: 2 * time.Second, MaxConnections: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzConnOn(t, b, data) })
}

// FuzzConnStored is FuzzConn on a broker with a store, so persistent SENDs
// take the pipelined path through it (storedsend.go), a transaction's
// persistent sends are one append at COMMIT, and ACKs reach the background
// writer. One data directory per fuzz process, since one process owns a
// store at a time; it is kept across inputs like the broker itself. The
// broker offers no NoSync, so appends are synced: slower, but the code
// under test is the one that runs.
func FuzzConnStored(f *testing.F) {
	for _, s := range slices.Concat(storedSeeds, connSeeds) {
		f.Add([]byte(s))
	}
	b, err := New(Options{Name: "fuzz", Events: events.Discard, HandshakeTimeout: 2 * time.Second, MaxConnections: 1 << 20,
		DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	if err := b.Start(); err != nil { // opens the store; there are no listeners
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			f.Errorf("shutdown: %v", err)
		}
	})
	if b.currentStore() == nil {
		f.Fatal("the broker has no store: the persistent path would not be fuzzed")
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzConnOn(t, b, data) })
}

// fuzzConnOn runs one connection on b over net.Pipe: data, then the
// client's close. The connection must end within a bound.
func fuzzConnOn(t *testing.T, b *Broker, data []byte) {
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
}
