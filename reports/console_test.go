package reports

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var fixtureArtifacts = map[string]string{
	"JUnit":    "out/junit.xml",
	"JSON":     "out/report.json",
	"Markdown": "out/summary.md",
}

// replay drives a Console the way the runner does: start, steps, done, and
// the summary at the end.
func replay(c *Console, r *Report) {
	for i, s := range r.Scenarios {
		c.ScenarioStarted(s.Name, i, len(r.Scenarios))
		for _, st := range s.Steps {
			c.StepDone(st)
		}
		c.ScenarioDone(s)
	}
	c.Summary(r, fixtureArtifacts)
}

func TestConsoleGolden(t *testing.T) {
	tests := []struct {
		name           string
		color, verbose bool
	}{
		{"console", false, false},
		{"console_verbose", false, true},
		{"console_color", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := NewConsole(&buf, tt.color)
			c.Verbose = tt.verbose
			replay(c, fixture())
			if err := c.Err(); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, buf.Bytes())
		})
	}
}

func TestConsoleNoColorMeansNoEscapes(t *testing.T) {
	r := fixture()
	r.Scenarios[1].Name = "\x1b[2Jclears the screen"
	r.Scenarios[1].Failures = append(r.Scenarios[1].Failures, "peer said \x1b[31mno\x1b[0m")
	var buf bytes.Buffer
	c := NewConsole(&buf, false)
	c.Verbose = true
	replay(c, r)
	if strings.ContainsRune(buf.String(), '\x1b') {
		t.Errorf("escape character in uncoloured output:\n%q", buf.String())
	}
}

func TestConsoleFinalLine(t *testing.T) {
	tests := []struct {
		name     string
		statuses []Status
		want     string
	}{
		{"all passed", []Status{StatusPassed, StatusPassed}, "PASS: 2 passed, 0 failed"},
		{"one failed", []Status{StatusPassed, StatusFailed}, "FAIL: 1 passed, 1 failed"},
		{"errored shows", []Status{StatusPassed, StatusError}, "FAIL: 1 passed, 0 failed, 1 errored"},
		{"skipped shows", []Status{StatusPassed, StatusSkipped}, "PASS: 1 passed, 0 failed, 1 skipped"},
		{"nothing ran", nil, "FAIL: no scenarios ran"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{}
			for _, st := range tt.statuses {
				r.Scenarios = append(r.Scenarios, Scenario{Name: "s", Status: st})
			}
			var buf bytes.Buffer
			NewConsole(&buf, false).Summary(r, nil)
			out := strings.TrimSuffix(buf.String(), "\n")
			if last := out[strings.LastIndex(out, "\n")+1:]; last != tt.want {
				t.Errorf("last line = %q, want %q", last, tt.want)
			}
		})
	}
}

func TestConsoleCounterWidth(t *testing.T) {
	var buf bytes.Buffer
	c := NewConsole(&buf, false)
	c.ScenarioStarted("x", 2, 12)
	c.ScenarioDone(Scenario{Name: "x", Status: StatusPassed, Duration: 1500 * time.Millisecond})
	if want := "[ 3/12] PASS  x  (1.5s)\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

type failWriter struct {
	err   error
	calls int
}

func (w *failWriter) Write(p []byte) (int, error) {
	w.calls++
	return 0, w.err
}

func TestConsoleKeepsFirstWriteError(t *testing.T) {
	w := &failWriter{err: errors.New("disk full")}
	c := NewConsole(w, false)
	replay(c, fixture())
	if err := c.Err(); !errors.Is(err, w.err) || !strings.HasPrefix(err.Error(), "reports: ") {
		t.Errorf("Err() = %v, want a reports: error wrapping %v", err, w.err)
	}
	if w.calls != 1 {
		t.Errorf("%d writes after the first failed, want none", w.calls-1)
	}
}

// A certificate-misconfiguration scenario passes when the failure is
// reproduced; its explanation is the point of running it, so it must show
// under the PASS line too, with the same layout as under a FAIL.
func TestConsoleExplainsPassedScenario(t *testing.T) {
	r := &Report{Seed: 5, Duration: 2100 * time.Millisecond, Scenarios: []Scenario{{
		Name:     "server-a lacks the hub's certificate in its truststore",
		Status:   StatusPassed,
		Duration: 2100 * time.Millisecond,
		Seed:     5,
		Explanations: []string{
			"server-a does not trust hub: hub's certificate is not in server-a's truststore.\n" +
				"Fix: add hub's certificate to server-a's trust.pem (keytool -importcert -alias hub).",
			"a second explanation on one line",
		},
	}}}
	var buf bytes.Buffer
	c := NewConsole(&buf, false)
	replay(c, r)
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	golden(t, "console_explained", buf.Bytes())

	want := "[1/1] PASS  server-a lacks the hub's certificate in its truststore  (2.1s)\n" +
		"      explain: server-a does not trust hub: hub's certificate is not in server-a's truststore.\n" +
		"               Fix: add hub's certificate to server-a's trust.pem (keytool -importcert -alias hub).\n" +
		"      explain: a second explanation on one line\n"
	if !strings.HasPrefix(buf.String(), want) {
		t.Errorf("passed scenario printed\n%s\nwant it to start with\n%s", buf.String(), want)
	}
	if strings.Contains(buf.String(), "seed 5,") || strings.Contains(buf.String(), "\n      seed") {
		t.Errorf("a passed scenario should not print its replay line:\n%s", buf.String())
	}
}
