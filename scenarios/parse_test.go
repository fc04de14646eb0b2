package scenarios

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	src := `name: broken
topology: hub-and-spokes
labels: [x]
stepz: []
steps:
  - start: nobody
  - await: {bridge: server-a->nowhere, state: up}
  - await: {bridge: server-a, state: sideways}
  - produce: {node: server-a, dest: orders, count: lots}
  - fault: {link: server-a->hub, kind: earthquake}
  - teleport: {node: hub}
  - consume: {node: server-b, dest: /queue/x, within: soon}
expect:
  tls: [{link: server-a->hub, side: middle, failure: sad}]
`
	_, err := Parse("bad.yaml", []byte(src), DefaultTopologies)
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`bad.yaml:4:1: unknown key "stepz" in scenario; allowed: expect, labels, mutate, name, steps, topology`,
		`bad.yaml:8:21: topology: link "server-a" is not of the form "from->to"`,
		`bad.yaml:8:38: await: state must be one of up, down, failing, tls-failed, auth-failed, retrying, connecting, stopped; got "sideways"`,
		`bad.yaml:9:37: dest must start with /queue/ or /topic/, got "orders"`,
		`bad.yaml:9:52: produce: "count" must be a whole number, got "lots"`,
		`bad.yaml:10:40: faults: unknown kind "earthquake"`,
		`bad.yaml:11:5: unknown step "teleport"; known: await, consume, durable, fault, kill, misroute, probe, produce, reply, request, rotate, sleep, squat, start, start-fails, stop`,
		`bad.yaml:12:55: consume: "within" must be a duration such as 500ms or 5s, got "soon"`,
		`bad.yaml:14:37: side must be client (the dialling node) or server, got "middle"`,
		`bad.yaml:14:54: unknown failure class "sad"`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing error:\n  %s\ngot:\n%v", w, err)
		}
	}
}

func TestParseNameErrors(t *testing.T) {
	src := `name: names
topology: hub-and-spokes
steps:
  - start: nobody
  - await: {bridge: server-a->nowhere, state: up}
  - consume: {node: ghost, dest: /queue/x}
`
	_, err := Parse("names.yaml", []byte(src), DefaultTopologies)
	for _, w := range []string{
		`names.yaml:4:12: start: topology hub-and-spokes has no node "nobody"`,
		`names.yaml:5:12: await: topology hub-and-spokes has no link server-a->nowhere`,
		`names.yaml:6:14: topology hub-and-spokes has no node "ghost"`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing error:\n  %s\ngot:\n%v", w, err)
		}
	}
}

func TestParseUnknownTopology(t *testing.T) {
	_, err := Parse("t.yaml", []byte("name: x\ntopology: atlantis\nsteps: [{start: all}]\n"), DefaultTopologies)
	if err == nil || !strings.Contains(err.Error(), `t.yaml:2:11: topology "atlantis" is neither a built-in example (`) {
		t.Fatalf("got %v", err)
	}
}

func TestCatalogLoads(t *testing.T) {
	cat, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) < 5 {
		t.Fatalf("catalogue has %d scenarios", len(cat))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("name: x\ntopology: hub-and-spokes\nsteps: [{start: all}]\n"))
	f.Add([]byte("steps: [{fault: {link: a->b, kind: latency, latency: 1s}}]"))
	f.Add([]byte("expect: {tls: [{link: x, side: client}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse("fuzz.yaml", data, DefaultTopologies) // must not panic
	})
}

func TestParseTLSSteps(t *testing.T) {
	src := `name: tls steps
topology: hub-and-spokes
mutate: [{node: hub, cert: wrong-keystore-password}]
steps:
  - rotate: {node: hub}
  - start-fails: {node: hub, failure: grumpy}
  - start-fails: {node: ghost, failure: key-mismatch}
`
	_, err := Parse("tls.yaml", []byte(src), DefaultTopologies)
	for _, w := range []string{
		`tls.yaml:5:13: rotate: hub needs a CA-signed identity`,
		`tls.yaml:6:39: start-fails: tlsconf: unknown TLS failure class "grumpy"`,
		`tls.yaml:7:18: start-fails: topology hub-and-spokes has no node "ghost"`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing error:\n  %s\ngot:\n%v", w, err)
		}
	}
}

// The catalogue runs in the order of its numbers: 08, 09, 10 … 99, 100.
func TestCatalogInNumberOrder(t *testing.T) {
	entries, err := fs.ReadDir(catalogFS, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) != len(entries) {
		t.Fatalf("%d scenarios from %d files", len(cat), len(entries))
	}
	last := -1
	for _, sc := range cat {
		n := catalogNumber(filepath.Base(sc.File))
		if n < last {
			t.Fatalf("%s (number %d) comes after number %d", sc.File, n, last)
		}
		last = n
	}
}
