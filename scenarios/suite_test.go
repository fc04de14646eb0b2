package scenarios_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/scenarios"
)

// The end-to-end suite: every scenario of the built-in catalogue, run by
// the same runner `brokerlab run` uses, against real brokers, real TLS and
// real toxiproxy proxies on loopback.
func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "brokerlab scenarios")
}

// artifacts keeps failed scenarios' PKI and event logs where CI can find
// them (BROKERLAB_ARTIFACTS), else in a temp dir.
func artifacts() string {
	if d := os.Getenv("BROKERLAB_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "brokerlab-suite")
}

var catalog, catalogErr = scenarios.Catalog()

var _ = Describe("the built-in catalogue", func() {
	It("loads without errors", func() {
		Expect(catalogErr).NotTo(HaveOccurred())
		Expect(len(catalog)).To(BeNumerically(">=", 5))
	})

	for _, sc := range catalog {
		It(sc.Name, Label(sc.Labels...), func(ctx SpecContext) {
			logs := &lockedBuffer{}
			// Kept so the leak check can search them; removed once it passed.
			res := scenarios.Run(ctx, sc, scenarios.Options{OutDir: artifacts(), Seed: GinkgoRandomSeed(), Keep: true, Tune: logTo(logs)})
			Expect(res).To(scenarios.Pass())
			Expect(leaks(sc, res, logs)).To(BeEmpty(), "secrets in the scenario's logs, artifacts or reports (secrets_suite_test.go)")
			os.RemoveAll(res.ArtifactsDir)
		}, SpecTimeout(3*time.Minute))
	}
})

// The runner must be able to say no: scenarios whose expectations are not
// met fail, with the reason in words.
var _ = Describe("the runner's verdicts", func() {
	run := func(ctx SpecContext, yaml string) reports.Scenario {
		sc, err := scenarios.Parse("inline.yaml", []byte(yaml), scenarios.DefaultTopologies)
		Expect(err).NotTo(HaveOccurred())
		return scenarios.Run(ctx, sc, scenarios.Options{OutDir: GinkgoT().TempDir(), Seed: 7})
	}

	It("fails an expected TLS failure that does not happen, naming what it saw", func(ctx SpecContext) {
		res := run(ctx, `
name: expects a failure on a healthy network
topology: hub-and-spokes
steps: [{start: all}, {await: {bridge: server-a->hub, state: up, within: 10s}}]
expect:
  tls: [{link: server-a->hub, side: client, failure: unknown-authority}]
`)
		Expect(res).NotTo(scenarios.Pass())
		Expect(res.Failures).To(ContainElement(ContainSubstring("expected a TLS failure unknown-authority on the client side of server-a->hub; saw no TLS failure on that link")))
	}, SpecTimeout(time.Minute))

	It("fails an await that never happens, with the last state seen", func(ctx SpecContext) {
		res := run(ctx, `
name: waits for a failure that never comes
topology: hub-and-spokes
steps: [{start: all}, {await: {bridge: server-a->hub, state: failing, within: 1s}}]
`)
		Expect(res.Status).To(Equal(reports.StatusFailed))
		Expect(res.Failures[0]).To(ContainSubstring("did not become failing within 1s; last seen up"))
	}, SpecTimeout(time.Minute))

	It("counts messages that never arrive as lost", func(ctx SpecContext) {
		res := run(ctx, `
name: consumer on the wrong queue
topology: hub-and-spokes
steps:
  - start: all
  - await: {bridge: server-a->hub, state: up, within: 10s}
  - produce: {node: server-a, dest: /queue/a, count: 3}
  - consume: {node: server-a, dest: /queue/b, count: 3, within: 300ms}
expect:
  delivery: {lost: 0}
`)
		Expect(res.Status).To(Equal(reports.StatusFailed))
		Expect(res.Failures).To(ContainElement(ContainSubstring("expected 0 lost, 3 of 3 confirmed messages were never received")))
		Expect(res.Delivery.Lost).To(Equal(3))
	}, SpecTimeout(time.Minute))

	It("keeps the artifacts of a failed scenario", func(ctx SpecContext) {
		res := run(ctx, `
name: fails on purpose
topology: hub-and-spokes
steps: [{start: all}, {await: {bridge: server-a->hub, state: failing, within: 200ms}}]
`)
		Expect(res.ArtifactsDir).NotTo(BeEmpty())
		Expect(filepath.Join(res.ArtifactsDir, "events.log")).To(BeAnExistingFile())
		Expect(filepath.Join(res.ArtifactsDir, "pki", "hub", "cert.pem")).To(BeAnExistingFile())
	}, SpecTimeout(time.Minute))
})
