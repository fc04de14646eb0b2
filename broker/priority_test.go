package broker_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// Messages waiting on a queue go out by JMS priority, highest first, and in
// the order sent within one priority; no priority header means 4.
func TestQueueDispatchesByPriority(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	p := dial(t, b.Addr())
	for _, m := range []struct{ body, prio string }{
		{"low-1", "1"}, {"default-1", ""}, {"high-1", "9"}, {"low-2", "1"},
		{"mid-1", "6"}, {"high-2", "9"}, {"default-2", "4"}, {"zero", "0"},
	} {
		var opts []func(*frame.Frame) error
		opts = append(opts, stomp.SendOpt.Receipt)
		if m.prio != "" {
			opts = append(opts, stomp.SendOpt.Header("priority", m.prio))
		}
		if err := p.Send("/queue/prio", "text/plain", []byte(m.body), opts...); err != nil {
			t.Fatal(err)
		}
	}
	c := dial(t, b.Addr())
	s, _ := c.Subscribe("/queue/prio", stomp.AckAuto)
	var got []string
	for range 8 {
		got = append(got, string(recv(t, s).Body))
	}
	want := "high-1 high-2 mid-1 default-1 default-2 low-1 low-2 zero"
	if strings.Join(got, " ") != want {
		t.Fatalf("delivered %v, want %s", got, want)
	}
}

// A message handed back (NACK) returns ahead of the waiting messages of its
// own priority, but not ahead of higher ones.
func TestRedeliveryKeepsPriorityOrder(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	c := dial(t, b.Addr())
	s, _ := c.Subscribe("/queue/prio-back", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "1"))
	c.Send("/queue/prio-back", "text/plain", []byte("first"), stomp.SendOpt.Receipt)
	m := recv(t, s) // "first" is now in flight; the rest waits
	c.Send("/queue/prio-back", "text/plain", []byte("second"), stomp.SendOpt.Receipt)
	c.Send("/queue/prio-back", "text/plain", []byte("urgent"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("priority", "8"))
	if err := c.Nack(m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		m := recv(t, s)
		got = append(got, string(m.Body))
		c.Ack(m)
	}
	if want := "urgent first second"; strings.Join(got, " ") != want {
		t.Fatalf("delivered %v, want %s", got, want)
	}
}

// A priority that is not 0–9 is refused with an ERROR that says the range.
func TestBadPriorityRefused(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	for _, v := range []string{"10", "-1", "high"} {
		got := rawExchange(t, b.Addr(), fmt.Sprintf("CONNECT\naccept-version:1.2\n\n\x00SEND\ndestination:/queue/a\npriority:%s\nreceipt:r\n\nx\x00", v))
		if !strings.Contains(got, "message:priority must be a number from 0 (lowest) to 9") || !strings.Contains(got, "receipt-id:r") {
			t.Errorf("priority %q: answer %q", v, got)
		}
	}
}
