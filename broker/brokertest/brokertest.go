// Package brokertest starts real brokers for tests, in the manner of
// net/http/httptest: NewBroker starts one on loopback, waits until it
// listens, and registers its shutdown with the test.
package brokertest

import (
	"context"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
)

// Broker is a running broker and the events it emitted.
type Broker struct {
	*broker.Broker
	Events *events.Recorder
}

// NewBroker starts a broker with o. Listen defaults to one plaintext
// listener on a free loopback port; Events, when nil, go to a Recorder.
func NewBroker(t testing.TB, o broker.Options) *Broker {
	t.Helper()
	if o.Name == "" {
		o.Name = "test"
	}
	if len(o.Listen) == 0 {
		o.Listen = []string{"stomp://127.0.0.1:0"}
	}
	rec := events.NewRecorder(o.Events)
	o.Events = rec
	b, err := broker.New(o)
	if err != nil {
		t.Fatalf("brokertest: %v", err)
	}
	if err := b.Start(); err != nil {
		t.Fatalf("brokertest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("brokertest: shutdown %s: %v", o.Name, err)
		}
	})
	return &Broker{Broker: b, Events: rec}
}

// Addr is the address of the broker's first listener.
func (b *Broker) Addr() string { return b.Listeners()[0].Addr }
