package reports

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is the outcome of a scenario or a step.
type Status string

const (
	StatusPassed Status = "passed"
	StatusFailed Status = "failed"
	// StatusError means the scenario could not run at all (a bad file, a
	// setup failure), as opposed to running and missing an expectation. CI
	// systems show the two differently, so we keep them apart.
	StatusError   Status = "error"
	StatusSkipped Status = "skipped"
)

// Report is the result of one `brokerlab run`. It is plain data: the runner
// fills it in, the renderers in this package only read it.
//
// Durations are encoded in JSON as integer nanoseconds (time.Duration's own
// encoding); the keys end in _ns so that a reader of the JSON need not guess
// the unit.
type Report struct {
	Title    string        `json:"title"`
	Seed     int64         `json:"seed"` // the run's seed; --seed replays it
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration_ns"`

	Scenarios []Scenario `json:"scenarios"`

	// Environment describes where the run happened (go version, os/arch,
	// driver, broker version, ...) so that a report read later, away from
	// the machine, still says what it measured.
	Environment map[string]string `json:"environment,omitempty"`
}

// Scenario is the result of one scenario file (or catalogue entry).
type Scenario struct {
	Name     string        `json:"name"`
	File     string        `json:"file,omitempty"` // empty for built-in catalogue scenarios
	Labels   []string      `json:"labels,omitempty"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	Seed     int64         `json:"seed"`

	Steps []Step `json:"steps,omitempty"`

	// Failures holds one full sentence per failed expectation. For
	// StatusError and StatusSkipped it holds the reason the scenario did not
	// run, so that every non-passing outcome says why in the same place.
	Failures []string `json:"failures,omitempty"`

	// Explanations are plain-words accounts of TLS and auth failures,
	// each ending with the fix.
	Explanations []string `json:"explanations,omitempty"`

	Delivery     *Delivery `json:"delivery,omitempty"` // nil when the scenario moved no messages
	Events       []string  `json:"events,omitempty"`   // the event log, one formatted line each
	ArtifactsDir string    `json:"artifacts_dir,omitempty"`
}

// Step is one step of a scenario, e.g. "produce server-a /queue/orders ×500".
type Step struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Started  time.Duration `json:"start_offset_ns"` // offset from the scenario's start
	Duration time.Duration `json:"duration_ns"`
	Detail   string        `json:"detail,omitempty"`
}

// Delivery is what the checker found about the messages a scenario moved.
type Delivery struct {
	Sent       int `json:"sent"`
	Received   int `json:"received"`
	Lost       int `json:"lost"`
	Duplicates int `json:"duplicates"`
	OutOfOrder int `json:"out_of_order"`
}

// Counts tallies the scenarios by status. A status this package does not
// know (including the empty one) counts as errored: a result nobody set is
// not a pass, and the four counts always add up to len(r.Scenarios).
func (r *Report) Counts() (passed, failed, errored, skipped int) {
	for _, s := range r.Scenarios {
		switch normalize(s.Status) {
		case StatusPassed:
			passed++
		case StatusFailed:
			failed++
		case StatusSkipped:
			skipped++
		default:
			errored++
		}
	}
	return passed, failed, errored, skipped
}

// OK reports whether the run succeeded: at least one scenario, and none
// failed or errored. An empty run is not OK, because a filter that matched
// nothing should not turn CI green.
func (r *Report) OK() bool {
	_, failed, errored, _ := r.Counts()
	return len(r.Scenarios) > 0 && failed == 0 && errored == 0
}

// normalize maps unknown statuses to StatusError, the one place that
// decides how every renderer treats them.
func normalize(s Status) Status {
	switch s {
	case StatusPassed, StatusFailed, StatusError, StatusSkipped:
		return s
	}
	return StatusError
}

// formatDuration prints a duration the way a person reads a test run:
// "850ms", "7.2s", "2m5s". time.Duration.String gives "7.213458s", which is
// noise in a table.
func formatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + formatDuration(-d)
	}
	// Round before choosing the form, so 59.97s prints as "1m0s", not "60.0s".
	if r := d.Round(time.Millisecond); r < time.Second {
		return r.String()
	}
	if r := d.Round(100 * time.Millisecond); r < time.Minute {
		return fmt.Sprintf("%.1fs", r.Seconds())
	}
	return d.Round(time.Second).String()
}

// sanitize makes s safe to print anywhere: invalid UTF-8 bytes and control
// characters other than tab and newline become visible \xNN (or \uNNNN)
// escapes, and CRLF becomes LF. Event lines and failure messages quote what
// peers and stacks said, which can be anything; XML 1.0 cannot hold most
// control characters at all, and raw escape sequences would repaint a
// terminal. A visible escape keeps the evidence instead of dropping it.
func sanitize(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			// drop the CR of a CRLF; the LF follows
		case printable(r):
			b.WriteString(s[i : i+size])
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// clean is sanitize's fast path: most text needs no change.
func clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !printable(r) {
			return false
		}
	}
	return true
}

// printable reports whether r may appear as itself in every output format:
// tab, newline and anything XML 1.0 allows, minus the C0/C1 controls. A
// literal U+FFFD in the input also passes; only undecodable bytes are
// escaped (see sanitize).
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return true
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return false
	case r == 0xfffe, r == 0xffff: // not characters in XML 1.0
		return false
	}
	return true
}

// lines sanitizes s and splits it into lines, so that multi-line failures
// and explanations can be indented under their heading.
func lines(s string) []string {
	return strings.Split(strings.TrimRight(sanitize(s), "\n"), "\n")
}

// statusWord is the fixed-width-friendly word for a status, as test
// runners print it ("PASS", "FAIL").
func statusWord(s Status) string {
	switch normalize(s) {
	case StatusPassed:
		return "PASS"
	case StatusFailed:
		return "FAIL"
	case StatusSkipped:
		return "SKIP"
	}
	return "ERROR"
}

// formatDelivery prints the checker's counts. Out-of-order appears only
// when non-zero: most scenarios do not ask for ordering, and a column of
// zeros would suggest they did.
func formatDelivery(d *Delivery) string {
	s := fmt.Sprintf("sent %d received %d lost %d dup %d", d.Sent, d.Received, d.Lost, d.Duplicates)
	if d.OutOfOrder != 0 {
		s += fmt.Sprintf(" out-of-order %d", d.OutOfOrder)
	}
	return s
}

// formatStep renders a step as "  +1.2s  PASS  produce ...  (0.8s)", with
// a one-line detail on the same line and a longer one indented beneath.
// The console and JUnit's system-out share it so a step reads the same in
// both places.
func formatStep(st Step) []string {
	head := fmt.Sprintf("%7s  %-5s %s  (%s)", "+"+formatDuration(st.Started),
		statusWord(st.Status), oneLine(st.Name), formatDuration(st.Duration))
	if st.Detail == "" {
		return []string{head}
	}
	detail := lines(st.Detail)
	if len(detail) == 1 {
		return []string{head + "  " + detail[0]}
	}
	out := []string{head}
	for _, l := range detail {
		out = append(out, "           "+l)
	}
	return out
}

// oneLine sanitizes s for a place that must stay on one line (a console
// status line, a table cell): line breaks become spaces.
func oneLine(s string) string {
	return strings.Join(lines(s), " ")
}

// verdict is the one-word outcome of a run.
func verdict(r *Report) string {
	if r.OK() {
		return "PASS"
	}
	return "FAIL"
}

// tally is "4 passed, 1 failed", plus errored and skipped only when there
// are any: the short form is what people grep for, the extra counts must
// still show when they explain a FAIL that has no failed scenario.
func tally(r *Report) string {
	if len(r.Scenarios) == 0 {
		return "no scenarios ran"
	}
	passed, failed, errored, skipped := r.Counts()
	s := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if errored > 0 {
		s += fmt.Sprintf(", %d errored", errored)
	}
	if skipped > 0 {
		s += fmt.Sprintf(", %d skipped", skipped)
	}
	return s
}
