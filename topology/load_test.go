package topology

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// tutorial is the "topology: the classic tutorial" example of
// shared/DESIGN.md, verbatim: it must keep loading as written.
const tutorial = `# topology: the classic tutorial, self-signed identities and shared truststores
name: hub-and-spokes
nodes:
  hub:
    listen: ["stomp+ssl://127.0.0.1:0?needClientAuth=true"]
    tls: {identity: {self_signed: true}, trust: [hub, server-a, server-b]}
  server-a:
    listen: ["stomp://127.0.0.1:0"]
    tls: {identity: {self_signed: true}, trust: [server-a, hub]}
    connect: [{to: hub, duplex: true, dynamicOnly: false}]
  server-b: {like: server-a}
`

func mustParse(t *testing.T, src string) *Spec {
	t.Helper()
	spec, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return spec
}

// parseErrors returns the problems Parse finds as "line:col: msg".
func parseErrors(t *testing.T, src string) []string {
	t.Helper()
	spec, err := Parse("test.yaml", []byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded, want errors; got %+v", spec)
	}
	if spec != nil {
		t.Errorf("Parse returned a spec along with errors")
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want ErrorList: %v", err, err)
	}
	var out []string
	for _, e := range list {
		if e.File != "test.yaml" {
			t.Errorf("error %q has File %q, want test.yaml", e.Msg, e.File)
		}
		out = append(out, strings.TrimPrefix(e.Error(), "test.yaml:"))
	}
	return out
}

// stripPos zeroes positions and File, so that specs can be compared by
// content.
func stripPos(s *Spec) *Spec {
	c := s.Clone()
	c.File = ""
	for _, a := range c.Authorities {
		a.Pos = Pos{}
	}
	for _, n := range c.Nodes {
		n.Pos = Pos{}
		if n.TLS != nil {
			n.TLS.Pos = Pos{}
		}
		for _, con := range n.Connect {
			con.Pos = Pos{}
		}
	}
	return c
}

func selfSigned(trust ...string) *NodeTLS {
	return &NodeTLS{Identity: Identity{SelfSigned: true}, Trust: trust}
}

func TestParseTutorial(t *testing.T) {
	got := stripPos(mustParse(t, tutorial))
	want := &Spec{
		Name: "hub-and-spokes",
		Nodes: []*Node{
			{Name: "hub", Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"},
				TLS: selfSigned("hub", "server-a", "server-b")},
			{Name: "server-a", Listen: []string{"stomp://127.0.0.1:0"}, TLS: selfSigned("server-a", "hub"),
				Connect: []*Connector{{To: "hub", Duplex: true}}},
			{Name: "server-b", Listen: []string{"stomp://127.0.0.1:0"}, TLS: selfSigned("server-b", "hub"),
				Connect: []*Connector{{To: "hub", Duplex: true}}, Like: "server-a"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tutorial parsed as\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestParsePositions(t *testing.T) {
	spec := mustParse(t, tutorial)
	if got, want := spec.Node("hub").Pos, (Pos{4, 3}); got != want {
		t.Errorf("hub at %v, want %v", got, want)
	}
	if got, want := spec.Node("server-a").Connect[0].Pos, (Pos{10, 15}); got != want {
		t.Errorf("server-a's connector at %v, want %v", got, want)
	}
	if got, want := spec.Node("hub").TLS.Pos, (Pos{6, 10}); got != want {
		t.Errorf("hub's tls at %v, want %v", got, want)
	}
	if spec.File != "" {
		t.Errorf("Parse set File to %q; only Load sets it", spec.File)
	}
}

func TestParseConnectorFields(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		conn string
		want Connector
	}{
		{"defaults", `{to: hub}`, Connector{To: "hub"}},
		{"all", `{to: hub, name: a-to-hub, duplex: true, dynamicOnly: true, networkTTL: 3,
		  initialReconnectDelay: 500ms, maxReconnectDelay: 30s, useExponentialBackOff: false}`,
			Connector{To: "hub", Name: "a-to-hub", Duplex: true, DynamicOnly: true, NetworkTTL: 3,
				InitialReconnectDelay: 500 * time.Millisecond, MaxReconnectDelay: 30 * time.Second,
				UseExponentialBackOff: &no}},
		{"milliseconds as integers, as ActiveMQ", `{to: hub, initialReconnectDelay: 1000, maxReconnectDelay: 30000, useExponentialBackOff: true}`,
			Connector{To: "hub", InitialReconnectDelay: time.Second, MaxReconnectDelay: 30 * time.Second, UseExponentialBackOff: &yes}},
		{"zero delay", `{to: hub, initialReconnectDelay: 0}`, Connector{To: "hub"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "name: t\nnodes:\n  hub: {listen: [\"stomp://127.0.0.1:0\"]}\n  a:\n    connect: [" + tt.conn + "]\n"
			spec := stripPos(mustParse(t, src))
			got := spec.Node("a").Connect
			if len(got) != 1 || !reflect.DeepEqual(*got[0], tt.want) {
				t.Errorf("connector = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, s *Spec)
	}{
		{"null node is an empty node", "name: t\nnodes:\n  spare:\n", func(t *testing.T, s *Spec) {
			if n := s.Node("spare"); n == nil || n.Listen != nil || n.TLS != nil || n.Connect != nil {
				t.Errorf("spare = %+v", n)
			}
		}},
		{"authorities in order, null or empty", "name: t\nauthorities: {b: {}, a: }\nnodes: {x: }\n", func(t *testing.T, s *Spec) {
			if len(s.Authorities) != 2 || s.Authorities[0].Name != "b" || s.Authorities[1].Name != "a" {
				t.Errorf("authorities = %+v", s.Authorities)
			}
			if s.Authorities[1].Pos != (Pos{2, 22}) {
				t.Errorf("authority a at %v", s.Authorities[1].Pos)
			}
		}},
		{"nodes keep file order", "name: t\nnodes: {z: , a: , m: }\n", func(t *testing.T, s *Spec) {
			var names []string
			for _, n := range s.Nodes {
				names = append(names, n.Name)
			}
			if strings.Join(names, ",") != "z,a,m" {
				t.Errorf("order = %v", names)
			}
		}},
		{"tls without identity", "name: t\nnodes:\n  hub: {listen: [\"stomp+ssl://h:1\"], tls: {identity: {self_signed: true}}}\n  a: {tls: {trust: [hub]}, connect: [{to: hub}]}\n", func(t *testing.T, s *Spec) {
			if a := s.Node("a"); a.HasIdentity() || a.TLS == nil || a.TLS.Trust[0] != "hub" {
				t.Errorf("a.TLS = %+v", a.TLS)
			}
		}},
		{"issuer", "name: t\nauthorities: {root: }\nnodes:\n  a: {tls: {identity: {issuer: root}, trust: [root]}}\n", func(t *testing.T, s *Spec) {
			if id := s.Node("a").TLS.Identity; id != (Identity{Issuer: "root"}) {
				t.Errorf("identity = %+v", id)
			}
		}},
		{"aliases are followed", "name: t\nnodes:\n  a: {listen: &l [\"stomp://127.0.0.1:0\"]}\n  b: {listen: *l}\n", func(t *testing.T, s *Spec) {
			if got := s.Node("b").Listen; len(got) != 1 || got[0] != "stomp://127.0.0.1:0" {
				t.Errorf("b.Listen = %v", got)
			}
		}},
		{"numeric names are names", "name: 2024\nnodes:\n  7: \n", func(t *testing.T, s *Spec) {
			if s.Name != "2024" || s.Node("7") == nil {
				t.Errorf("spec = %+v", s)
			}
		}},
		{"ipv6 listener", "name: t\nnodes:\n  a: {listen: [\"stomp://[::1]:61613\"]}\n", func(t *testing.T, s *Spec) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustParse(t, tt.src))
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.yaml")
	if err := os.WriteFile(path, []byte(tutorial), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if spec.File != path {
		t.Errorf("File = %q, want %q", spec.File, path)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "topology: open ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a topology: open … not-exist error", err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nnodes: {a: {lissten: []}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if err == nil || !strings.HasPrefix(err.Error(), bad+":2:13: unknown key \"lissten\"") {
		t.Errorf("Load(bad) = %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "a.yaml", Pos: Pos{3, 5}, Msg: "m"}, "a.yaml:3:5: m"},
		{&Error{File: "a.yaml", Pos: Pos{3, 0}, Msg: "m"}, "a.yaml:3: m"},
		{&Error{File: "a.yaml", Msg: "m"}, "a.yaml: m"},
		{&Error{Msg: "m"}, "topology: m"},
		{&Error{Pos: Pos{1, 2}, Msg: "m"}, "topology:1:2: m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	list := ErrorList{tests[0].err, tests[3].err}
	if got, want := list.Error(), "a.yaml:3:5: m\ntopology: m"; got != want {
		t.Errorf("ErrorList.Error() = %q, want %q", got, want)
	}
	var e *Error
	if !errors.As(error(list), &e) || e != tests[0].err {
		t.Errorf("errors.As did not find the first *Error")
	}
	if (ErrorList{}).err() != nil {
		t.Errorf("empty list is a non-nil error")
	}
}

// TestParseReportsEverything checks that one run reports all the mistakes
// of a file, in file order, each at its own line.
func TestParseReportsEverything(t *testing.T) {
	got := parseErrors(t, threeMistakes)
	want := []string{
		`4:5: unknown key "lissten" in node "hub"; allowed: listen, tls, connect, like, security`,
		`7:50: node "server-a": tls.trust entry "hubb" names no node or authority; nodes: hub, server-a; authorities: (none)`,
		`8:37: node "server-a": connect[0].networkTTL must be an integer ≥ 1, got the string "two"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

const threeMistakes = `name: three-mistakes
nodes:
  hub:
    lissten: ["stomp://127.0.0.1:0"]
    listen: ["stomp://127.0.0.1:0"]
  server-a:
    tls: {identity: {self_signed: true}, trust: [hubb]}
    connect: [{to: hub, networkTTL: two}]
`

func dump(s *Spec) string {
	var b strings.Builder
	for _, n := range s.Nodes {
		b.WriteString(n.Name + ": ")
		b.WriteString(strings.Join(n.Listen, " "))
		if n.TLS != nil {
			b.WriteString(" tls=" + strings.Join(n.TLS.Trust, ","))
		}
		for _, c := range n.Connect {
			b.WriteString(" ->" + c.To)
		}
		b.WriteString(" like=" + n.Like + "\n")
	}
	return b.String()
}
