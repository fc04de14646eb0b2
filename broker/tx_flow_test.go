package broker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// txFrames is one transaction of n messages of size bytes to dest,
// committed with receipt "c<k>".
func txFrames(k, n, size int, dest string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "BEGIN\ntransaction:t%d\n\n\x00", k)
	for range n {
		fmt.Fprintf(&sb, "SEND\ndestination:%s\ntransaction:t%d\n\n%s\x00", dest, k, strings.Repeat("t", size))
	}
	fmt.Fprintf(&sb, "COMMIT\ntransaction:t%d\nreceipt:c%d\n\n\x00", k, k)
	return sb.String()
}

// A COMMIT is subject to flow control as a SEND is: transactions
// committed into a full queue wait for room instead of taking the queue
// past its limit, and go on as a consumer drains it.
func TestCommitPausedByFlowControl(t *testing.T) {
	const limit = 64 << 10
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: limit})
	p := dialRaw(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00")
	const txs, per = 6, 32 // 6 × 32 KiB, three times the limit
	go func() {
		for k := range txs {
			if _, err := p.nc.Write([]byte(txFrames(k, per, 1024, "/queue/txfull"))); err != nil {
				return
			}
		}
	}()
	if _, ok, _ := b.Events.Wait(0, time.Now().Add(10*time.Second), func(e events.Event) bool {
		return e.Kind == events.ProducerBlocked && e.Dest == "/queue/txfull"
	}, nil); !ok {
		t.Fatalf("no COMMIT was paused: %+v", destStats(b, "/queue/txfull"))
	}
	// Room for what was there when the limit was reached, plus one
	// transaction committed whole.
	if st := destStats(b, "/queue/txfull"); st.Bytes > limit+per*1200 {
		t.Errorf("%+v: a paused COMMIT must not add to a full queue", st)
	}
	c := dial(t, b.Addr())
	s, err := c.Subscribe("/queue/txfull", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	for i := range txs * per {
		if m := recv(t, s); len(m.Body) != 1024 {
			t.Fatalf("message %d: %d bytes", i, len(m.Body))
		}
	}
	p.expect(fmt.Sprintf("receipt-id:c%d", txs-1))
}

// With SendFailIfNoSpace, a COMMIT into a full queue is refused and none
// of the transaction happens.
func TestCommitRefusedWhenFull(t *testing.T) {
	const limit = 8 << 10
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: limit, SendFailIfNoSpace: true, MaxTransactionBytes: 64 << 10})
	got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00"+txFrames(0, 8, 1024, "/queue/txrefused")+txFrames(1, 4, 1024, "/queue/txrefused"))
	if !strings.Contains(got, "receipt-id:c0") || !strings.Contains(got, "message:destination memory limit reached") || !strings.Contains(got, `transaction "t1" was not committed`) {
		t.Fatalf("want the first COMMIT confirmed and the second refused: %.400q", got)
	}
	if st := destStats(b, "/queue/txrefused"); st.Pending != 8 {
		t.Errorf("%+v: want only the first transaction's 8 messages", st)
	}
}

// One connection's open transactions buffer at most MaxTransactionBytes;
// past it the client is told so, with the option to raise, and nothing of
// them is sent.
func TestTransactionBufferBounded(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{MaxTransactionBytes: 16 << 10})
	got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00"+txFrames(0, 32, 1024, "/queue/txbig"))
	if !strings.Contains(got, "message:transaction too large") || !strings.Contains(got, "MaxTransactionBytes") {
		t.Fatalf("want an ERROR naming MaxTransactionBytes: %.400q", got)
	}
	if st := destStats(b, "/queue/txbig"); st.Pending != 0 {
		t.Errorf("%+v: nothing of the refused transaction may be sent", st)
	}
	// Many small transactions, none committed, count together.
	var many strings.Builder
	for k := range 8 {
		fmt.Fprintf(&many, "BEGIN\ntransaction:o%d\n\n\x00SEND\ndestination:/queue/txbig\ntransaction:o%d\n\n%s\x00", k, k, strings.Repeat("o", 4096))
	}
	if got := rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\n\n\x00"+many.String()); !strings.Contains(got, "message:transaction too large") {
		t.Fatalf("want open transactions bounded together: %.400q", got)
	}
}
