package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// BenchResult is one throughput measurement: Messages messages of
// MessageSize bytes over Transport ("plaintext", "tls", ...), moving Bytes
// bytes in Duration.
type BenchResult struct {
	Name        string        `json:"name"`      // what was measured, e.g. "send persistent"
	Transport   string        `json:"transport"` // e.g. "plaintext", "tls"
	MessageSize int           `json:"message_size"`
	Messages    int           `json:"messages"`
	Bytes       int64         `json:"bytes"`
	Duration    time.Duration `json:"duration_ns"`
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

// benchKey pairs a result with its baseline: the same benchmark at the same
// message size, whatever the message count.
type benchKey struct {
	name string
	size int
}

// WriteBenchTable writes results, in the order given, as an aligned text
// table with a ratio column: each result's msgs/s divided by that of the
// result with Transport == baseline, the same Name and the same
// MessageSize. It ends with one line per other transport, e.g.
// "tls/plaintext: 0.78× msgs/s", the geometric mean of its ratios (the mean
// that treats 2× and 0.5× as cancelling out). An empty baseline leaves the
// ratios out.
func WriteBenchTable(w io.Writer, results []BenchResult, baseline string) error {
	if len(results) == 0 {
		return fmt.Errorf("reports: write bench table: no results")
	}
	base := map[benchKey]float64{}
	if baseline != "" {
		for _, r := range results {
			k := benchKey{r.Name, r.MessageSize}
			if _, seen := base[k]; r.Transport == baseline && !seen {
				base[k] = r.MsgsPerSec()
			}
		}
		if len(base) == 0 {
			return fmt.Errorf("reports: write bench table: no result has baseline transport %q", baseline)
		}
	}

	showName := false
	for _, r := range results {
		showName = showName || r.Name != ""
	}
	t := &textTable{}
	header := []string{"transport", "size (B)", "messages", "msgs/s", "MB/s"}
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
		if baseline != "" {
			row = append(row, formatRatio(ratio(r, base)))
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
	b.WriteString("Throughput (MB = 10^6 bytes")
	if baseline != "" {
		fmt.Fprintf(&b, "; ratio = msgs/s ÷ %s msgs/s for the same benchmark and size", oneLine(baseline))
	}
	b.WriteString(")\n\n")
	t.write(&b)
	if baseline != "" {
		b.WriteString("\n")
		writeBenchVerdicts(&b, results, base, baseline)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("reports: write bench table: %w", err)
	}
	return nil
}

// ratio returns r's msgs/s over its baseline's, or NaN when there is no
// baseline to divide by.
func ratio(r BenchResult, base map[benchKey]float64) float64 {
	b, ok := base[benchKey{r.Name, r.MessageSize}]
	if !ok || b <= 0 {
		return math.NaN()
	}
	return r.MsgsPerSec() / b
}

func formatRatio(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", x)
}

func writeBenchVerdicts(b *strings.Builder, results []BenchResult, base map[benchKey]float64, baseline string) {
	var order []string
	logs := map[string][]float64{}
	for _, r := range results {
		if r.Transport == baseline {
			continue
		}
		if _, seen := logs[r.Transport]; !seen {
			order = append(order, r.Transport)
			logs[r.Transport] = nil
		}
		if x := ratio(r, base); !math.IsNaN(x) && x > 0 {
			logs[r.Transport] = append(logs[r.Transport], math.Log(x))
		}
	}
	for _, tr := range order {
		name := oneLine(tr) + "/" + oneLine(baseline)
		ls := logs[tr]
		switch len(ls) {
		case 0:
			fmt.Fprintf(b, "%s: no %s result to compare with\n", name, oneLine(baseline))
		case 1:
			fmt.Fprintf(b, "%s: %s msgs/s\n", name, formatRatio(math.Exp(ls[0])))
		default:
			sum := 0.0
			for _, l := range ls {
				sum += l
			}
			fmt.Fprintf(b, "%s: %s msgs/s (geometric mean of %d)\n",
				name, formatRatio(math.Exp(sum/float64(len(ls)))), len(ls))
		}
	}
}

// benchJSON adds the derived rates, so a dashboard reading the file need
// not know how they are computed.
type benchJSON struct {
	BenchResult
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"` // MB = 10^6 bytes
}

// WriteBenchJSON writes results as indented JSON, {"results": [...]}, each
// with its msgs_per_sec and mb_per_sec (MB = 10^6 bytes). The object
// wrapper leaves room for run-wide fields later without breaking readers.
func WriteBenchJSON(w io.Writer, results []BenchResult) error {
	out := struct {
		Results []benchJSON `json:"results"`
	}{Results: make([]benchJSON, 0, len(results))}
	for _, r := range results {
		out.Results = append(out.Results, benchJSON{r, r.MsgsPerSec(), r.MBPerSec()})
	}
	if err := writeJSON(w, out); err != nil {
		return fmt.Errorf("reports: write bench json: %w", err)
	}
	return nil
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
