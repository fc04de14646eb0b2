package topology

import (
	"reflect"
	"testing"
)

func TestLike(t *testing.T) {
	const hub = "  hub: {listen: [\"stomp+ssl://127.0.0.1:0\"], tls: {identity: {self_signed: true}, trust: [hub]}}\n"
	tests := []struct {
		name string
		src  string
		node string
		want *Node // positions ignored
	}{
		{
			name: "template declared later",
			src: "name: x\nnodes:\n" + hub +
				"  b: {like: a}\n" +
				"  a: {listen: [\"stomp://127.0.0.1:0\"], tls: {identity: {self_signed: true}, trust: [a, hub]}, connect: [{to: hub, networkTTL: 2}]}\n",
			node: "b",
			want: &Node{Name: "b", Like: "a", Listen: []string{"stomp://127.0.0.1:0"},
				TLS: selfSigned("b", "hub"), Connect: []*Connector{{To: "hub", NetworkTTL: 2}}},
		},
		{
			name: "chain renames at every step",
			src: "name: x\nnodes:\n" + hub +
				"  a: {listen: [\"stomp://127.0.0.1:0\"], tls: {identity: {self_signed: true}, trust: [a, hub]}, connect: [{to: hub}]}\n" +
				"  b: {like: a}\n  c: {like: b}\n",
			node: "c",
			want: &Node{Name: "c", Like: "b", Listen: []string{"stomp://127.0.0.1:0"},
				TLS: selfSigned("c", "hub"), Connect: []*Connector{{To: "hub"}}},
		},
		{
			name: "given keys replace the template's whole value",
			src: "name: x\nnodes:\n" + hub +
				"  a: {listen: [\"stomp://127.0.0.1:0\", \"stomp://127.0.0.1:0\"], tls: {identity: {self_signed: true}, trust: [a, hub]}, connect: [{to: hub, duplex: true}]}\n" +
				"  b: {like: a, listen: [\"stomp://localhost:0\"], connect: [{to: hub, networkTTL: 3}]}\n",
			node: "b",
			want: &Node{Name: "b", Like: "a", Listen: []string{"stomp://localhost:0"},
				TLS: selfSigned("b", "hub"), Connect: []*Connector{{To: "hub", NetworkTTL: 3}}},
		},
		{
			name: "null drops a key",
			src: "name: x\nnodes:\n" + hub +
				"  a: {listen: [\"stomp://127.0.0.1:0\"], tls: {identity: {self_signed: true}, trust: [a, hub]}, connect: [{to: hub}]}\n" +
				"  b: {like: a, tls: {trust: [hub]}, connect: }\n",
			node: "b",
			want: &Node{Name: "b", Like: "a", Listen: []string{"stomp://127.0.0.1:0"},
				TLS: &NodeTLS{Trust: []string{"hub"}}},
		},
		{
			name: "renaming does not leave a repeat",
			src: "name: x\nnodes:\n" +
				"  a: {tls: {identity: {self_signed: true}, trust: [a, b]}}\n" +
				"  b: {like: a}\n",
			node: "b",
			want: &Node{Name: "b", Like: "a", TLS: selfSigned("b")},
		},
		{
			name: "only the template's own name is renamed",
			src: "name: x\nnodes:\n" + hub +
				"  a: {tls: {identity: {self_signed: true}, trust: [hub, a]}}\n" +
				"  b: {like: a}\n",
			node: "b",
			want: &Node{Name: "b", Like: "a", TLS: selfSigned("hub", "b")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := stripPos(mustParse(t, tt.src))
			got := spec.Node(tt.node)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %s\nwant %s", tt.node, dump(&Spec{Nodes: []*Node{got}}), dump(&Spec{Nodes: []*Node{tt.want}}))
				if got.TLS != nil && tt.want.TLS != nil {
					t.Errorf("tls = %+v, want %+v", *got.TLS, *tt.want.TLS)
				}
			}
		})
	}
}

// TestLikeCopiesDeeply checks that a copy shares nothing with its
// template, so that changing one (a scenario's mutation, say) leaves the
// other alone.
func TestLikeCopiesDeeply(t *testing.T) {
	spec := mustParse(t, "name: x\nnodes:\n"+
		"  hub: {listen: [\"stomp://127.0.0.1:0\"], tls: {identity: {self_signed: true}}}\n"+
		"  a: {listen: [\"stomp://127.0.0.1:0\"], tls: {identity: {self_signed: true}, trust: [hub]}, connect: [{to: hub, useExponentialBackOff: true}]}\n"+
		"  b: {like: a}\n")
	a, b := spec.Node("a"), spec.Node("b")
	b.Listen[0] = "changed"
	b.TLS.Trust[0] = "changed"
	b.TLS.Identity.SelfSigned = false
	b.Connect[0].To = "changed"
	*b.Connect[0].UseExponentialBackOff = false
	if a.Listen[0] == "changed" || a.TLS.Trust[0] == "changed" || !a.TLS.Identity.SelfSigned ||
		a.Connect[0].To == "changed" || !*a.Connect[0].UseExponentialBackOff {
		t.Errorf("changing the copy changed the template: %s", dump(spec))
	}
}
