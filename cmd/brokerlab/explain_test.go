package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var sampleLogs = filepath.Join("..", "..", "faults", "testdata", "logs")

func TestExplainActiveMQLogs(t *testing.T) {
	r := brokerlab(t, "explain", filepath.Join(sampleLogs, "activemq-spoke.log"), filepath.Join(sampleLogs, "activemq-hub.log"))
	if r.code != exitFail {
		t.Fatalf("exit %d, want %d (failures found); stderr:\n%s", r.code, exitFail, r.stderr)
	}
	for _, w := range []string{
		"activemq-spoke.log: 4 failures in 2 classes",
		"unknown-authority: 2 times (lines 6, 10)",
		"PKIX path building failed",
		"keytool -import -alias <peer>",
		"connection-reset: 2 times (lines 8, 12)",
		"Note: this log also has unknown-authority",
		"activemq-hub.log: 5 failures in 5 classes",
		"bad-certificate, said by the peer: 1 time (line 3)",
		"client-cert-required: 1 time (line 4)",
		"not-tls: 1 time (line 5)",
		"protocol-version: 1 time (line 6)",
		"bad-key-usage: 1 time (line 7)",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, r.stdout)
		}
	}
	// Causes come before the noise that hides them.
	if strings.Index(r.stdout, "connection-reset:") < strings.Index(r.stdout, "unknown-authority:") {
		t.Errorf("noise listed before the cause:\n%s", r.stdout)
	}
}

func TestExplainStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sampleLogs, "kafka-broker.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "explain", "-")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if cmd.ProcessState.ExitCode() != exitFail {
		t.Fatalf("exit %d (%v), want %d:\n%s", cmd.ProcessState.ExitCode(), err, exitFail, out)
	}
	for _, w := range []string{"stdin: 2 failures in 2 classes", "hostname-mismatch: 1 time (line 2)", "expired: 1 time (line 10)", "NotAfter:"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestExplainCleanAndMissing(t *testing.T) {
	clean := filepath.Join(t.TempDir(), "clean.log")
	os.WriteFile(clean, []byte("INFO | Apache ActiveMQ 5.17.6 (hub) started\nINFO | Listening for connections at: ssl://hub:61617\n"), 0o644)
	if r := brokerlab(t, "explain", clean); r.code != exitOK || !strings.Contains(r.stdout, "no TLS or authentication failures found") {
		t.Errorf("clean log: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := brokerlab(t, "explain", filepath.Join(t.TempDir(), "nope.log")); r.code != exitUsage || !strings.Contains(r.stderr, "nope.log") {
		t.Errorf("missing file: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := brokerlab(t, "explain"); r.code != exitUsage {
		t.Errorf("no file: exit %d", r.code)
	}
}
