package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/reports"
)

func TestRunShape(t *testing.T) {
	var progress bytes.Buffer
	results, err := Run(context.Background(), Options{Sizes: []int{64, 4096}, Count: 300, Rounds: 2, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	// Sizes in the order given, plaintext first: the table's order.
	want := []struct {
		transport string
		size      int
	}{{Plaintext, 64}, {TLS, 64}, {Plaintext, 4096}, {TLS, 4096}}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(results), len(want), results)
	}
	for i, w := range want {
		r := results[i]
		if r.Transport != w.transport || r.MessageSize != w.size || r.Messages != 300 || r.Bytes != int64(300*w.size) || r.Duration <= 0 {
			t.Errorf("result %d = %+v, want %s %d B × 300 with a duration", i, r, w.transport, w.size)
		}
	}
	if n := strings.Count(progress.String(), "\n"); n != 2*2*2 {
		t.Errorf("%d progress lines, want one per run (8):\n%s", n, progress.String())
	}
	var table bytes.Buffer
	if err := reports.WriteBenchTable(&table, results, Plaintext); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "tls/plaintext: ") {
		t.Errorf("no ratio line in:\n%s", table.String())
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, o := range []Options{{Sizes: []int{0}}, {Count: -1}, {Rounds: -2}, {RunTimeout: -time.Second}} {
		if _, err := Run(context.Background(), o); err == nil || !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("Run(%+v) = %v, want a bench: error", o, err)
		}
	}
}

// A cancelled context stops a run instead of leaving it to hang.
func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Count: 1000, Rounds: 1}); err == nil {
		t.Error("Run with a cancelled context succeeded")
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{5}, 5},
		{[]time.Duration{9, 1, 5}, 5},
		{[]time.Duration{4, 1, 9, 2}, 3},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// A run that cannot finish before its deadline is abandoned with an error
// that says so, rather than hanging on a blocked Send.
func TestRunDeadline(t *testing.T) {
	_, err := Run(context.Background(), Options{Count: 5_000_000, Sizes: []int{65536}, Rounds: 1, RunTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("Run = %v, want an error about the deadline", err)
	}
}
