package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/brokerlab/brokerlab/scenarios"
)

// The CLI's whole output for the security scenarios — progress lines with
// every step (-v), JUnit, JSON and Markdown reports, every kept artifact —
// holds none of the passwords, passcodes or keystore passwords they use.
// (The Ginkgo suite checks every catalogue scenario's broker logs and
// reports the same way.)
func TestRunPrintsNoSecrets(t *testing.T) {
	cat, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, sc := range cat {
		if slices.Contains(sc.Labels, "security") {
			secrets = append(secrets, sc.Secrets()...)
		}
	}
	if len(secrets) < 10 {
		t.Fatalf("only %d secrets in the security scenarios", len(secrets))
	}
	out := filepath.Join(t.TempDir(), "out")
	r := brokerlab(t, "run", "--label", "security", "-v", "--keep", "--out", out,
		"--json", filepath.Join(out, "report.json"), "--markdown", filepath.Join(out, "report.md"))
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	outputs, err := scenarios.ReadTree(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"junit.xml", "report.json", "report.md"} {
		if _, ok := outputs[filepath.Join(out, f)]; !ok {
			t.Fatalf("no %s written", f)
		}
	}
	outputs["stdout"], outputs["stderr"] = []byte(r.stdout), []byte(r.stderr)
	if leaks := scenarios.Leaks(secrets, outputs); len(leaks) > 0 {
		t.Fatalf("secrets in the output:\n%v", leaks)
	}
}
