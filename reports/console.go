package reports

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// ANSI colours, used only when the Console was asked for them: CI logs and
// files get plain text.
const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

// Console prints the progress of a run for a person watching a terminal or
// a CI log: one line per finished scenario, its failures and explanations
// beneath it (explanations also under a scenario that passed), and a
// summary ending in a PASS or FAIL line.
//
//	[1/3] PASS  duplex bridge survives a partition  (7.2s)  sent 500 received 500 lost 0 dup 0
//	[2/3] PASS  spoke lacks the hub certificate in its truststore  (2.1s)
//	      explain: server-a does not trust hub ...
//	               Fix: ...
//	[3/3] FAIL  hub refuses an expired spoke certificate  (5.1s)
//	      failure: ...
//	      explain: ...
//
// A Console is not safe for concurrent use. Call it from one goroutine, the
// one that runs the scenarios (or collects their results): lines must come
// out in run order anyway, so a lock would only hide a caller's race.
//
// Write errors do not stop the run; the first one is kept and Err returns
// it, as bufio.Scanner does.
type Console struct {
	// Verbose also prints a line when a scenario starts and one per step.
	Verbose bool

	w     io.Writer
	color bool
	index int // 0-based index of the current scenario, from ScenarioStarted
	total int // 0 until ScenarioStarted is called
	err   error
}

// NewConsole returns a Console writing to w, with ANSI colours if color is
// true (the caller decides, e.g. from isatty and NO_COLOR).
func NewConsole(w io.Writer, color bool) *Console {
	return &Console{w: w, color: color}
}

// Err returns the first error writing to the Console's writer, if any.
func (c *Console) Err() error { return c.err }

// ScenarioStarted records which scenario runs now, for the [i/n] counter.
// index is 0-based, as in `for i, s := range list`; it prints as i+1.
// Outside verbose mode it prints nothing, so that the log keeps one line
// per scenario.
func (c *Console) ScenarioStarted(name string, index, total int) {
	c.index, c.total = index, total
	if c.Verbose {
		c.printf("%s%s %s\n", c.counter(), c.pad("RUN", ""), oneLine(name))
	}
}

// StepDone prints a finished step under its scenario, in verbose mode only.
func (c *Console) StepDone(s Step) {
	if !c.Verbose {
		return
	}
	indent := c.indent()
	for _, line := range formatStep(s) {
		c.printf("%s%s\n", indent, line)
	}
}

// ScenarioDone prints the scenario's result line and, unless it passed, why.
// Explanations are printed whatever the status: a scenario that reproduces
// a certificate mistake passes precisely when the failure happens, and the
// explanation of that failure is what its reader came for.
func (c *Console) ScenarioDone(s Scenario) {
	status := normalize(s.Status)
	line := fmt.Sprintf("%s%s %s", c.counter(), c.statusPad(status), oneLine(s.Name))
	if s.Duration > 0 {
		// A scenario that never ran has no duration worth printing.
		line += fmt.Sprintf("  (%s)", formatDuration(s.Duration))
	}
	if s.Delivery != nil {
		line += "  " + formatDelivery(s.Delivery)
	}
	c.printf("%s\n", line)

	indent := c.indent()
	switch status {
	case StatusFailed:
		c.labeled(indent, "failure:", s.Failures)
	case StatusError:
		c.labeled(indent, "error:", s.Failures)
	case StatusSkipped:
		c.labeled(indent, "reason:", s.Failures)
	}
	c.labeled(indent, "explain:", s.Explanations) // for every status; see above
	if status == StatusFailed || status == StatusError {
		// Enough to replay the scenario and find its logs without opening
		// a report.
		where := fmt.Sprintf("seed %d", s.Seed)
		if s.ArtifactsDir != "" {
			where += ", artifacts in " + oneLine(s.ArtifactsDir)
		}
		c.printf("%s%s\n", indent, where)
	}
}

// Summary prints the totals, the scenarios that did not pass, where the
// reports were written (artifacts maps a label such as "JUnit" to a path),
// and a last line "PASS: 5 passed, 0 failed" or "FAIL: 4 passed, 1 failed"
// that a person or a script can find at the bottom of any log.
func (c *Console) Summary(r *Report, artifacts map[string]string) {
	if r == nil {
		r = &Report{}
	}
	noun := "scenarios"
	if len(r.Scenarios) == 1 {
		noun = "scenario"
	}
	c.printf("\nRan %d %s in %s (seed %d)\n", len(r.Scenarios), noun, formatDuration(r.Duration), r.Seed)

	var bad []Scenario
	for _, s := range r.Scenarios {
		if st := normalize(s.Status); st == StatusFailed || st == StatusError {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		c.printf("Not passed:\n")
		for _, s := range bad {
			line := fmt.Sprintf("  %s %s", c.statusPad(normalize(s.Status)), oneLine(s.Name))
			if s.ArtifactsDir != "" {
				line += "  (" + oneLine(s.ArtifactsDir) + ")"
			}
			c.printf("%s\n", line)
		}
	}

	if len(artifacts) > 0 {
		labels := slices.Sorted(maps.Keys(artifacts))
		width := 0
		for _, label := range labels {
			width = max(width, len(oneLine(label)))
		}
		c.printf("Reports:\n")
		for _, label := range labels {
			c.printf("  %-*s  %s\n", width, oneLine(label), oneLine(artifacts[label]))
		}
	}

	color := ansiRed
	if r.OK() {
		color = ansiGreen
	}
	c.printf("%s: %s\n", c.paint(verdict(r), color), tally(r))
}

// counter is "[3/5] ", with the index padded to the width of the total so
// that names line up in runs of ten or more.
func (c *Console) counter() string {
	if c.total <= 0 {
		return ""
	}
	digits := len(fmt.Sprint(c.total))
	return fmt.Sprintf("[%*d/%d] ", digits, c.index+1, c.total)
}

// indent puts detail lines under the status word; without a counter
// (ScenarioStarted never called) a few spaces still set them apart.
func (c *Console) indent() string {
	return strings.Repeat(" ", max(len(c.counter()), 4))
}

// statusPad is the status word, coloured, padded to the width of "ERROR",
// so that with one space after it names line up: "PASS  x", "ERROR y".
func (c *Console) statusPad(s Status) string {
	color := ansiRed
	switch s {
	case StatusPassed:
		color = ansiGreen
	case StatusSkipped:
		color = ansiYellow
	}
	return c.pad(statusWord(s), color)
}

// pad pads before colouring, so escape codes do not count as width.
func (c *Console) pad(word, color string) string {
	return c.paint(word, color) + strings.Repeat(" ", max(0, len("ERROR")-len(word)))
}

func (c *Console) paint(s, color string) string {
	if !c.color || color == "" {
		return s
	}
	return color + s + ansiReset
}

// labeled prints items under a scenario line: the label on the first line
// of each item, later lines aligned with the text.
func (c *Console) labeled(indent, label string, items []string) {
	const width = len("failure: ")
	for _, item := range items {
		for i, line := range lines(item) {
			head := fmt.Sprintf("%-*s", width, label)
			if i > 0 {
				head = strings.Repeat(" ", width)
			}
			c.printf("%s%s%s\n", indent, head, line)
		}
	}
}

func (c *Console) printf(format string, args ...any) {
	if c.err != nil {
		return
	}
	if _, err := fmt.Fprintf(c.w, format, args...); err != nil {
		c.err = fmt.Errorf("reports: write console: %w", err)
	}
}
