package topology

import (
	"errors"
	"strings"
	"testing"
)

// TestValidate runs the checks on specs built in code: no positions, and
// the messages must still say which node and value are wrong.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *Spec)
		want   []string // messages, in order
	}{
		{"valid", func(s *Spec) {}, nil},
		{"no nodes", func(s *Spec) { s.Nodes = nil }, []string{"the topology has no nodes"}},
		{"nil node", func(s *Spec) { s.Nodes = append(s.Nodes, nil) }, []string{"nodes[3] is nil"}},
		{"bad name", func(s *Spec) { s.Nodes[2].Name = "server b" }, []string{
			`node name "server b" is not valid`,
			`node "hub": tls.trust entry "server-b" names no node or authority`,
			`node "server b": tls.trust entry "server-b" names no node or authority`,
		}},
		{"twice", func(s *Spec) { s.Nodes[2].Name = "server-a" }, []string{
			`node "server-a" is declared twice`,
			`node "hub": tls.trust entry "server-b" names no node or authority; nodes: hub, server-a; authorities: (none)`,
		}},
		{"both kinds of identity", func(s *Spec) {
			s.Authorities = []*Authority{{Name: "root"}}
			s.Nodes[0].TLS.Identity.Issuer = "root"
		}, []string{`node "hub": tls.identity is both self-signed and issued by "root"; choose one`}},
		{"issuer missing", func(s *Spec) { s.Nodes[0].TLS.Identity = Identity{Issuer: "root"} }, []string{`node "hub": tls.identity.issuer "root" names no authority`}},
		{"negative ttl", func(s *Spec) { s.Nodes[1].Connect[0].NetworkTTL = -1 }, []string{`node "server-a": connect[0].networkTTL is -1`}},
		{"empty to", func(s *Spec) { s.Nodes[1].Connect[0].To = "" }, []string{`node "server-a": connect[0] needs to: <node>`}},
		{"nil connector", func(s *Spec) { s.Nodes[1].Connect[0] = nil }, []string{`node "server-a": connect[0] is nil`}},
		{"spoke loses tls", func(s *Spec) { s.Nodes[1].TLS = nil }, []string{
			`node "hub": tls.trust names node "server-a", which has no tls identity to trust`,
			`node "server-a": connect[0] dials "hub", whose listeners all use stomp+ssl, but server-a has no tls`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := HubAndSpokes(HubAndSpokesOptions{})
			tt.mutate(spec)
			err := spec.Validate()
			var got []string
			var list ErrorList
			if err != nil && !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			for _, e := range list {
				if e.Pos != (Pos{}) || e.File != "" {
					t.Errorf("error %q has a position or file", e.Msg)
				}
				if !strings.HasPrefix(e.Error(), "topology: ") {
					t.Errorf("error %q lacks the topology: prefix", e.Error())
				}
				got = append(got, e.Msg)
			}
			ok := len(got) == len(tt.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tt.want[i])
			}
			if !ok {
				t.Errorf("errors:\n  %s\nwant (prefixes):\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"hub": true, "server-a": true, "a.b_c-1": true, "7": true,
		"": false, "-a": false, ".a": false, "..": false, "a/b": false, "a b": false, "é": false, "a>b": false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}
