package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/brokerlab/brokerlab/reports"
)

// Pass is a Gomega matcher for a scenario result: it succeeds when the
// scenario passed, and otherwise fails with what a person needs to act on
// (failures, explanations, the last events and where the artifacts are).
//
//	Expect(scenarios.Run(ctx, sc, opts)).To(scenarios.Pass())
func Pass() types.GomegaMatcher { return passMatcher{} }

type passMatcher struct{}

func (passMatcher) Match(actual any) (bool, error) {
	res, err := asResult(actual)
	if err != nil {
		return false, err
	}
	return res.Status == reports.StatusPassed, nil
}

func (passMatcher) FailureMessage(actual any) string {
	res, _ := asResult(actual)
	var sb strings.Builder
	fmt.Fprintf(&sb, "scenario %q %s (seed %d)\n", res.Name, res.Status, res.Seed)
	for _, f := range res.Failures {
		fmt.Fprintf(&sb, "  failure: %s\n", f)
	}
	for _, e := range res.Explanations {
		fmt.Fprintf(&sb, "  explain: %s\n", strings.ReplaceAll(e, "\n", "\n           "))
	}
	for _, st := range res.Steps {
		fmt.Fprintf(&sb, "  step +%.3fs %-6s %s (%v) %s\n", st.Started.Seconds(), st.Status, st.Name, st.Duration.Round(time.Millisecond), st.Detail)
	}
	events := res.Events
	if len(events) > 30 {
		events = events[len(events)-30:]
	}
	if len(events) > 0 {
		sb.WriteString("  last events:\n")
		for _, e := range events {
			fmt.Fprintf(&sb, "    %s\n", e)
		}
	}
	if res.ArtifactsDir != "" {
		fmt.Fprintf(&sb, "  artifacts: %s\n", res.ArtifactsDir)
	}
	return sb.String()
}

func (passMatcher) NegatedFailureMessage(actual any) string {
	res, _ := asResult(actual)
	return fmt.Sprintf("scenario %q passed, but was expected not to", res.Name)
}

func asResult(actual any) (reports.Scenario, error) {
	switch r := actual.(type) {
	case reports.Scenario:
		return r, nil
	case *reports.Scenario:
		return *r, nil
	}
	return reports.Scenario{}, fmt.Errorf("Pass expects a reports.Scenario, got %T", actual)
}
