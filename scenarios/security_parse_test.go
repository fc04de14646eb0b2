package scenarios

import (
	"slices"
	"strings"
	"testing"
)

func TestParseProbeErrors(t *testing.T) {
	src := `name: probes
topology: sec-users
steps:
  - probe: {node: hub, expect: maybe}
  - probe: {node: hub, expect: accepted, message: "x"}
  - probe: {node: hub, expect: refused, send: /queue/a, subscribe: /queue/b}
  - probe: {node: hub, expect: refused, send: orders}
  - probe: {node: hub, expect: refused, from: somewhere}
  - probe: {node: hub, expect: refused, passcode: p}
  - probe: {node: hub, expect: refused, cert: nobody}
  - probe: {node: hub, expect: refused, login: a, pasword: p}
  - produce: {node: hub, dest: /queue/a, from: 127.0.0.300}
expect:
  events:
    - {node: hub, kind: auth-failed, min: 3, max: 1}
`
	_, err := Parse("probes.yaml", []byte(src), DefaultTopologies)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{
		`probes.yaml:4:32: probe: expect must be accepted or refused, got "maybe"`,
		`probes.yaml:5:51: probe: message is what a refusal must say; it needs expect: refused`,
		`probes.yaml:6:12: probe: give send or subscribe, not both`,
		`probes.yaml:7:47: probe: send must start with /queue/, /topic/ or /temp-queue/, got "orders"`,
		`probes.yaml:8:47: from must be an IP address to bind the probe to, e.g. 127.0.0.2; got "somewhere"`,
		`probes.yaml:9:51: a passcode needs a login`,
		`probes.yaml:10:12: cert: topology sec-users has no node "nobody" (use none for no certificate)`,
		`probes.yaml:11:51: unknown key "pasword" in probe; allowed: cert, expect, from, login, message, node, passcode, send, subscribe`,
		`probes.yaml:12:48: from must be an IP address`,
		`probes.yaml:15:7: expect.events: min and max must satisfy 0 <= min <= max`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing error:\n  %s\ngot:\n%v", w, err)
		}
	}
}

// A probe's description names who it is but never the passcode, since
// step names go into every report.
func TestProbeDescribeHidesPasscode(t *testing.T) {
	sc, err := Parse("p.yaml", []byte(`name: p
topology: sec-users
steps:
  - probe: {node: hub, login: bob, passcode: bob-Pa55, from: 127.0.0.2, cert: none, send: /queue/a, expect: refused, message: "not authorized"}
  - produce: {node: hub, dest: /queue/a, login: alice, passcode: alice-Pa55}
  - consume: {node: hub, dest: /queue/a, count: 0, login: alice, passcode: alice-Pa55}
`), DefaultTopologies)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`probe hub as bob from 127.0.0.2 without a certificate: send to /queue/a, expect refused ("not authorized")`,
		`produce 1 × 256 B to /queue/a on hub as alice`,
		`consume 0 from /queue/a on hub as alice within 10s`,
	}
	for i, s := range sc.Steps {
		d := s.Describe()
		if d != want[i] {
			t.Errorf("step %d: %q, want %q", i, d, want[i])
		}
		if strings.Contains(d, "Pa55") {
			t.Errorf("step %d shows a passcode: %s", i, d)
		}
	}
}

func TestSecretsAndLeaks(t *testing.T) {
	cat, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var sc *Scenario
	for _, s := range cat {
		if strings.HasSuffix(s.File, "/84-wrong-password.yaml") {
			sc = s
		}
	}
	if sc == nil {
		t.Fatal("84-wrong-password.yaml not in the catalogue")
	}
	got := sc.Secrets()
	for _, want := range []string{"changeit", "bob-Pa55", "not-bobs-Pa55", "$2a$10$zRh/qj4gzzo6fy9mjkd0C.fp8GiBTHbfvTWJT7CqdCD5PgxBuPobK"} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() lacks %q: %q", want, got)
		}
	}
	leaks := Leaks(got, map[string][]byte{"clean": []byte("login failed for bob"), "dirty": []byte(`{"passcode":"not-bobs-Pa55"}`)})
	if len(leaks) != 1 || !strings.HasPrefix(leaks[0], "dirty contains secret #") || strings.Contains(leaks[0], "Pa55") {
		t.Fatalf("leaks %q", leaks)
	}
}
