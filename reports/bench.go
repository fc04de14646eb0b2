package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// BenchResult is one measurement: Messages messages of MessageSize bytes
// over Transport ("plaintext", "tls", ...), moving Bytes bytes in Duration.
// Name says what was measured ("closed 2×2/1000": a closed loop of two
// producers and two consumers with at most 1000 messages in flight; "rate
// 1000/s": a fixed offered load). Latency, BrokerCPU and GeneratorCPU are
// zero when they were not measured.
type BenchResult struct {
	Name        string        `json:"name"`      // what was measured, e.g. "closed 2×2/1000"
	Transport   string        `json:"transport"` // e.g. "plaintext", "tls"
	MessageSize int           `json:"message_size"`
	Messages    int           `json:"messages"`
	Bytes       int64         `json:"bytes"`
	Duration    time.Duration `json:"duration_ns"`
	// Rate is the offered load of a fixed-rate run, in msgs/s; 0 for a
	// throughput run, the only kind whose msgs/s the ratios compare.
	Rate int `json:"rate,omitempty"`
	// Latency is from send (the producer's clock) to receipt (the
	// consumer's, in the same process) of the messages counted.
	Latency Latency `json:"latency,omitzero"`
	// BrokerCPU is the CPU time (user + system) the broker process used
	// during Duration, from its own accounting (/proc/PID/stat).
	BrokerCPU time.Duration `json:"broker_cpu_ns,omitempty"`
	// GeneratorCPU is the CPU time the load generator (producers and
	// consumers) used during Duration, from getrusage.
	GeneratorCPU time.Duration `json:"generator_cpu_ns,omitempty"`
}

// Latency summarises a latency histogram.
type Latency struct {
	Count int64         `json:"count"` // values recorded
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p99_9_ns"`
	Max   time.Duration `json:"max_ns"`
}

// MsgsPerSec is the message rate; 0 when nothing was timed, so that a
// broken measurement shows as 0 rather than +Inf.
func (b BenchResult) MsgsPerSec() float64 {
	if b.Duration <= 0 {
		return 0
	}
	return float64(b.Messages) / b.Duration.Seconds()
}

// MBPerSec is the byte rate in MB/s, MB being 10^6 bytes as network
// throughput is usually quoted (not MiB).
func (b BenchResult) MBPerSec() float64 {
	if b.Duration <= 0 {
		return 0
	}
	return float64(b.Bytes) / 1e6 / b.Duration.Seconds()
}

// BrokerMicrosPerMsg is the broker's CPU time per message in µs; NaN when
// it was not measured.
func (b BenchResult) BrokerMicrosPerMsg() float64 { return perMsg(b.BrokerCPU, b.Messages) }

// GeneratorMicrosPerMsg is the load generator's CPU time per message in
// µs; NaN when it was not measured.
func (b BenchResult) GeneratorMicrosPerMsg() float64 { return perMsg(b.GeneratorCPU, b.Messages) }

// BrokerCores is how many cores the broker kept busy on average (CPU time
// ÷ wall time); NaN when not measured.
func (b BenchResult) BrokerCores() float64 { return cores(b.BrokerCPU, b.Duration) }

// GeneratorCores is BrokerCores for the load generator.
func (b BenchResult) GeneratorCores() float64 { return cores(b.GeneratorCPU, b.Duration) }

func perMsg(cpu time.Duration, n int) float64 {
	if cpu <= 0 || n <= 0 {
		return math.NaN()
	}
	return float64(cpu.Nanoseconds()) / 1e3 / float64(n)
}

func cores(cpu, wall time.Duration) float64 {
	if cpu <= 0 || wall <= 0 {
		return math.NaN()
	}
	return cpu.Seconds() / wall.Seconds()
}

// benchKey pairs a result with its baseline: the same benchmark at the same
// message size, whatever the message count.
type benchKey struct {
	name string
	size int
}

// WriteBenchTable writes results, in the order given, as an aligned text
// table: msgs/s and MB/s; p50 and p99 latency when any result has a
// latency; broker and generator CPU µs per message when any result has
// them; and a ratio column: each throughput result's msgs/s divided by that
// of the result with Transport == baseline, the same Name and the same
// MessageSize (fixed-rate results, whose msgs/s is the rate asked for, get
// none). It ends with one line per other transport, e.g.
// "tls/plaintext: 0.78× msgs/s", the geometric mean of its ratios (the mean
// that treats 2× and 0.5× as cancelling out), followed, when the broker's
// CPU was measured, by the same ratio of broker CPU per message. A last
// line gives the cores the broker and the load generator kept busy during
// the throughput runs. An empty baseline leaves the ratios out.
func WriteBenchTable(w io.Writer, results []BenchResult, baseline string) error {
	if len(results) == 0 {
		return fmt.Errorf("reports: write bench table: no results")
	}
	base := map[benchKey]BenchResult{}
	if baseline != "" {
		base = baselines(results, baseline)
		if len(base) == 0 {
			return fmt.Errorf("reports: write bench table: no result has baseline transport %q", baseline)
		}
	}

	var showName, showLatency, showBroker, showGen bool
	for _, r := range results {
		showName = showName || r.Name != ""
		showLatency = showLatency || r.Latency.Count > 0
		showBroker = showBroker || r.BrokerCPU > 0
		showGen = showGen || r.GeneratorCPU > 0
	}
	t := &textTable{}
	header := []string{"transport", "size (B)", "messages", "msgs/s", "MB/s"}
	if showLatency {
		header = append(header, "p50", "p99")
	}
	if showBroker {
		header = append(header, "broker µs/msg")
	}
	if showGen {
		header = append(header, "generator µs/msg")
	}
	if baseline != "" {
		header = append(header, "vs "+oneLine(baseline))
	}
	if showName {
		header = append([]string{"benchmark"}, header...)
	}
	t.add(header...)
	for _, r := range results {
		row := []string{oneLine(r.Transport), fmt.Sprint(r.MessageSize), fmt.Sprint(r.Messages),
			fmt.Sprintf("%.0f", r.MsgsPerSec()), fmt.Sprintf("%.2f", r.MBPerSec())}
		if showLatency {
			if r.Latency.Count > 0 {
				row = append(row, FormatLatency(r.Latency.P50), FormatLatency(r.Latency.P99))
			} else {
				row = append(row, "–", "–")
			}
		}
		if showBroker {
			row = append(row, formatMicros(r.BrokerMicrosPerMsg()))
		}
		if showGen {
			row = append(row, formatMicros(r.GeneratorMicrosPerMsg()))
		}
		if baseline != "" {
			row = append(row, formatRatio(ratio(r, base, BenchResult.MsgsPerSec)))
		}
		if showName {
			row = append([]string{oneLine(r.Name)}, row...)
		}
		t.add(row...)
	}
	// Text columns read left to right, numbers line up on the right.
	t.rightFrom = 1
	if showName {
		t.rightFrom = 2
	}

	var b strings.Builder
	if !showLatency && !showBroker && !showGen {
		b.WriteString("Throughput (MB = 10^6 bytes")
		if baseline != "" {
			fmt.Fprintf(&b, "; ratio = msgs/s ÷ %s msgs/s for the same benchmark and size", oneLine(baseline))
		}
		b.WriteString(")\n\n")
	} else {
		b.WriteString("Throughput, latency and CPU per message\n")
		b.WriteString("  MB = 10^6 bytes")
		if showLatency {
			b.WriteString("; p50, p99: latency from send to receipt by a consumer")
		}
		b.WriteString("\n")
		if showBroker || showGen {
			b.WriteString("  µs/msg: CPU time (user + system) per message received, from each process's own accounting\n")
		}
		if baseline != "" {
			fmt.Fprintf(&b, "  ratio: msgs/s ÷ %s msgs/s for the same benchmark and size\n", oneLine(baseline))
		}
		b.WriteString("\n")
	}
	t.write(&b)
	if baseline != "" || showBroker || showGen {
		b.WriteString("\n")
	}
	if baseline != "" {
		writeBenchVerdicts(&b, results, base, baseline, "")
	}
	writeBenchCores(&b, results)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("reports: write bench table: %w", err)
	}
	return nil
}

// WriteBenchRatios writes WriteBenchTable's closing ratio lines for one
// transport against another, e.g. "tls-bridge/tls: 0.46× msgs/s": the
// comparison the table does not make when a transport is judged against
// something other than the table's baseline. Nothing is written when no
// result of transport has a baseline to compare with.
func WriteBenchRatios(w io.Writer, results []BenchResult, transport, baseline string) error {
	base := baselines(results, baseline)
	if len(base) == 0 {
		return nil
	}
	var b strings.Builder
	writeBenchVerdicts(&b, results, base, baseline, transport)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("reports: write bench ratios: %w", err)
	}
	return nil
}

// baselines maps each benchmark and size to its first result over
// baseline.
func baselines(results []BenchResult, baseline string) map[benchKey]BenchResult {
	base := map[benchKey]BenchResult{}
	for _, r := range results {
		k := benchKey{r.Name, r.MessageSize}
		if _, seen := base[k]; r.Transport == baseline && !seen {
			base[k] = r
		}
	}
	return base
}

// throughput says whether r measured throughput (a closed loop), not a
// fixed rate.
func throughput(r BenchResult) bool { return r.Rate == 0 }

// ratio returns metric(r) over metric(r's baseline), or NaN when there is no
// baseline to divide by, either is not measured, or r is a fixed-rate run.
func ratio(r BenchResult, base map[benchKey]BenchResult, metric func(BenchResult) float64) float64 {
	b, ok := base[benchKey{r.Name, r.MessageSize}]
	if !ok || !throughput(r) {
		return math.NaN()
	}
	x, y := metric(r), metric(b)
	if !(y > 0) || math.IsNaN(x) {
		return math.NaN()
	}
	return x / y
}

func formatRatio(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", x)
}

func formatMicros(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.1f", x)
}

// FormatLatency keeps two or three significant digits: 850µs, 1.25ms,
// 16.2ms, 1.50s.
func FormatLatency(d time.Duration) string {
	us := float64(d) / 1e3
	switch {
	case us < 10:
		return fmt.Sprintf("%.1fµs", us)
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	case us < 10_000:
		return fmt.Sprintf("%.2fms", us/1e3)
	case us < 1_000_000:
		return fmt.Sprintf("%.1fms", us/1e3)
	}
	return fmt.Sprintf("%.2fs", us/1e6)
}

// writeBenchVerdicts writes the ratio lines of every transport, or of only
// that one when only is not "".
func writeBenchVerdicts(b *strings.Builder, results []BenchResult, base map[benchKey]BenchResult, baseline, only string) {
	type logs struct{ msgs, cpu []float64 }
	var order []string
	byTransport := map[string]*logs{}
	for _, r := range results {
		if r.Transport == baseline || !throughput(r) || (only != "" && r.Transport != only) {
			continue
		}
		l := byTransport[r.Transport]
		if l == nil {
			l = &logs{}
			byTransport[r.Transport] = l
			order = append(order, r.Transport)
		}
		if x := ratio(r, base, BenchResult.MsgsPerSec); !math.IsNaN(x) && x > 0 {
			l.msgs = append(l.msgs, math.Log(x))
		}
		if x := ratio(r, base, BenchResult.BrokerMicrosPerMsg); !math.IsNaN(x) && x > 0 {
			l.cpu = append(l.cpu, math.Log(x))
		}
	}
	for _, tr := range order {
		name := oneLine(tr) + "/" + oneLine(baseline)
		l := byTransport[tr]
		if len(l.msgs) == 0 {
			fmt.Fprintf(b, "%s: no %s result to compare with\n", name, oneLine(baseline))
			continue
		}
		fmt.Fprintf(b, "%s: %s msgs/s%s\n", name, formatRatio(geomean(l.msgs)), meanOf(len(l.msgs)))
		if len(l.cpu) > 0 {
			fmt.Fprintf(b, "%s: %s broker CPU per message%s\n", name, formatRatio(geomean(l.cpu)), meanOf(len(l.cpu)))
		}
	}
}

// geomean of values given as logarithms.
func geomean(logs []float64) float64 {
	sum := 0.0
	for _, l := range logs {
		sum += l
	}
	return math.Exp(sum / float64(len(logs)))
}

func meanOf(n int) string {
	if n == 1 {
		return ""
	}
	return fmt.Sprintf(" (geometric mean of %d)", n)
}

// writeBenchCores says how busy the broker and the load generator kept the
// machine during the throughput runs, and the generator's share of the CPU
// spent per message: the figures that tell whether the generator could
// have been what limited the rate.
func writeBenchCores(b *strings.Builder, results []BenchResult) {
	lo := map[string]float64{}
	hi := map[string]float64{}
	note := func(who string, x float64) {
		if math.IsNaN(x) {
			return
		}
		if _, ok := lo[who]; !ok {
			lo[who], hi[who] = x, x
		}
		lo[who], hi[who] = min(lo[who], x), max(hi[who], x)
	}
	for _, r := range results {
		if throughput(r) {
			note("broker", r.BrokerCores())
			note("load generator", r.GeneratorCores())
		}
	}
	var parts []string
	for _, who := range []string{"broker", "load generator"} {
		if _, ok := lo[who]; !ok {
			continue
		}
		if fmt.Sprintf("%.2f", lo[who]) == fmt.Sprintf("%.2f", hi[who]) {
			parts = append(parts, fmt.Sprintf("%s %.2f", who, hi[who]))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.2f–%.2f", who, lo[who], hi[who]))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "cores busy during the throughput runs (CPU time ÷ wall time): %s\n", strings.Join(parts, ", "))
	}
	// The generator's share of the CPU spent per message: when broker and
	// generator share a machine's cores, that share of them is not the
	// broker's to use, and msgs/s understates the broker by as much.
	lo, hi = map[string]float64{}, map[string]float64{}
	for _, r := range results {
		g, br := r.GeneratorMicrosPerMsg(), r.BrokerMicrosPerMsg()
		if throughput(r) && !math.IsNaN(g) && !math.IsNaN(br) {
			note("share", 100*g/(g+br))
		}
	}
	if _, ok := lo["share"]; ok {
		share := fmt.Sprintf("%.0f%%", hi["share"])
		if fmt.Sprintf("%.0f", lo["share"]) != fmt.Sprintf("%.0f", hi["share"]) {
			share = fmt.Sprintf("%.0f–%.0f%%", lo["share"], hi["share"])
		}
		fmt.Fprintf(b, "load generator's share of the CPU per message: %s; when the two fill the machine's cores, msgs/s is that much below what the broker alone could do: compare brokers by broker µs/msg\n", share)
	}
}

// benchJSON adds the derived rates, so a dashboard reading the file need
// not know how they are computed.
type benchJSON struct {
	BenchResult
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"` // MB = 10^6 bytes
	// Per message received, in µs; absent when not measured.
	BrokerMicrosPerMsg    *float64 `json:"broker_cpu_us_per_msg,omitempty"`
	GeneratorMicrosPerMsg *float64 `json:"generator_cpu_us_per_msg,omitempty"`
}

// WriteBenchJSON writes results as indented JSON, {"results": [...]}, each
// with its msgs_per_sec and mb_per_sec (MB = 10^6 bytes), and its
// broker_cpu_us_per_msg and generator_cpu_us_per_msg when measured. The object
// wrapper leaves room for run-wide fields later without breaking readers.
func WriteBenchJSON(w io.Writer, results []BenchResult) error {
	out := struct {
		Results []benchJSON `json:"results"`
	}{Results: make([]benchJSON, 0, len(results))}
	for _, r := range results {
		out.Results = append(out.Results, benchJSON{BenchResult: r, MsgsPerSec: r.MsgsPerSec(), MBPerSec: r.MBPerSec(),
			BrokerMicrosPerMsg: known(r.BrokerMicrosPerMsg()), GeneratorMicrosPerMsg: known(r.GeneratorMicrosPerMsg())})
	}
	if err := writeJSON(w, out); err != nil {
		return fmt.Errorf("reports: write bench json: %w", err)
	}
	return nil
}

// known is x, or nil (left out of JSON) when x is NaN.
func known(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}

// textTable aligns columns by rune count (for "×" and "÷"); columns from
// rightFrom on are right-aligned.
type textTable struct {
	rows      [][]string
	rightFrom int
}

func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *textTable) write(b *strings.Builder) {
	var widths []int
	for _, row := range t.rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	for _, row := range t.rows {
		var line strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			if i > 0 {
				line.WriteString("  ")
			}
			if i >= t.rightFrom {
				line.WriteString(pad + cell)
			} else {
				line.WriteString(cell + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}
