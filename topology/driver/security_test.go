package driver

import (
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker/network"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// A node's security block becomes its broker's Security; a connector's
// userName and password reach the connector URI (escaped), which the
// broker redacts wherever it quotes it.
func TestRenderSecurity(t *testing.T) {
	spec, err := topology.Parse("s.yaml", []byte(`name: s
nodes:
  hub:
    listen: ["stomp://127.0.0.1:0"]
    security:
      users: {spoke: "p&ss=w)rd"}
      groups: {bridges: [spoke]}
      authorization: [{queue: ">", read: [bridges], write: [bridges], admin: [bridges]}]
  server-a:
    listen: ["stomp://127.0.0.1:0"]
    connect: [{to: hub, userName: spoke, password: "p&ss=w)rd"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	addrs := Addresses{"hub": {"127.0.0.1:1"}, "server-a": {"127.0.0.1:2"}}
	direct := func(_ topology.Link, up string) (string, error) { return up, nil }
	hub, err := Render(spec, "hub", addrs, tlsconf.Files{}, direct)
	if err != nil {
		t.Fatal(err)
	}
	if hub.Security == nil || hub.Security.Users["spoke"] != "p&ss=w)rd" || hub.Security.Login[0].Module != "users" || hub.Security.Authorization[0].Pattern != "/queue/>" {
		t.Fatalf("security %+v", hub.Security)
	}
	a, err := Render(spec, "server-a", addrs, tlsconf.Files{}, direct)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := network.ParseConnector(a.Connect[0])
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UserName != "spoke" || cfg.Password != "p&ss=w)rd" {
		t.Fatalf("connector credentials %q %q", cfg.UserName, cfg.Password)
	}
	if r := network.Redact(a.Connect[0]); strings.Contains(r, "ss=w") {
		t.Fatalf("redacted URI shows the password: %s", r)
	}
}
