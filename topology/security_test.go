package topology

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/security"
)

const securedHub = `name: secured
nodes:
  hub:
    listen: ["stomp://127.0.0.1:0"]
    security:
      users: {alice: wonder, spoke: s-pass}
      groups: {admins: [alice, local], bridges: [spoke, server-a]}
      certificates: {server-a: "CN=server-a,O=brokerlab"}
      locations: [{cidr: 127.0.0.1/32, user: local}]
      guest: visitor
      login:
        - {module: certificate, flag: sufficient}
        - {module: location, flag: sufficient}
        - {module: users}
      login_rate: {failures: 5, per: 1m}
      authorization:
        - {queue: "orders.>", read: [admins, bridges], write: [bridges], admin: [admins]}
        - {topic: ">", read: ["*"]}
        - {temp: true, read: ["*"], write: ["*"], admin: ["*"]}
        - {advisory: true, read: [admins]}
  server-a:
    listen: ["stomp://127.0.0.1:0"]
    connect: [{to: hub, userName: spoke, password: s-pass}]
  server-b: {like: hub}
`

func TestSecurityBlock(t *testing.T) {
	spec, err := Parse("secured.yaml", []byte(securedHub))
	if err != nil {
		t.Fatal(err)
	}
	s := spec.Node("hub").Security
	c := s.Config()
	want := &security.Config{
		Users:        map[string]string{"alice": "wonder", "spoke": "s-pass"},
		Groups:       map[string][]string{"admins": {"alice", "local"}, "bridges": {"spoke", "server-a"}},
		Certificates: map[string]string{"server-a": "CN=server-a,O=brokerlab"},
		Locations:    []security.LocationRule{{CIDR: mustPrefix(t, "127.0.0.1/32"), User: "local"}},
		Guest:        "visitor",
		Login: []security.ModuleConfig{{Module: "certificate", Flag: security.Sufficient}, {Module: "location", Flag: security.Sufficient},
			{Module: "users", Flag: security.Required}},
		LoginRate: security.RateLimit{Failures: 5, Per: time.Minute},
		Authorization: []security.AuthzEntry{
			{Pattern: "/queue/orders.>", Read: []string{"admins", "bridges"}, Write: []string{"bridges"}, Admin: []string{"admins"}},
			{Pattern: "/topic/>", Read: []string{"*"}},
			{Temp: true, Read: []string{"*"}, Write: []string{"*"}, Admin: []string{"*"}},
			{Advisory: true, Read: []string{"admins"}},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("config\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if con := spec.Node("server-a").Connect[0]; con.UserName != "spoke" || con.Password != "s-pass" {
		t.Fatalf("connector %+v", con)
	}
	// like copies the block, deeply.
	b := spec.Node("server-b").Security
	if !reflect.DeepEqual(b, s) {
		t.Fatal("like did not copy security")
	}
	b.Groups["admins"][0] = "x"
	if s.Groups["admins"][0] != "alice" {
		t.Fatal("like shares the groups")
	}
	// Users alone mean a users stack.
	spec, err = Parse("u.yaml", []byte("name: u\nnodes:\n  a:\n    listen: [\"stomp://127.0.0.1:0\"]\n    security: {users: {a: b}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := spec.Node("a").Security.Config().Login; len(got) != 1 || got[0].Module != "users" {
		t.Fatalf("login %+v", got)
	}
}

func TestSecurityErrors(t *testing.T) {
	const head = "name: x\nnodes:\n  a:\n    listen: [\"stomp://127.0.0.1:0\"]\n    security:\n"
	for _, tt := range []struct{ name, block, want string }{
		{"unknown key", "      userz: {}\n", `6:7: unknown key "userz" in security of node "a"; allowed: users, users_file, groups, groups_file, certificates, certificates_file, locations, guest, login, login_tls, login_rate, authorization`},
		{"not a mapping", "      - users\n", `6:7: node "a": security must be a mapping`},
		{"bad flag", "      users: {u: p}\n      login: [{module: users, flag: mandatory}]\n", `7:37: node "a": security.login[0].flag: "mandatory" is not a login flag; use required, requisite, sufficient or optional`},
		{"unknown module", "      login: [{module: kerberos}]\n", `6:24: node "a": security.login[0].module: unknown login module "kerberos"; known: certificate, guest, location, users`},
		{"module needs data", "      login: [{module: certificate}]\n", `6:24: node "a": security.login[0].module: the certificate module needs security.certificates`},
		{"unknown login key", "      users: {u: p}\n      login: [{module: users, flags: required}]\n", `7:31: unknown key "flags" in node "a": security.login[0]; allowed: module, flag`},
		{"address not cidr", "      locations: [{cidr: 127.0.0.1, user: l}]\n      login: [{module: location}]\n", `6:26: node "a": security.locations[0].cidr "127.0.0.1" is an address, not a network; write 127.0.0.1/32`},
		{"bad cidr", "      locations: [{cidr: here, user: l}]\n      login: [{module: location}]\n", `6:26: node "a": security.locations[0].cidr "here" is not a network`},
		{"unknown member", "      users: {alice: p}\n      groups: {admins: [alcie]}\n", `7:25: node "a": security.groups.admins: "alcie" is not a user of this node`},
		{"unknown group", "      users: {u: p}\n      groups: {g: [u]}\n      authorization: [{queue: a, read: [gg]}]\n", `8:41: node "a": security.authorization[0].read: no group "gg" under security.groups (groups: g; "*" is everyone)`},
		{"two targets", "      authorization: [{queue: a, topic: b}]\n", `6:23: node "a": security.authorization[0] needs exactly one of queue`},
		{"prefixed pattern", "      authorization: [{queue: /queue/a}]\n", `6:23: node "a": security.authorization[0]: write the pattern without /queue/ or /topic/, e.g. queue: "a"`},
		{"broken bcrypt", "      users: {u: \"$2a$10$short\"}\n", `6:18: node "a": security.users.u: the password looks like a bcrypt hash ($2a$, $2b$, $2y$) but is not a valid one; paste the whole hash`},
		{"rate", "      users: {u: p}\n      login_rate: {failures: 0}\n", `7:30: node "a": security.login_rate.failures must be ≥ 1, got 0`},
		{"no stack", "      guest: g\n", `6:7: node "a": security.declares certificates, locations or a guest but no login stack`},
		{"tls stack alone", "      certificates: {s: \"CN=s\"}\n      login_tls: [{module: certificate}]\n", `7:7: node "a": security.login_tls needs a login stack for the plaintext listeners too`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(head+tt.block))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), "x.yaml:"+tt.want) {
				t.Fatalf("got\n%v\nwant\n%s", err, tt.want)
			}
			if strings.Contains(err.Error(), "short") && tt.name == "broken bcrypt" {
				t.Fatalf("the error quotes the password: %v", err)
			}
		})
	}
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
