package driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker/brokertest"
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

// users_file and groups_file are read relative to the topology file when
// the broker starts, in ActiveMQ's properties formats.
func TestRenderSecurityFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"t.yaml": `name: files
nodes:
  hub:
    listen: ["stomp://127.0.0.1:0"]
    security:
      users_file: conf/users.properties
      groups_file: conf/groups.properties
      authorization: [{queue: ">", read: [admins], write: [admins], admin: [admins]}]
`,
		"conf/users.properties":  "# user=password\nadmin=admin-Pa55\n",
		"conf/groups.properties": "admins=admin\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	spec, err := topology.Load(filepath.Join(dir, "t.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Render(spec, "hub", Addresses{"hub": {"127.0.0.1:0"}}, tlsconf.Files{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "conf", "users.properties"); o.Security.UsersFile != want {
		t.Fatalf("UsersFile %q, want %q", o.Security.UsersFile, want)
	}
	b := brokertest.NewBroker(t, o)
	c, err := stomp.Dial("tcp", b.Addr(), stomp.ConnOpt.Login("admin", "admin-Pa55"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send("/queue/a", "text/plain", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	c.Disconnect()
	if _, err := stomp.Dial("tcp", b.Addr(), stomp.ConnOpt.Login("admin", "nope")); err == nil {
		t.Fatal("a wrong password was let in")
	}
}
