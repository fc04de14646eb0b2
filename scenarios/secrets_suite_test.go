package scenarios_test

import (
	"bytes"
	"log/slog"
	"sync"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/scenarios"
)

// The secret-leak check runs on every catalogue scenario the suite runs:
// every broker's structured log (debug level, so per-connection records
// too), the scenario's artifacts (events.log, stats.json, PKI), and the
// JUnit, JSON, Markdown and console renderings of its result are searched
// for every password, passcode and keystore password the scenario uses.

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}

// logTo gives every node a JSON logger at debug level writing to buf.
func logTo(buf *lockedBuffer) func(*broker.Options) {
	return func(o *broker.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// leaks lists where sc's secrets appear in its outputs.
func leaks(sc *scenarios.Scenario, res reports.Scenario, logs *lockedBuffer) []string {
	outputs := map[string][]byte{"broker logs": logs.Bytes()}
	if len(outputs["broker logs"]) == 0 {
		return []string{"no broker log was captured, so none was searched"}
	}
	rep := &reports.Report{Title: "leak check", Scenarios: []reports.Scenario{res}}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"junit":    func(b *bytes.Buffer) error { return reports.WriteJUnit(b, rep) },
		"json":     func(b *bytes.Buffer) error { return reports.WriteJSON(b, rep) },
		"markdown": func(b *bytes.Buffer) error { return reports.WriteMarkdown(b, rep) },
		"console": func(b *bytes.Buffer) error {
			c := reports.NewConsole(b, false)
			for _, st := range res.Steps {
				c.StepDone(st)
			}
			c.ScenarioDone(res)
			c.Summary(rep, nil)
			return c.Err()
		},
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return []string{name + ": " + err.Error()}
		}
		outputs[name] = b.Bytes()
	}
	if res.ArtifactsDir != "" {
		files, err := scenarios.ReadTree(res.ArtifactsDir)
		if err != nil {
			return []string{"artifacts: " + err.Error()}
		}
		for k, v := range files {
			outputs[k] = v
		}
	}
	return scenarios.Leaks(sc.Secrets(), outputs)
}
