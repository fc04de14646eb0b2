package scenarios_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/internal/needs"
	"github.com/brokerlab/brokerlab/scenarios"
)

// Catalogue scenarios without fault steps, every node a container on a
// Docker network of its own: delivery over mutual TLS, a spoke that lacks
// the hub's certificate, an expired hub certificate, an expired client
// certificate. Verdicts and explanations come from events read over the
// containers' published admin ports.
var _ = Describe("the catalogue on the container driver", Label("container"), func() {
	for _, prefix := range []string{"01-", "04-", "08-", "12-"} {
		sc := catalogFile(prefix)
		It(sc.Name, func(ctx SpecContext) {
			needs.Docker(GinkgoTB())
			bin := drivertest.Brokerlab(GinkgoT(), true)
			res := scenarios.Run(ctx, sc, scenarios.Options{OutDir: artifacts(), Seed: GinkgoRandomSeed(), Driver: scenarios.DriverContainer, Binary: bin})
			Expect(res).To(scenarios.Pass())
		}, SpecTimeout(3*time.Minute))
	}

	It("refuses a scenario with a fault step, saying why", func(ctx SpecContext) {
		res := scenarios.Run(ctx, catalogFile("03-"), scenarios.Options{OutDir: GinkgoT().TempDir(), Driver: scenarios.DriverContainer, Binary: drivertest.Brokerlab(GinkgoT(), true)})
		Expect(res.Failures).To(ContainElement(And(ContainSubstring("driver container cannot run fault steps"), ContainSubstring("line "))))
	})
})

// catalogFile is the catalogue scenario whose file name starts with prefix.
func catalogFile(prefix string) *scenarios.Scenario {
	for _, c := range catalog {
		if strings.HasPrefix(baseName(c.File), prefix) {
			return c
		}
	}
	Fail("no catalogue file starts with " + prefix)
	return nil
}
