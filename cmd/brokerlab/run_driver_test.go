package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --driver process runs every node as a child `brokerlab broker` of the
// run itself; the verdict is the same, read from the children's events.
func TestRunDriverProcess(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "duplex.yaml", duplexScenario)
	out := filepath.Join(dir, "out")
	r := brokerlab(t, "run", file, "--driver", "process", "--out", out, "--keep", "--seed", "7")
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "PASS: 1 passed, 0 failed") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	// Each node was a process of its own, with its own stderr log.
	logs, _ := filepath.Glob(filepath.Join(out, "runs", "*", "nodes", "*", "stderr.log"))
	if len(logs) != 3 {
		t.Fatalf("want 3 node logs (hub, server-a, server-b), found %v", logs)
	}
	data, err := os.ReadFile(logs[0])
	if err != nil || !strings.Contains(string(data), `"kind"`) {
		t.Fatalf("node log %s has no JSON event records: %v\n%s", logs[0], err, data)
	}
}

func TestRunDriverUnknown(t *testing.T) {
	r := brokerlab(t, "run", "--driver", "vm")
	if r.code != exitUsage || !strings.Contains(r.stderr, `--driver "vm": use one of inproc, process, container, activemq`) {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}
