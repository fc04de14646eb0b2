package main

import (
	"strings"
	"testing"
)

// A short bench: the command wires flags to scenarios/bench and prints the
// table with its ratio line. Numbers are not asserted: they depend on the
// machine.
func TestBenchPrintsRatio(t *testing.T) {
	r := brokerlab(t, "bench", "--count", "500", "--rounds", "1")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "tls/plaintext: ") {
		t.Errorf("stdout has no tls/plaintext ratio line:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "round 1/1") {
		t.Errorf("stderr has no progress lines:\n%s", r.stderr)
	}
}

func TestBenchBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{{"--size", "0"}, {"--count", "-1"}, {"--size", "1k"}, {"extra"}} {
		r := brokerlab(t, append([]string{"bench"}, args...)...)
		if r.code != exitUsage {
			t.Errorf("bench %v: exit %d, want %d; stderr:\n%s", args, r.code, exitUsage, r.stderr)
		}
	}
}
