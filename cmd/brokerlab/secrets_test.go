package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"

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

// `brokerlab broker --security FILE` takes a node's security block on its
// own; a mistake in it is reported at its line and column.
func TestBrokerSecurityFlag(t *testing.T) {
	dir := t.TempDir()
	good := writeTestFile(t, dir, "security.yaml", "users: {alice: alice-Pa55}\ngroups: {admins: [alice]}\nauthorization: [{queue: \">\", read: [admins], write: [admins], admin: [admins]}]\n")
	p := start(t, "hub", "broker", "--name", "hub", "--listen", "stomp://127.0.0.1:0", "--security", good)
	addr := p.readyLines(t, 1)[0].Listeners[0].Addr
	if _, err := stomp.Dial("tcp", addr, stomp.ConnOpt.Login("alice", "wrong")); err == nil || !strings.Contains(err.Error(), "login failed: unknown login or wrong passcode") {
		t.Fatalf("wrong password: %v", err)
	}
	c, err := stomp.Dial("tcp", addr, stomp.ConnOpt.Login("alice", "alice-Pa55"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send("/queue/a", "text/plain", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	c.Disconnect()
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(p.stderr.String(), "alice-Pa55") || strings.Contains(p.stderr.String(), "wrong") {
		t.Fatalf("a passcode on stderr:\n%s", p.stderr.String())
	}

	bad := writeTestFile(t, dir, "bad.yaml", "users: {alice: x}\nlogin: [{module: users, flag: mandatory}]\n")
	r := brokerlab(t, "broker", "--name", "hub", "--listen", "stomp://127.0.0.1:0", "--security", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, bad+`:2:31: security.login[0].flag: "mandatory" is not a login flag`) {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
