package scenarios

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/reports"
)

// TestCatalogQuick runs each catalogue scenario named by BROKERLAB_ONLY
// (substring), for iterating on one scenario with plain go test; the Ginkgo
// suite runs them all.
func TestCatalogQuick(t *testing.T) {
	only := os.Getenv("BROKERLAB_ONLY")
	if only == "" {
		t.Skip("set BROKERLAB_ONLY=<name substring> to run one catalogue scenario here; the Ginkgo suite runs them all")
	}
	cat, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range cat {
		if !strings.Contains(sc.Name, only) {
			continue
		}
		res := Run(context.Background(), sc, Options{OutDir: t.TempDir(), Seed: 1, Keep: true})
		for _, l := range res.Events {
			t.Log(l)
		}
		t.Logf("delivery: %+v steps: %+v", res.Delivery, res.Steps)
		for _, e := range res.Explanations {
			t.Log("explain: " + e)
		}
		if res.Status != reports.StatusPassed {
			t.Fatalf("%s: %s\n%s", sc.Name, res.Status, strings.Join(res.Failures, "\n"))
		}
	}
}
