package scenarios_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/brokerlab/brokerlab/internal/needs"
	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/scenarios"
)

// The same probes and verdicts against real ActiveMQ 5.17, every node an
// ActiveMQ JVM (at most three at once), its events read from its log:
// delivery spoke -> hub -> spoke over OpenWire ssl:// bridges with
// networkTTL 2, and a spoke that lacks the hub's certificate, pass as
// they do on our broker.
var _ = Describe("the catalogue on the activemq driver", Label("activemq"), func() {
	for _, prefix := range []string{"01-", "04-"} {
		sc := catalogFile(prefix)
		It(sc.Name, func(ctx SpecContext) {
			needs.ActiveMQ(GinkgoTB())
			res := scenarios.Run(ctx, sc, scenarios.Options{OutDir: artifacts(), Seed: GinkgoRandomSeed(), Driver: scenarios.DriverActiveMQ})
			Expect(res).To(scenarios.Pass())
		}, SpecTimeout(3*time.Minute))
	}

	// Where Java and Go disagree, the Go-written expectation fails on
	// ActiveMQ because its bridge comes up: an expired self-signed hub
	// certificate pinned in the truststore (Java does not check a trust
	// anchor's dates), and a CN-only hub certificate (Java falls back to
	// the CN when there is no SAN; the connector dials the hub by name).
	for _, prefix := range []string{"08-", "11-"} {
		sc := catalogFile(prefix)
		It("Java accepts what Go refuses: "+sc.Name, func(ctx SpecContext) {
			needs.ActiveMQ(GinkgoTB())
			res := scenarios.Run(ctx, sc, scenarios.Options{OutDir: GinkgoT().TempDir(), Seed: GinkgoRandomSeed(), Driver: scenarios.DriverActiveMQ})
			Expect(res.Status).To(Equal(reports.StatusFailed))
			Expect(res.Failures[0]).To(ContainSubstring("did not become failing within 10s; last seen up"))
		}, SpecTimeout(3*time.Minute))
	}

	It("refuses fault steps and after-generation mutations, saying why", func(ctx SpecContext) {
		res := scenarios.Run(ctx, catalogFile("03-"), scenarios.Options{OutDir: GinkgoT().TempDir(), Driver: scenarios.DriverActiveMQ})
		Expect(res.Status).To(Equal(reports.StatusError))
		Expect(res.Failures).To(ContainElement(ContainSubstring("driver activemq cannot run fault steps")))
		res = scenarios.Run(ctx, catalogFile("18-"), scenarios.Options{OutDir: GinkgoT().TempDir(), Driver: scenarios.DriverActiveMQ})
		Expect(res.Failures).To(ContainElement(ContainSubstring("ActiveMQ loads the JKS stores")))
	})
})
