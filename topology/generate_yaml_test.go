package topology

import (
	"strings"
	"testing"
)

func TestGenerateHubSpokeInAFile(t *testing.T) {
	spec, err := Parse("t.yaml", []byte(`
name: hub-100
generate:
  hub-spoke: {spokes: 100, ca: true}
nodes:
  monitor: {listen: ["stomp://127.0.0.1:0"], tls: {trust: [root]}, connect: [{to: hub}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Nodes) != 102 || spec.Nodes[0].Name != "hub" || spec.Nodes[100].Name != "server-cv" || spec.Nodes[101].Name != "monitor" {
		t.Fatalf("%d nodes: first %s, 101st %s", len(spec.Nodes), spec.Nodes[0].Name, spec.Nodes[100].Name)
	}
	if len(spec.Authorities) != 1 || len(spec.Links()) != 101 {
		t.Fatalf("authorities %v, %d links", spec.Authorities, len(spec.Links()))
	}
	if s := spec.Node("server-cv"); s.TLS.Identity.Issuer != "root" || !s.Connect[0].Duplex || s.Connect[0].NetworkTTL != 2 {
		t.Fatalf("spoke: %+v %+v", s.TLS, s.Connect[0])
	}
}

func TestGenerateErrors(t *testing.T) {
	for src, want := range map[string]string{
		"name: x\ngenerate: {hub-spoke: {ca: true}}\n":                                                     "needs spokes",
		"name: x\ngenerate: {hub-spoke: {spokes: 0}}\n":                                                    "must be ≥ 1",
		"name: x\ngenerate: {hub-spokes: {spokes: 2}}\n":                                                   "hub-spokes",
		"name: x\ngenerate: {hub-spoke: {spokes: 2, duplex: true}}\n":                                      "duplex",
		"name: x\ngenerate: {hub-spoke: {spokes: 2}}\nnodes: {hub: {listen: [\"stomp://127.0.0.1:0\"]}}\n": "hub",
	} {
		_, err := Parse("t.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

func TestGenerateShapes(t *testing.T) {
	for src, links := range map[string]int{
		"name: m\ngenerate: {mesh: {nodes: 20}}\n":                190,
		"name: r\ngenerate: {ring: {nodes: 5}}\n":                 5,
		"name: c\ngenerate: {chain: {nodes: 3, networkTTL: 2}}\n": 2,
	} {
		spec, err := Parse("t.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got := len(spec.Links()); got != links {
			t.Errorf("%q: %d links, want %d", src, got, links)
		}
	}
	if _, err := Parse("t.yaml", []byte("name: m\ngenerate: {mesh: {nodes: 1}}\n")); err == nil || !strings.Contains(err.Error(), "≥ 2") {
		t.Errorf("mesh of 1: %v", err)
	}
}
