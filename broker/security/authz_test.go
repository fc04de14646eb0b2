package security

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// testMatch is ActiveMQ's wildcard rule for these tests; the broker passes
// its own matcher and tests the pair in package broker.
func testMatch(pattern, dest string) bool {
	pi, di := strings.LastIndex(pattern[:len(pattern)-1], "/"), strings.LastIndex(dest[:len(dest)-1], "/")
	if pi < 0 || di < 0 || pattern[:pi] != dest[:di] {
		return false
	}
	ps, ds := strings.Split(pattern[pi+1:], "."), strings.Split(dest[di+1:], ".")
	for i, p := range ps {
		switch {
		case p == ">":
			return len(ds) > i
		case i >= len(ds) || (p != "*" && p != ds[i]):
			return false
		}
	}
	return len(ps) == len(ds)
}

func TestAuthorizationMap(t *testing.T) {
	m, err := NewAuthorizationMap([]AuthzEntry{
		{Pattern: "/queue/orders.>", Read: []string{"readers", "admins"}, Write: []string{"admins"}, Admin: []string{"admins"}},
		{Pattern: "/queue/orders.eu", Write: []string{"eu"}},
		{Pattern: "/topic/>", Read: []string{"*"}},
		{Temp: true, Read: []string{"*"}, Write: []string{"*"}, Admin: []string{"*"}},
		{Advisory: true, Read: []string{"admins"}},
	}, testMatch)
	if err != nil {
		t.Fatal(err)
	}
	reader := &Principal{User: "rita", Groups: []string{"readers"}}
	admin := &Principal{User: "ada", Groups: []string{"admins"}}
	eu := &Principal{User: "eva", Groups: []string{"eu"}}
	for _, tt := range []struct {
		p    *Principal
		op   Op
		dest string
		err  string
	}{
		{reader, Read, "/queue/orders.us", ""},
		{reader, Write, "/queue/orders.us", "User rita is not authorized to write to: queue://orders.us"},
		{reader, Admin, "/queue/orders.us", "User rita is not authorized to create: queue://orders.us"},
		{admin, Write, "/queue/orders.us", ""},
		{eu, Write, "/queue/orders.eu", ""}, // entries combine
		{eu, Write, "/queue/orders.us", "User eva is not authorized to write to: queue://orders.us"},
		{reader, Read, "/queue/other", "User rita is not authorized to read from: queue://other"}, // no entry: refused
		{reader, Read, "/topic/prices", ""},
		{nil, Read, "/topic/prices", ""}, // "*" is everyone
		{nil, Write, "/topic/prices", "User anonymous is not authorized to write to: topic://prices"},
		{reader, Write, "/remote-temp-queue/s-1.replies", ""},
		{reader, Admin, "/remote-temp-topic/s-1.x", ""},
		{reader, Read, "/topic/ActiveMQ.Advisory.Connection", ""}, // the topic entry
		{admin, Read, "/topic/ActiveMQ.Advisory.Queue", ""},
		{reader, Read, "/queue/orders.>", ""}, // a wildcard subscription inside the grant
		{reader, Read, "/queue/>", "User rita is not authorized to read from: queue://>"},
	} {
		err := m.Check(tt.p, tt.op, tt.dest)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
			t.Errorf("%v %s %s: %v, want %q", tt.p, tt.op, tt.dest, err, tt.err)
		}
	}
	for _, bad := range []AuthzEntry{{}, {Pattern: "orders"}, {Pattern: "/queue/a", Temp: true}} {
		if _, err := NewAuthorizationMap([]AuthzEntry{bad}, testMatch); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// recorder is a plugin with every hook; refuse names hooks that say no.
type recorder struct {
	name   string
	calls  *[]string
	refuse string
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) hook(h string) error {
	*r.calls = append(*r.calls, r.name+"."+h)
	if strings.Contains(r.refuse, h) {
		return errors.New(r.name + " says no to " + h)
	}
	return nil
}
func (r *recorder) AddConnection(*Conn) error             { return r.hook("conn") }
func (r *recorder) AddBridge(*Conn) error                 { return r.hook("bridge") }
func (r *recorder) Send(*Conn, string) error              { return r.hook("send") }
func (r *recorder) Subscribe(*Conn, string) error         { return r.hook("sub") }
func (r *recorder) Ack(*Conn, string, string) error       { return r.hook("ack") }
func (r *recorder) CreateDestination(*Conn, string) error { return r.hook("create") }
func (r *recorder) RemoveConnection(*Conn)                { r.hook("remove") }

type sendOnly struct{ n *int }

func (sendOnly) Name() string               { return "send-only" }
func (s sendOnly) Send(*Conn, string) error { *s.n++; return nil }

func TestChainOrderAndRefusal(t *testing.T) {
	var calls []string
	n := 0
	ch := NewChain(&recorder{name: "a", calls: &calls}, sendOnly{&n}, &recorder{name: "b", calls: &calls, refuse: "send ack"}, &recorder{name: "c", calls: &calls})
	c := &Conn{}
	steps := []struct {
		run  func() error
		want string
	}{
		{func() error { return ch.AddConnection(c) }, ""},
		{func() error { return ch.AddBridge(c) }, ""},
		{func() error { return ch.Send(c, "/queue/x") }, "b says no to send"},
		{func() error { return ch.Subscribe(c, "/queue/x") }, ""},
		{func() error { return ch.Ack(c, "/queue/x", "id") }, "b says no to ack"},
		{func() error { return ch.CreateDestination(c, "/queue/x") }, ""},
		{func() error { ch.RemoveConnection(c); return nil }, ""},
	}
	for i, s := range steps {
		err := s.run()
		if s.want == "" && err != nil || s.want != "" && (err == nil || err.Error() != s.want) {
			t.Errorf("step %d: %v", i, err)
		}
		var r *Refusal
		if err != nil && (!errors.As(err, &r) || r.Plugin != "b") {
			t.Errorf("step %d: refusal %#v", i, err)
		}
	}
	want := "a.conn b.conn c.conn a.bridge b.bridge c.bridge a.send b.send a.sub b.sub c.sub a.ack b.ack a.create b.create c.create a.remove b.remove c.remove"
	if got := strings.Join(calls, " "); got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
	if n != 1 {
		t.Errorf("send-only plugin saw %d sends", n)
	}
	var nilChain *Chain
	if nilChain.Send(c, "/queue/x") != nil || nilChain.AddConnection(c) != nil {
		t.Error("a nil chain allows everything")
	}
}

func TestNewChainFromConfig(t *testing.T) {
	cfg := &Config{
		Users:     map[string]string{"alice": "wonder"},
		Groups:    map[string][]string{"writers": {"alice"}},
		Login:     []ModuleConfig{{Module: "users", Flag: Required}},
		LoginRate: RateLimit{Failures: 2},
		Authorization: []AuthzEntry{
			{Pattern: "/queue/>", Read: []string{"writers"}, Write: []string{"writers"}},
		},
	}
	ch, err := New(cfg, testMatch)
	if err != nil {
		t.Fatal(err)
	}
	from := netip.MustParseAddrPort("127.0.0.2:4000")
	c := &Conn{View: ConnView{Login: "alice", Passcode: "wonder", Remote: from}}
	if err := ch.AddConnection(c); err != nil || c.User() != "alice" {
		t.Fatalf("%v %s", err, c.User())
	}
	if err := ch.Send(c, "/queue/a"); err != nil {
		t.Fatal(err)
	}
	if err := ch.CreateDestination(c, "/queue/a"); err == nil || err.Error() != "User alice is not authorized to create: queue://a" {
		t.Fatal(err)
	}
	// Two failures use up the budget; then even the right password waits.
	for i := 0; i < 2; i++ {
		err := ch.AddConnection(&Conn{View: ConnView{Login: "alice", Passcode: "nope", Remote: from}})
		var le *LoginError
		if !errors.As(err, &le) || le.RateLimited || err.Error() != "unknown login or wrong passcode (users, required)" {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	err = ch.AddConnection(&Conn{View: ConnView{Login: "alice", Passcode: "wonder", Remote: from}})
	var le *LoginError
	if !errors.As(err, &le) || !le.RateLimited || !strings.Contains(err.Error(), "too many failed logins from 127.0.0.2") {
		t.Fatalf("rate limit: %v", err)
	}
	if err := ch.AddConnection(&Conn{View: ConnView{Login: "alice", Passcode: "wonder", Remote: netip.MustParseAddrPort("127.0.0.1:1")}}); err != nil {
		t.Fatalf("another address: %v", err)
	}

	for _, bad := range []*Config{
		{Login: []ModuleConfig{{Module: "kerberos", Flag: Required}}},
		{Login: []ModuleConfig{{Module: "users", Flag: "mandatory"}}},
		{Login: []ModuleConfig{{Module: "users", Flag: Required}}}, // no users
		{Authorization: []AuthzEntry{{Pattern: "x"}}},
	} {
		if _, err := New(bad, testMatch); err == nil || !strings.HasPrefix(err.Error(), "security: ") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if ch, err := New(&Config{}, testMatch); ch != nil || err != nil {
		t.Error("an empty config is no chain")
	}
}

func TestConfigClone(t *testing.T) {
	c := &Config{Users: map[string]string{"a": "b"}, Groups: map[string][]string{"g": {"a"}}, Certificates: map[string]string{"a": "CN=a"},
		Locations: []LocationRule{{User: "l"}}, Login: []ModuleConfig{{Module: "users"}}, Authorization: []AuthzEntry{{Pattern: "/queue/a", Read: []string{"g"}}}}
	d := c.Clone()
	d.Users["a"], d.Groups["g"][0], d.Certificates["a"], d.Locations[0].User, d.Login[0].Module, d.Authorization[0].Read[0] = "x", "x", "x", "x", "x", "x"
	if c.Users["a"] != "b" || c.Groups["g"][0] != "a" || c.Certificates["a"] != "CN=a" || c.Locations[0].User != "l" || c.Login[0].Module != "users" || c.Authorization[0].Read[0] != "g" {
		t.Fatalf("clone shares: %+v", c)
	}
}

// Dual stacks: connections over TLS listeners log in by certificate,
// plaintext ones by password.
func TestLoginTLSStack(t *testing.T) {
	cfg := &Config{
		Users:        map[string]string{"bob": "pw"},
		Certificates: map[string]string{"spoke": "CN=server-a"},
		Login:        []ModuleConfig{{Module: "users", Flag: Required}},
		LoginTLS:     []ModuleConfig{{Module: "certificate", Flag: Required}},
	}
	ch, err := New(cfg, testMatch)
	if err != nil {
		t.Fatal(err)
	}
	tlsView := ConnView{TLS: &tls.ConnectionState{}, PeerDN: "CN=server-a", Login: "bob", Passcode: "pw"}
	for _, tt := range []struct {
		v    ConnView
		user string
		err  string
	}{
		{ConnView{Login: "bob", Passcode: "pw"}, "bob", ""},
		{ConnView{PeerDN: "CN=server-a"}, "", "unknown login or wrong passcode (users, required)"},
		{tlsView, "spoke", ""},
		{ConnView{TLS: &tls.ConnectionState{}, Login: "bob", Passcode: "pw"}, "", "no client certificate was presented (certificate, required)"},
	} {
		c := &Conn{View: tt.v}
		err := ch.AddConnection(c)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%+v: %v", tt.v, err)
			}
			continue
		}
		if err != nil || c.User() != tt.user {
			t.Errorf("%+v: %v %s", tt.v, err, c.User())
		}
	}
	if _, err := New(&Config{Certificates: cfg.Certificates, LoginTLS: cfg.LoginTLS}, testMatch); err == nil || !strings.Contains(err.Error(), "plaintext listeners would let everyone in") {
		t.Fatalf("LoginTLS alone: %v", err)
	}
}
