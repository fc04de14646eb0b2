package faults

import (
	"context"
	"strings"
	"testing"
	"time"
)

// timedRoundTrip measures one relay round trip. Only lower bounds are
// asserted on the result: a loaded CI machine may be slower, never faster.
func timedRoundTrip(t *testing.T, listen string) time.Duration {
	t.Helper()
	c := dial(t, listen)
	start := time.Now()
	mustRelay(t, c, "ping")
	return time.Since(start)
}

func TestLatency(t *testing.T) {
	const lat = 100 * time.Millisecond
	for _, tc := range []struct {
		direction string
		min       time.Duration // lower bound for one round trip
	}{
		{"both", 2 * lat},
		{"upstream", lat},
		{"downstream", lat},
	} {
		t.Run(tc.direction, func(t *testing.T) {
			n, listen := newLinkedNetwork(t)
			f, err := New("latency", testLink, Params{"latency": "100ms", "direction": tc.direction})
			if err != nil {
				t.Fatal(err)
			}
			undo, err := f.Apply(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			if d := timedRoundTrip(t, listen); d < tc.min {
				t.Errorf("round trip took %s; want at least %s", d, tc.min)
			}
			p, _ := n.Proxy(testLink)
			if err := undo(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := p.Toxics.GetToxicArray(); len(got) != 0 {
				t.Errorf("undo left %d toxics", len(got))
			}
		})
	}
}

func TestLatenciesStack(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	ctx := context.Background()
	f1, _ := New("latency", testLink, Params{"latency": 100 * time.Millisecond})
	f2, _ := New("latency", testLink, Params{"latency": "100ms", "jitter": "0s"})
	for _, f := range []Fault{f1, f2} {
		undo, err := f.Apply(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = undo(ctx) })
	}
	// Stacked, the round trip is 4×100ms less the proxy's own processing
	// time: the second toxic counts from the timestamp the first one
	// advanced by exactly what it slept. So assert well above the 200ms one
	// fault alone would give, rather than the exact sum.
	if d, min := timedRoundTrip(t, listen), 300*time.Millisecond; d < min {
		t.Errorf("round trip took %s; want at least %s", d, min)
	}
}

func TestLatencyParams(t *testing.T) {
	f, err := New("latency", testLink, Params{"latency": "200ms", "jitter": "50ms", "direction": "upstream"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "latency 200ms±50ms on server-a->hub (upstream only)"; f.Name() != want {
		t.Errorf("Name() = %q, want %q", f.Name(), want)
	}
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{}, `faults: latency: field "latency" is required`},
		{Params{"latency": "abc"}, `faults: latency: field "latency": "abc" is not a duration (e.g. 200ms)`},
		{Params{"latency": 200}, `faults: latency: field "latency": 200 is not a duration (e.g. 200ms)`},
		{Params{"latency": "200"}, `faults: latency: field "latency": "200" is not a duration (e.g. 200ms)`},
		{Params{"latency": "100µs"}, `faults: latency: field "latency": 100µs is too small; toxiproxy works in whole milliseconds (e.g. 200ms)`},
		{Params{"latency": "1s", "jitter": "-1s"}, `faults: latency: field "jitter": -1s is negative`},
		{Params{"latency": "1s", "jitter": true}, `faults: latency: field "jitter": true is not a duration (e.g. 200ms)`},
		{Params{"latency": "1s", "direction": "sideways"}, `faults: latency: field "direction": "sideways" is not one of upstream, downstream, both`},
		{Params{"latency": "1s", "direction": 2}, `faults: latency: field "direction": 2 is not a string`},
		{Params{"latency": "1s", "jiter": "5ms"}, `faults: latency: unknown field "jiter"; allowed: direction, jitter, latency`},
	} {
		_, err := New("latency", testLink, tc.p)
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(latency, %v):\n got %v\nwant %s", tc.p, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "faults: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}
