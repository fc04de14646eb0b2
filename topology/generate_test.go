package topology

import (
	"reflect"
	"testing"
)

func TestHubAndSpokesMatchesExamples(t *testing.T) {
	tests := []struct {
		example string
		o       HubAndSpokesOptions
	}{
		{"hub-and-spokes", HubAndSpokesOptions{}},
		{"hub-and-spokes", HubAndSpokesOptions{Spokes: 2, NetworkTTL: 2}},
		{"hub-and-spokes-ca", HubAndSpokesOptions{CA: true}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			want, err := Example(tt.example)
			if err != nil {
				t.Fatal(err)
			}
			got := HubAndSpokes(tt.o)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !reflect.DeepEqual(stripPos(got), stripPos(want)) {
				t.Errorf("HubAndSpokes(%+v) =\n%s\nwant\n%s", tt.o, dump(got), dump(want))
			}
		})
	}
}

func TestHubAndSpokesOptions(t *testing.T) {
	spec := HubAndSpokes(HubAndSpokesOptions{Spokes: 28, NetworkTTL: 3})
	if err := spec.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(spec.Nodes) != 29 {
		t.Fatalf("%d nodes, want 29", len(spec.Nodes))
	}
	for i, want := range map[int]string{1: "server-a", 26: "server-z", 27: "server-aa", 28: "server-ab"} {
		if got := spec.Nodes[i].Name; got != want {
			t.Errorf("node %d is %q, want %q", i, got, want)
		}
	}
	if got := spec.Node("hub").TLS.Trust; len(got) != 29 || got[0] != "hub" || got[28] != "server-ab" {
		t.Errorf("hub trusts %v", got)
	}
	for _, l := range spec.Links() {
		if c := spec.Connector(l); l.To != "hub" || c.NetworkTTL != 3 || !c.Duplex {
			t.Errorf("%s: %+v", l, c)
		}
	}
}

func TestSpokeSuffix(t *testing.T) {
	for i, want := range map[int]string{0: "a", 25: "z", 26: "aa", 51: "az", 52: "ba", 701: "zz", 702: "aaa"} {
		if got := spokeSuffix(i); got != want {
			t.Errorf("spokeSuffix(%d) = %q, want %q", i, got, want)
		}
	}
}
