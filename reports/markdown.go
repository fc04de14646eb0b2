package reports

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// markdownEventTail caps the event log shown per failed scenario. A job
// summary has a size limit (1 MiB on GitHub) and the cause of a failure is
// nearly always near the end; the full log is in the JSON and JUnit files.
const markdownEventTail = 40

// WriteMarkdown writes r as a Markdown summary meant for a CI job page
// (GitHub's $GITHUB_STEP_SUMMARY, a merge request comment): the verdict,
// a table of all scenarios, then a section per failed or errored scenario
// with its failures, explanations, steps and the end of its event log, and
// the reasons scenarios were skipped.
func WriteMarkdown(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("reports: write markdown: nil report")
	}
	var b strings.Builder
	writeMarkdownHeader(&b, r)
	writeMarkdownTable(&b, r)
	for _, s := range r.Scenarios {
		if st := normalize(s.Status); st == StatusFailed || st == StatusError {
			writeMarkdownScenario(&b, s)
		}
	}
	writeMarkdownSkipped(&b, r)
	writeMarkdownEnvironment(&b, r)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("reports: write markdown: %w", err)
	}
	return nil
}

func writeMarkdownHeader(b *strings.Builder, r *Report) {
	title := "brokerlab"
	if r.Title != "" {
		title += ": " + r.Title
	}
	fmt.Fprintf(b, "## %s\n\n", mdEscape(title))
	fmt.Fprintf(b, "**%s**: %s in %s · seed %s", verdict(r), tally(r),
		formatDuration(r.Duration), mdCode(fmt.Sprint(r.Seed)))
	if !r.Started.IsZero() {
		fmt.Fprintf(b, " · started %s", r.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	b.WriteString("\n\n")
}

func writeMarkdownTable(b *strings.Builder, r *Report) {
	if len(r.Scenarios) == 0 {
		return
	}
	b.WriteString("| Scenario | Status | Duration | Sent | Received | Lost | Dup |\n")
	b.WriteString("|:--|:--|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Scenarios {
		sent, recv, lost, dup := "–", "–", "–", "–"
		if d := s.Delivery; d != nil {
			sent, recv = fmt.Sprint(d.Sent), fmt.Sprint(d.Received)
			lost, dup = fmt.Sprint(d.Lost), fmt.Sprint(d.Duplicates)
		}
		fmt.Fprintf(b, "| %s | %s %s | %s | %s | %s | %s | %s |\n",
			mdEscape(oneLine(s.Name)), statusIcon(s.Status), normalize(s.Status),
			formatDuration(s.Duration), sent, recv, lost, dup)
	}
	b.WriteString("\n")
}

func writeMarkdownScenario(b *strings.Builder, s Scenario) {
	fmt.Fprintf(b, "### %s %s\n\n", statusIcon(s.Status), mdEscape(oneLine(s.Name)))

	meta := []string{string(normalize(s.Status)), "seed " + mdCode(fmt.Sprint(s.Seed))}
	if s.File != "" {
		meta = append(meta, "file "+mdCode(oneLine(s.File)))
	}
	if len(s.Labels) > 0 {
		meta = append(meta, "labels "+mdEscape(oneLine(strings.Join(s.Labels, ", "))))
	}
	if s.Delivery != nil {
		meta = append(meta, formatDelivery(s.Delivery))
	}
	if s.ArtifactsDir != "" {
		meta = append(meta, "artifacts "+mdCode(oneLine(s.ArtifactsDir)))
	}
	b.WriteString(strings.Join(meta, " · ") + "\n\n")

	heading := "Failures"
	if normalize(s.Status) == StatusError {
		heading = "Why it could not run"
	}
	writeMarkdownList(b, heading, s.Failures)
	writeMarkdownList(b, "Explanations", s.Explanations)

	if len(s.Steps) > 0 {
		var steps []string
		for _, st := range s.Steps {
			steps = append(steps, formatStep(st)...)
		}
		writeMarkdownDetails(b, fmt.Sprintf("Steps (%d)", len(s.Steps)), steps)
	}
	if n := len(s.Events); n > 0 {
		events := s.Events
		summary := fmt.Sprintf("Event log (%d lines)", n)
		if n > markdownEventTail {
			events = events[n-markdownEventTail:]
			summary = fmt.Sprintf("Event log (last %d of %d lines)", markdownEventTail, n)
		}
		var out []string
		for _, ev := range events {
			out = append(out, lines(ev)...)
		}
		writeMarkdownDetails(b, summary, out)
	}
}

func writeMarkdownList(b *strings.Builder, heading string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "**%s**\n\n", heading)
	for _, item := range items {
		// Continuation lines are indented so they stay inside the item.
		fmt.Fprintf(b, "- %s\n", strings.Join(mdEscapeAll(lines(item)), "<br>\n  "))
	}
	b.WriteString("\n")
}

// writeMarkdownDetails puts verbatim lines in a collapsed block, so a long
// log does not push the next failure off the page.
func writeMarkdownDetails(b *strings.Builder, summary string, text []string) {
	body := strings.Join(text, "\n")
	f := fence(body)
	fmt.Fprintf(b, "<details><summary>%s</summary>\n\n%stext\n%s\n%s\n\n</details>\n\n",
		summary, f, body, f)
}

// writeMarkdownSkipped lists why scenarios were skipped: a skip is green in
// CI, so its reason is the only hint that coverage was lost.
func writeMarkdownSkipped(b *strings.Builder, r *Report) {
	var items []string
	for _, s := range r.Scenarios {
		if normalize(s.Status) != StatusSkipped {
			continue
		}
		item := mdEscape(oneLine(s.Name))
		if len(s.Failures) > 0 {
			item += ": " + mdEscape(oneLine(strings.Join(s.Failures, "; ")))
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s Skipped\n\n", statusIcon(StatusSkipped))
	for _, item := range items {
		fmt.Fprintf(b, "- %s\n", item)
	}
	b.WriteString("\n")
}

func writeMarkdownEnvironment(b *strings.Builder, r *Report) {
	if len(r.Environment) == 0 {
		return
	}
	b.WriteString("<details><summary>Environment</summary>\n\n| Key | Value |\n|:--|:--|\n")
	for _, k := range slices.Sorted(maps.Keys(r.Environment)) {
		fmt.Fprintf(b, "| %s | %s |\n", mdEscape(oneLine(k)), mdEscape(oneLine(r.Environment[k])))
	}
	b.WriteString("\n</details>\n")
}

func statusIcon(s Status) string {
	switch normalize(s) {
	case StatusPassed:
		return "✅"
	case StatusFailed:
		return "❌"
	case StatusSkipped:
		return "⏭️"
	}
	return "⚠️"
}

// mdEscaper neutralises what Markdown (and the HTML it allows) would
// interpret in scenario names and messages: emphasis in "/topic/a.*", table
// breaks in "a|b", tags in "<nil>". Backslash escapes render as the
// character itself; < and & become entities because GitHub passes raw HTML
// through.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"~", `\~`, "|", `\|`, "#", `\#`, "<", "&lt;", "&", "&amp;",
)

func mdEscape(s string) string { return mdEscaper.Replace(sanitize(s)) }

func mdEscapeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = mdEscape(s)
	}
	return out
}

// mdCode renders s as an inline code span, using a backtick run longer
// than any inside s, which is how CommonMark lets a span contain backticks.
func mdCode(s string) string {
	s = sanitize(s)
	tick := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return tick + " " + s + " " + tick
	}
	return tick + s + tick
}

// fence returns a code fence longer than any backtick run in body, so an
// event line that quotes Markdown cannot close the block early.
func fence(body string) string {
	return strings.Repeat("`", max(3, longestRun(body, '`')+1))
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
