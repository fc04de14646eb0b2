package topology

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExamples(t *testing.T) {
	if got, want := Examples(), []string{"chain-ttl1", "chain-ttl2", "hub-and-spokes", "hub-and-spokes-ca", "hub-and-spokes-keystores", "hub-filters", "hub-want-client-auth", "mesh-20", "ring-5", "sec-bridge-authz", "sec-bridge-wrong-password", "sec-cert-or-password", "sec-cert-required", "sec-dual-stack", "sec-guest", "sec-location", "sec-mtls-groups", "sec-requisite", "sec-users"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Examples() = %v, want %v", got, want)
	}
	for _, name := range Examples() {
		t.Run(name, func(t *testing.T) {
			spec, err := Example(name)
			if err != nil {
				t.Fatal(err)
			}
			if spec.Name != name {
				t.Errorf("Name = %q, want the file's name %q", spec.Name, name)
			}
			if want := "topology/examples/" + name + ".yaml"; spec.File != want {
				t.Errorf("File = %q, want %q", spec.File, want)
			}
			// The embedded copy is the file in the tree.
			fromDisk, err := Load(filepath.Join("examples", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stripPos(spec), stripPos(fromDisk)) {
				t.Errorf("embedded and on-disk examples differ")
			}
			if err := spec.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestExampleIsAFreshCopy(t *testing.T) {
	a, err := Example("hub-and-spokes")
	if err != nil {
		t.Fatal(err)
	}
	a.Nodes[0].Name = "changed"
	b, err := Example("hub-and-spokes")
	if err != nil {
		t.Fatal(err)
	}
	if b.Nodes[0].Name != "hub" {
		t.Errorf("a change to one Example result leaked into the next")
	}
}

func TestExampleUnknown(t *testing.T) {
	for _, name := range []string{"nope", "../hub-and-spokes", "hub-and-spokes.yaml", ""} {
		_, err := Example(name)
		if err == nil || !strings.Contains(err.Error(), "topology: no built-in topology") ||
			!strings.Contains(err.Error(), "hub-and-spokes-ca") {
			t.Errorf("Example(%q) = %v, want an error listing the examples", name, err)
		}
	}
}

func TestExampleShapes(t *testing.T) {
	ss, err := Example("hub-and-spokes")
	if err != nil {
		t.Fatal(err)
	}
	if c := ss.Connector(Link{"server-b", "hub"}); c == nil || c.NetworkTTL != 2 || !c.Duplex || c.DynamicOnly {
		t.Errorf("server-b->hub = %+v, want duplex, networkTTL 2", c)
	}
	if got := ss.Node("server-b").TLS.Trust; !reflect.DeepEqual(got, []string{"server-b", "hub"}) {
		t.Errorf("server-b trusts %v", got)
	}
	ca, err := Example("hub-and-spokes-ca")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ca.Nodes {
		if n.TLS.Identity.Issuer != "root" || !reflect.DeepEqual(n.TLS.Trust, []string{"root"}) {
			t.Errorf("%s: tls = %+v, want issued by and trusting root", n.Name, n.TLS)
		}
	}
}

// TestExamplesCommented keeps the reason for networkTTL: 2 next to it.
func TestExamplesCommented(t *testing.T) {
	data, err := os.ReadFile("examples/hub-and-spokes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "default networkTTL=1") {
		t.Errorf("hub-and-spokes.yaml lost the comment explaining networkTTL: 2")
	}
}
