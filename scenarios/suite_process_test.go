package scenarios_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/scenarios"
)

// The same scenarios with every node a `brokerlab broker` child process:
// verdicts must come from events read over the nodes' admin endpoints,
// exactly as in-process. A delivery, a partition, two certificate
// mistakes (one refused by the dialler, one by the hub checking a CRL) and
// a hub process SIGKILLed and started again, its spokes reconnecting.
var _ = Describe("the catalogue on the process driver", Label("process"), func() {
	for _, prefix := range []string{"01-", "03-", "04-", "18-", "50-"} {
		var sc *scenarios.Scenario
		for _, c := range catalog {
			if strings.HasPrefix(baseName(c.File), prefix) {
				sc = c
			}
		}
		if sc == nil {
			It("has catalogue scenario "+prefix, func() { Fail("no catalogue file starts with " + prefix) })
			continue
		}
		It(sc.Name, func(ctx SpecContext) {
			bin := drivertest.Brokerlab(GinkgoT(), false)
			res := scenarios.Run(ctx, sc, scenarios.Options{OutDir: artifacts(), Seed: GinkgoRandomSeed(), Driver: scenarios.DriverProcess, Binary: bin})
			Expect(res).To(scenarios.Pass())
		}, SpecTimeout(3*time.Minute))
	}

	It("refuses an unknown driver, naming the field", func(ctx SpecContext) {
		res := scenarios.Run(ctx, catalog[0], scenarios.Options{OutDir: GinkgoT().TempDir(), Driver: "vm"})
		Expect(res.Failures).To(ContainElement(ContainSubstring(`Options.Driver "vm": use one of [inproc process container activemq]`)))
	})
})

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
