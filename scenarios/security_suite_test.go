package scenarios_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/scenarios"
)

// Security verdicts can say no too: a refusal that does not happen, one in
// other words, and event counts outside their bounds fail the scenario.
var _ = Describe("the runner's security verdicts", Label("security"), func() {
	run := func(ctx SpecContext, yaml string) reports.Scenario {
		sc, err := scenarios.Parse("inline.yaml", []byte(yaml), scenarios.DefaultTopologies)
		Expect(err).NotTo(HaveOccurred())
		return scenarios.Run(ctx, sc, scenarios.Options{OutDir: GinkgoT().TempDir(), Seed: 7})
	}

	It("fails a probe expected to be refused that is let in", func(ctx SpecContext) {
		res := run(ctx, `
name: expects a refusal for the right password
topology: sec-users
steps: [{start: all}, {probe: {node: hub, login: bob, passcode: bob-Pa55, expect: refused}}]
`)
		Expect(res.Status).To(Equal(reports.StatusFailed))
		Expect(res.Failures[0]).To(ContainSubstring("expected refused, was accepted"))
	}, SpecTimeout(time.Minute))

	It("fails a refusal in other words than expected, quoting the broker", func(ctx SpecContext) {
		res := run(ctx, `
name: expects the wrong words
topology: sec-users
steps: [{start: all}, {probe: {node: hub, login: bob, passcode: nope, expect: refused, message: "password expired"}}]
`)
		Expect(res.Status).To(Equal(reports.StatusFailed))
		Expect(res.Failures[0]).To(ContainSubstring(`the broker said "login failed: unknown login or wrong passcode (users, required)", which does not contain "password expired"`))
	}, SpecTimeout(time.Minute))

	It("fails event counts outside min and max, and events that never come", func(ctx SpecContext) {
		res := run(ctx, `
name: counts refusals
topology: sec-users
steps:
  - start: all
  - probe: {node: hub, login: bob, passcode: nope-1, expect: refused}
  - probe: {node: hub, login: bob, passcode: nope-2, expect: refused}
expect:
  events:
    - {node: hub, kind: auth-failed, contains: "peer=login \"bob\"", max: 1}
    - {node: hub, kind: auth-failed, contains: "peer=login \"bob\"", min: 3}
    - {node: hub, kind: authz-denied, contains: "bob"}
`)
		Expect(res.Status).To(Equal(reports.StatusFailed))
		Expect(res.Failures).To(ContainElements(
			ContainSubstring(`expected at most 1 auth-failed events on hub containing "peer=login \"bob\""; saw 2`),
			ContainSubstring(`expected at least 3 auth-failed events on hub containing "peer=login \"bob\""; saw 2`),
			ContainSubstring(`expected a authz-denied event on hub containing "bob"; none was seen`)))
	}, SpecTimeout(time.Minute))
})
