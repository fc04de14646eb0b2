package broker_test

import (
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// Spooled messages leave memory for real: a queue over its limit keeps
// the headers of its persistent messages, not their bodies, whatever the
// size of the body (a small one is read into the same allocation as its
// frame's header text, which the message must not keep alive).
func TestSpooledBodiesLeaveTheHeap(t *testing.T) {
	const n, size = 20000, 4 << 10 // 80 MiB of bodies
	b := brokertest.NewBroker(t, broker.Options{DestinationMemoryLimit: 64 << 10, DataDir: t.TempDir()})
	before := liveHeap()
	p := dial(t, b.Addr())
	body := []byte(strings.Repeat("s", size))
	for i := range n {
		opts := []func(*frame.Frame) error{stomp.SendOpt.Header("persistent", "true")}
		if i == n-1 {
			opts = append(opts, stomp.SendOpt.Receipt)
		}
		if err := p.Send("/queue/spoolheap", "text/plain", body, opts...); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	st := destStats(b, "/queue/spoolheap")
	grew := liveHeap() - before
	t.Logf("%d messages of %d bytes, %d spooled: live heap grew %d MiB", st.Pending, size, st.Spooled, grew>>20)
	if st.Pending != n || st.Spooled < n/2 {
		t.Fatalf("%+v: want all pending, most spooled", st)
	}
	// A spooled message costs a few hundred bytes; with its body it
	// would be 4 KiB more: 80 MiB in all.
	if grew > 40<<20 {
		t.Errorf("live heap grew by %d MiB for %d spooled messages: their bodies stayed in memory", grew>>20, st.Spooled)
	}
}
