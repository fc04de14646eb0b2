package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func benchFixture() []BenchResult {
	return []BenchResult{
		{Name: "send", Transport: "plaintext", MessageSize: 256, Messages: 20000, Bytes: 20000 * 256, Duration: 400 * time.Millisecond},
		{Name: "send", Transport: "tls", MessageSize: 256, Messages: 20000, Bytes: 20000 * 256, Duration: 500 * time.Millisecond},
		{Name: "send", Transport: "plaintext", MessageSize: 65536, Messages: 2000, Bytes: 2000 * 65536, Duration: 1600 * time.Millisecond},
		{Name: "send", Transport: "tls", MessageSize: 65536, Messages: 2000, Bytes: 2000 * 65536, Duration: 2 * time.Second},
		{Name: "send", Transport: "mtls", MessageSize: 65536, Messages: 2000, Bytes: 2000 * 65536, Duration: 2500 * time.Millisecond},
	}
}

// benchRunFixture is what `brokerlab bench` measures: closed-loop
// throughput with latency and CPU, then a fixed rate for latency.
func benchRunFixture() []BenchResult {
	lat := func(p50, p99 time.Duration) Latency {
		return Latency{Count: 1000, P50: p50, P90: p50 * 3 / 2, P99: p99, P999: p99 * 2, Max: p99 * 3}
	}
	return []BenchResult{
		{Name: "closed 2×2/1000", Transport: "plaintext", MessageSize: 1024, Messages: 150000, Bytes: 150000 * 1024, Duration: 5 * time.Second,
			Latency: lat(21*time.Millisecond, 48*time.Millisecond), BrokerCPU: 6 * time.Second, GeneratorCPU: 3 * time.Second},
		{Name: "closed 2×2/1000", Transport: "tls", MessageSize: 1024, Messages: 120000, Bytes: 120000 * 1024, Duration: 5 * time.Second,
			Latency: lat(26*time.Millisecond, 61500*time.Microsecond), BrokerCPU: 6600 * time.Millisecond, GeneratorCPU: 3300 * time.Millisecond},
		{Name: "rate 1000/s", Transport: "plaintext", MessageSize: 1024, Messages: 3000, Bytes: 3000 * 1024, Duration: 3 * time.Second, Rate: 1000,
			Latency: lat(142*time.Microsecond, 1250*time.Microsecond), BrokerCPU: 90 * time.Millisecond, GeneratorCPU: 120 * time.Millisecond},
		{Name: "rate 1000/s", Transport: "tls", MessageSize: 1024, Messages: 3001, Bytes: 3001 * 1024, Duration: 3001 * time.Millisecond, Rate: 1000,
			Latency: lat(9500*time.Nanosecond, 2*time.Second), BrokerCPU: 100 * time.Millisecond},
	}
}

func TestBenchTableGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchTable(&buf, benchRunFixture(), "plaintext"); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench", buf.Bytes())
}

// Results with neither latency nor CPU (e.g. from Go benchmarks) keep the
// plain throughput table.
func TestBenchTableThroughputOnlyGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchTable(&buf, benchFixture(), "plaintext"); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench_throughput", buf.Bytes())
}

func TestBenchJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchJSON(&buf, benchRunFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench_json", buf.Bytes())
	var back struct{ Results []BenchResult }
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	want := benchRunFixture()
	if len(back.Results) != len(want) {
		t.Fatalf("%d results read back, want %d", len(back.Results), len(want))
	}
	for i := range want {
		if back.Results[i] != want[i] {
			t.Errorf("result %d reads back as %+v, want %+v", i, back.Results[i], want[i])
		}
	}
	// Nothing measured, nothing written: no zero latency, no CPU.
	buf.Reset()
	if err := WriteBenchJSON(&buf, benchFixture()[:1]); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"latency", "cpu", "rate"} {
		if strings.Contains(buf.String(), absent) {
			t.Errorf("JSON of a throughput-only result mentions %q:\n%s", absent, buf.String())
		}
	}
}

func TestBenchCPUPerMessage(t *testing.T) {
	r := benchRunFixture()[0]
	if got := r.BrokerMicrosPerMsg(); got != 40 {
		t.Errorf("BrokerMicrosPerMsg = %v, want 40 (6 s ÷ 150000)", got)
	}
	if got := r.GeneratorMicrosPerMsg(); got != 20 {
		t.Errorf("GeneratorMicrosPerMsg = %v, want 20", got)
	}
	if got := r.BrokerCores(); got != 1.2 {
		t.Errorf("BrokerCores = %v, want 1.2", got)
	}
	none := benchFixture()[0]
	if !math.IsNaN(none.BrokerMicrosPerMsg()) || !math.IsNaN(none.GeneratorCores()) {
		t.Errorf("unmeasured CPU gave %v µs/msg, %v cores; want NaN", none.BrokerMicrosPerMsg(), none.GeneratorCores())
	}
}

func TestFormatLatency(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{9500 * time.Nanosecond, "9.5µs"},
		{850 * time.Microsecond, "850µs"},
		{1250 * time.Microsecond, "1.25ms"},
		{16240 * time.Microsecond, "16.2ms"},
		{1500 * time.Millisecond, "1.50s"},
	} {
		if got := FormatLatency(tt.d); got != tt.want {
			t.Errorf("FormatLatency(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestBenchRates(t *testing.T) {
	r := BenchResult{Messages: 1000, Bytes: 2_000_000, Duration: 2 * time.Second}
	if got := r.MsgsPerSec(); got != 500 {
		t.Errorf("MsgsPerSec = %v, want 500", got)
	}
	if got := r.MBPerSec(); got != 1 {
		t.Errorf("MBPerSec = %v, want 1 (MB = 10^6 bytes)", got)
	}
	zero := BenchResult{Messages: 10}
	if zero.MsgsPerSec() != 0 || zero.MBPerSec() != 0 {
		t.Errorf("zero duration gave %v msgs/s, %v MB/s; want 0", zero.MsgsPerSec(), zero.MBPerSec())
	}
}

// Fixed-rate runs have no msgs/s ratio (their rate is the one asked for),
// and the CPU ratio and the cores line follow the throughput lines.
func TestBenchVerdictLinesWithCPU(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchTable(&buf, benchRunFixture(), "plaintext"); err != nil {
		t.Fatal(err)
	}
	want := "\ntls/plaintext: 0.80× msgs/s\n" +
		"tls/plaintext: 1.38× broker CPU per message\n" +
		"cores busy during the throughput runs (CPU time ÷ wall time): broker 1.20–1.32, load generator 0.60–0.66\n" +
		"load generator's share of the CPU per message: 33%; when the two fill the machine's cores, msgs/s is that much below what the broker alone could do: compare brokers by broker µs/msg\n"
	if !strings.HasSuffix(buf.String(), want) {
		t.Errorf("table does not end with\n%s\ngot:\n%s", want, buf.String())
	}
}

func TestBenchVerdictLine(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchTable(&buf, benchFixture()[:2], "plaintext"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\ntls/plaintext: 0.80× msgs/s\n") {
		t.Errorf("last line wrong:\n%s", buf.String())
	}
	// The geometric mean of 0.8 and 0.8 is 0.8, and of 2 and 0.5 is 1.
	if got := math.Exp((math.Log(2) + math.Log(0.5)) / 2); math.Abs(got-1) > 1e-12 {
		t.Errorf("geometric mean sanity: %v", got)
	}
}

func TestBenchTableErrors(t *testing.T) {
	if err := WriteBenchTable(io.Discard, nil, "plaintext"); err == nil {
		t.Error("no results: want an error")
	}
	err := WriteBenchTable(io.Discard, benchFixture(), "quic")
	if err == nil || !strings.Contains(err.Error(), `reports: write bench table: no result has baseline transport "quic"`) {
		t.Errorf("unknown baseline: got %v", err)
	}
	var buf bytes.Buffer
	if err := WriteBenchTable(&buf, benchFixture(), ""); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "×") {
		t.Errorf("no baseline, yet ratios:\n%s", buf.String())
	}
}
