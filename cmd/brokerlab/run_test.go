package main

import (
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// duplexScenario is scenarios/catalog/02-duplex-hub-to-spoke.yaml, copied
// so that the test does not change when the catalogue does.
const duplexScenario = `# Duplex: the hub never dials server-a, yet a message sent on the hub
# reaches a consumer on server-a over the bridge server-a opened.
name: duplex bridge carries hub to spoke over the spoke's connection
labels: [duplex, network, tls]
topology: hub-and-spokes
steps:
  - start: all
  - await: {bridge: server-a->hub, state: up, within: 10s}
  - produce: {node: hub, dest: /queue/replies, count: 10}
  - consume: {node: server-a, dest: /queue/replies, count: 10, within: 10s}
expect:
  delivery: {lost: 0, duplicates: 0, order: per-producer}
`

// badScenario has two mistakes, on lines 5 and 6.
const badScenario = `name: a scenario with mistakes
topology: hub-and-spokes
steps:
  - start: all
  - await: {bridge: server-a->hub, state: upp, within: 10s}
  - produec: {node: hub, dest: /queue/x, count: 1}
`

func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunScenarioFileWritesJUnit(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "duplex.yaml", duplexScenario)
	out := filepath.Join(dir, "out")
	junit := filepath.Join(dir, "reports", "junit.xml")
	r := brokerlab(t, "run", file, "--out", out, "--junit", junit, "--json", filepath.Join(out, "report.json"), "--seed", "7")
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"seed 7", "PASS: 1 passed, 0 failed", junit} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, r.stdout)
		}
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, data)
	}
	if suites.Tests != 1 || suites.Failures != 0 || suites.Errors != 0 {
		t.Errorf("junit.xml counts tests=%d failures=%d errors=%d, want 1, 0, 0", suites.Tests, suites.Failures, suites.Errors)
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
		t.Errorf("--json: %v", err)
	}
}

var position = regexp.MustCompile(`bad\.yaml:\d+:\d+: `)

func TestValidateReportsPositions(t *testing.T) {
	dir := t.TempDir()
	bad := writeTestFile(t, dir, "bad.yaml", badScenario)
	r := brokerlab(t, "validate", bad)
	if r.code != exitFail {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFail, r.stderr)
	}
	if n := len(position.FindAllString(r.stderr, -1)); n != 2 {
		t.Errorf("want both mistakes as bad.yaml:line:col, found %d:\n%s", n, r.stderr)
	}

	good := writeTestFile(t, dir, "good.yaml", duplexScenario)
	topo, err := os.ReadFile("../../topology/examples/hub-and-spokes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir), "network.yaml", string(topo))
	r = brokerlab(t, "validate", good, filepath.Join(dir, "network.yaml"))
	if r.code != exitOK || r.stdout != "ok: 1 scenarios, 1 topologies\n" {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant 0 and ok: 1 scenarios, 1 topologies", r.code, r.stdout, r.stderr)
	}
}

// A scenario file with errors stops `run` before anything runs: exit 2,
// every error with its position.
func TestRunLoadErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	bad := writeTestFile(t, dir, "bad.yaml", badScenario)
	r := brokerlab(t, "run", "--out", filepath.Join(dir, "out"), bad)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitUsage, r.stderr)
	}
	if n := len(position.FindAllString(r.stderr, -1)); n != 2 {
		t.Errorf("want both mistakes as bad.yaml:line:col, found %d:\n%s", n, r.stderr)
	}
}

// A label that matches nothing must not turn CI green.
func TestRunLabelMatchingNothingFails(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "duplex.yaml", duplexScenario)
	r := brokerlab(t, "run", "--out", filepath.Join(dir, "out"), "--label", "no-such-label", file)
	if r.code != exitFail || !strings.Contains(r.stderr, "labels in use: duplex, network, tls") {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and the labels in use", r.code, r.stderr)
	}
}

// The report names the driver the nodes ran on, not always inproc.
func TestRunReportNamesItsDriver(t *testing.T) {
	for _, driver := range []string{"inproc", "process"} {
		report, _ := runAll(context.Background(), nil, &runFlags{driver: driver}, io.Discard)
		if got := report.Environment["driver"]; got != driver {
			t.Errorf("--driver %s: the report says driver %q", driver, got)
		}
	}
}
