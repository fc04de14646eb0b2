package broker_test

import (
	"fmt"
	"testing"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// Persistent sends are pipelined to the store, yet a connection's frames
// still take effect in the order sent: persistent and non-persistent
// messages mixed on one connection, without receipts, arrive in order, and
// a receipt on the last one comes only once all before it are routed.
func TestPipelinedPersistentSendsKeepOrder(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{DataDir: t.TempDir()})
	c := dial(t, b.Addr())
	s, _ := c.Subscribe("/queue/mixed", stomp.AckAuto)
	p := dial(t, b.Addr())
	const n = 300
	for i := range n {
		opts := []func(*frame.Frame) error{stomp.SendOpt.Header("n", fmt.Sprint(i))}
		if i%3 != 0 {
			opts = append(opts, stomp.SendOpt.Header("persistent", "true"))
		}
		if i == n-1 {
			opts = append(opts, stomp.SendOpt.Receipt)
		}
		if err := p.Send("/queue/mixed", "text/plain", []byte("x"), opts...); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if m := recv(t, s); m.Header.Get("n") != fmt.Sprint(i) {
			t.Fatalf("message %d: got n=%s", i, m.Header.Get("n"))
		}
	}
}
