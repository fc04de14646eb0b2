package broker_test

import (
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/stomp"
)

// Every ERROR answering a frame that asked for a receipt carries its
// receipt-id: refusals of CONNECT, and frames the codec could read only
// as far as their headers.
func TestErrorsCarryReceiptID(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Limits: stomp.Limits{MaxHeaderLine: 1024, MaxHeaders: 32, MaxBody: 16}})
	for _, tt := range []struct{ name, in, receipt, msg string }{
		{"version mismatch", "CONNECT\naccept-version:2.0,3.1\nreceipt:r9\n\n\x00", "r9", "Supported protocol versions"},
		{"body longer than content-length", "SEND\ndestination:/queue/a\ncontent-length:2\nreceipt:L5\n\nabc\x00", "L5", "longer than content-length"},
		{"content-length over the limit", "SEND\ndestination:/queue/a\ncontent-length:17\nreceipt:L6\n\n" + strings.Repeat("x", 17) + "\x00", "L6", "exceeds the body limit"},
		{"body over the limit", "SEND\ndestination:/queue/a\nreceipt:L7\n\n" + strings.Repeat("x", 17) + "\x00", "L7", "frame body exceeds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := dialWire(t, b.Addr())
			if !strings.HasPrefix(tt.in, "CONNECT") {
				w.send("CONNECT", "accept-version:1.2")
				w.expect("CONNECTED")
			}
			w.write(tt.in)
			e := w.expectError(tt.msg)
			if got := e.Header.Get("receipt-id"); got != tt.receipt {
				t.Fatalf("ERROR %v: receipt-id %q, want %q", headerList(e), got, tt.receipt)
			}
		})
	}
}

// The ERROR refusing every version the client accepts lists ours in a
// header named exactly "version", as the spec asks.
func TestVersionMismatchErrorListsVersions(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{})
	w := dialWire(t, b.Addr())
	w.send("CONNECT", "accept-version:2.0")
	e := w.expectError("Supported protocol versions")
	if v, ok := e.Header.Contains("version"); !ok || v != "1.0,1.1,1.2" {
		t.Fatalf("ERROR headers %v: want version:1.0,1.1,1.2", headerList(e))
	}
}
