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

func TestBenchTableGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchTable(&buf, benchFixture(), "plaintext"); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench", buf.Bytes())
}

func TestBenchJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchJSON(&buf, benchFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench_json", buf.Bytes())
	var back struct{ Results []BenchResult }
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 5 || back.Results[3] != benchFixture()[3] {
		t.Errorf("results do not read back: %+v", back.Results)
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
