package security

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func mustModule(t *testing.T, name string, c *Config) LoginModule {
	t.Helper()
	f, ok := lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	m, err := f(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUsersModule(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	c := &Config{Users: map[string]string{"alice": "wonder", "bob": string(hash)}, Groups: map[string][]string{"admins": {"alice"}, "readers": {"bob", "alice"}}}
	m := mustModule(t, "users", c)
	for _, tt := range []struct {
		login, pass string
		ok          bool
		groups      string
	}{
		{"alice", "wonder", true, "admins readers"},
		{"alice", "wonder ", false, ""},
		{"alice", "", false, ""},
		{"bob", "s3cret", true, "readers"},
		{"bob", string(hash), false, ""}, // the hash is not the password
		{"mallory", "wonder", false, ""},
		{"", "", false, ""},
	} {
		p, err := m.Login(ConnView{Login: tt.login, Passcode: Secret(tt.pass)})
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.login, err)
			continue
		}
		if !tt.ok {
			// The same words whether the user is unknown or the password wrong.
			if !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%s: %v", tt.login, err)
			}
			continue
		}
		if p.User != tt.login || strings.Join(p.Groups, " ") != tt.groups {
			t.Errorf("%s: %+v", tt.login, p)
		}
	}
	if _, err := newUsers(&Config{}); err == nil {
		t.Error("a users module without users should not build")
	}
	bad := "$2a$10$" + strings.Repeat("!", 53)
	if _, err := newUsers(&Config{Users: map[string]string{"x": bad}}); err == nil || strings.Contains(err.Error(), bad) {
		t.Errorf("a broken hash: %v", err)
	}
}

func TestCertificateModule(t *testing.T) {
	c := &Config{Certificates: map[string]string{"spoke": "CN=server-a, O=brokerlab"}, Groups: map[string][]string{"bridges": {"spoke"}}}
	m := mustModule(t, "certificate", c)
	tlsState := &tls.ConnectionState{}
	for _, tt := range []struct {
		v    ConnView
		user string
		err  string
	}{
		{ConnView{PeerDN: "CN=server-a,O=brokerlab", TLS: tlsState}, "spoke", ""},
		{ConnView{PeerDN: "cn=server-a,o=brokerlab", TLS: tlsState}, "spoke", ""},
		{ConnView{PeerDN: "CN=server-b,O=brokerlab", TLS: tlsState}, "", `certificate subject "CN=server-b,O=brokerlab" is not mapped to a user`},
		{ConnView{TLS: tlsState, Login: "spoke", Passcode: "x"}, "", "no client certificate was presented"},
		{ConnView{}, "", "no client certificate: the connection is not TLS"},
	} {
		p, err := m.Login(tt.v)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%+v: err %v, want %q", tt.v, err, tt.err)
			}
			continue
		}
		if err != nil || p.User != tt.user || strings.Join(p.Groups, ",") != "bridges" {
			t.Errorf("%+v: %+v %v", tt.v, p, err)
		}
	}
	if _, err := newCertificate(&Config{Certificates: map[string]string{"a": "CN=x", "b": "cn=x"}}); err == nil {
		t.Error("two users on one DN should not build")
	}
}

func TestLocationModule(t *testing.T) {
	c := &Config{Locations: []LocationRule{
		{CIDR: netip.MustParsePrefix("127.0.0.1/32"), User: "local"},
		{CIDR: netip.MustParsePrefix("10.0.0.0/8"), User: "lan"},
	}}
	m := mustModule(t, "location", c)
	for _, tt := range []struct{ addr, user, err string }{
		{"127.0.0.1:5000", "local", ""},
		{"[::ffff:127.0.0.1]:5000", "local", ""}, // IPv4 through a dual-stack socket
		{"10.1.2.3:1", "lan", ""},
		{"127.0.0.2:5000", "", "remote address 127.0.0.2 matches no location rule"},
	} {
		p, err := m.Login(ConnView{Remote: netip.MustParseAddrPort(tt.addr)})
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: %v", tt.addr, err)
			}
			continue
		}
		if err != nil || p.User != tt.user {
			t.Errorf("%s: %+v %v", tt.addr, p, err)
		}
	}
}

func TestGuestModule(t *testing.T) {
	if _, err := newGuest(&Config{}); err == nil {
		t.Fatal("guest must be configured explicitly")
	}
	m := mustModule(t, "guest", &Config{Guest: "visitor", Groups: map[string][]string{"guests": {"visitor"}}})
	p, err := m.Login(ConnView{})
	if err != nil || p.User != "visitor" || p.Groups[0] != "guests" {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestRegistry(t *testing.T) {
	if got := strings.Join(Modules(), " "); got != "certificate guest location users" {
		t.Fatalf("modules %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("registering a name twice should panic")
		}
	}()
	Register("users", newUsers)
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(RateLimit{Failures: 3, Per: time.Minute}, func() time.Time { return now })
	a, b := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow(a); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		l.fail(a)
		now = now.Add(10 * time.Second)
	}
	ok, wait := l.allow(a)
	if ok || wait != 30*time.Second {
		t.Fatalf("4th attempt: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.allow(b); !ok {
		t.Fatal("another address is not limited")
	}
	now = now.Add(30 * time.Second) // the first failure is a minute old
	if ok, _ := l.allow(a); !ok {
		t.Fatal("the window should have moved on")
	}
	now = now.Add(time.Hour)
	l.allow(a)
	if len(l.fails) != 0 {
		t.Fatalf("expired failures kept: %v", l.fails)
	}
}
