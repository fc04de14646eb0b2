package reports_test

import (
	"os"
	"time"

	"github.com/brokerlab/brokerlab/reports"
)

// A runner drives a Console from its one goroutine: ScenarioStarted, then
// StepDone per step (shown only when Verbose), ScenarioDone, and Summary at
// the end. Index is 0-based.
func ExampleConsole() {
	r := &reports.Report{Title: "catalogue", Seed: 42, Duration: 21 * time.Second, Scenarios: []reports.Scenario{
		{Name: "duplex bridge survives a partition", Status: reports.StatusPassed, Duration: 7200 * time.Millisecond,
			Delivery: &reports.Delivery{Sent: 200, Received: 200}},
		{Name: "spoke lacks the hub certificate in its truststore", Status: reports.StatusFailed,
			Duration: 5100 * time.Millisecond, Seed: 43, ArtifactsDir: "out/002-spoke-lacks",
			Failures: []string{"expected bridge server-a->hub to be failing within 5s; it came up"},
			Explanations: []string{"server-a trusts hub although hub's certificate is not in its truststore.\n" +
				"Fix: check that the mutation removed hub from server-a's trust list."}},
	}}
	c := reports.NewConsole(os.Stdout, false)
	for i, s := range r.Scenarios {
		c.ScenarioStarted(s.Name, i, len(r.Scenarios))
		c.ScenarioDone(s)
	}
	c.Summary(r, map[string]string{"JUnit": "out/junit.xml", "Markdown": "out/summary.md"})
	// Output:
	// [1/2] PASS  duplex bridge survives a partition  (7.2s)  sent 200 received 200 lost 0 dup 0
	// [2/2] FAIL  spoke lacks the hub certificate in its truststore  (5.1s)
	//       failure: expected bridge server-a->hub to be failing within 5s; it came up
	//       explain: server-a trusts hub although hub's certificate is not in its truststore.
	//                Fix: check that the mutation removed hub from server-a's trust list.
	//       seed 43, artifacts in out/002-spoke-lacks
	//
	// Ran 2 scenarios in 21.0s (seed 42)
	// Not passed:
	//   FAIL  spoke lacks the hub certificate in its truststore  (out/002-spoke-lacks)
	// Reports:
	//   JUnit     out/junit.xml
	//   Markdown  out/summary.md
	// FAIL: 1 passed, 1 failed
}
