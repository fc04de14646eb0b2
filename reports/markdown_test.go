package reports

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "markdown", buf.Bytes())
}

func TestMarkdownEscapesCells(t *testing.T) {
	r := &Report{Scenarios: []Scenario{{Name: "a|b *c* <d> /topic/a.>\nnext", Status: StatusPassed}}}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	want := `| a\|b \*c\* &lt;d> /topic/a.> next | ✅ passed |`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("table row not escaped; want %q in:\n%s", want, buf.String())
	}
}

func TestMarkdownEventTail(t *testing.T) {
	s := failed
	s.Events = nil
	for i := range markdownEventTail + 5 {
		s.Events = append(s.Events, fmt.Sprintf("event %d", i))
	}
	s.Events = append(s.Events, "quoting ```` a fence")
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, &Report{Scenarios: []Scenario{s}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "event 5\n") || !strings.Contains(out, "event 6\n") {
		t.Errorf("want the last %d events only:\n%s", markdownEventTail, out)
	}
	if !strings.Contains(out, "Event log (last 40 of 46 lines)") {
		t.Errorf("summary does not say the log was cut:\n%s", out)
	}
	if !strings.Contains(out, "`````text\n") {
		t.Errorf("fence not longer than the backticks inside:\n%s", out)
	}
}

func TestMarkdownEmptyRun(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, &Report{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "**FAIL**: no scenarios ran") {
		t.Errorf("empty run:\n%s", buf.String())
	}
}
