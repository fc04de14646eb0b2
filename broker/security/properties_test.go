package security

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	src := "# ActiveMQ users.properties\n" +
		"! also a comment\n" +
		"\n" +
		"admin=admin-Pa55\n" +
		"  user : user-Pa55  \n" +
		"guest guest-Pa55\n" +
		"server-a=CN=server-a,O=brokerlab\n" +
		"long=one,\\\n" +
		"    two\n" +
		"esc\\=aped=a\\tb\\u0041\\\\\n" +
		"empty=\n"
	ps, err := ParseProperties(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Property{{"admin", "admin-Pa55", 4}, {"user", "user-Pa55  ", 5}, {"guest", "guest-Pa55", 6},
		{"server-a", "CN=server-a,O=brokerlab", 7}, {"long", "one,two", 8}, {"esc=aped", "a\tbA\\", 10}, {"empty", "", 11}}
	if len(ps) != len(want) {
		t.Fatalf("got %+v", ps)
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, ps[i], want[i])
		}
	}
	for _, bad := range []struct{ src, err string }{
		{"a=\\u12\n", `line 1: \u needs four hex digits`},
		{"ok=1\n=nameless\n", "line 2: a property with no name"},
		{strings.Repeat("x", maxPropertiesSize+10), "longer than"},
	} {
		_, err := ParseProperties(strings.NewReader(bad.src))
		if err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%.20q: %v", bad.src, err)
		}
	}
}

func TestConfigFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := &Config{
		Users:            map[string]string{"inline": "inline-Pa55"},
		UsersFile:        write("users.properties", "file-user=file-Pa55\n"),
		GroupsFile:       write("groups.properties", "admins=file-user, inline\nbridges=spoke\n"),
		CertificatesFile: write("users-dn.properties", "spoke=CN=server-a,O=brokerlab\n"),
		Login:            []ModuleConfig{{Module: "certificate", Flag: Sufficient}, {Module: "users", Flag: Required}},
		Authorization:    []AuthzEntry{{Pattern: "/queue/>", Write: []string{"admins"}}},
	}
	ch, err := New(cfg, testMatch)
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{View: ConnView{Login: "file-user", Passcode: "file-Pa55"}}
	if err := ch.AddConnection(c); err != nil || c.Principal.User != "file-user" || c.Principal.Groups[0] != "admins" {
		t.Fatalf("%v %+v", err, c.Principal)
	}
	c = &Conn{View: ConnView{PeerDN: "CN=server-a,O=brokerlab"}}
	if err := ch.AddConnection(c); err != nil || c.User() != "spoke" || c.Principal.Groups[0] != "bridges" {
		t.Fatalf("%v %+v", err, c.Principal)
	}
	if cfg.Users["file-user"] != "" {
		t.Fatal("loading files changed the caller's Config")
	}
	for _, tt := range []struct {
		cfg Config
		err string
	}{
		{Config{UsersFile: filepath.Join(dir, "missing"), Login: cfg.Login[1:]}, "security: UsersFile: stat "},
		{Config{UsersFile: dir, Login: cfg.Login[1:]}, "is not a regular file"},
		{Config{Users: map[string]string{"file-user": "x"}, UsersFile: cfg.UsersFile, Login: cfg.Login[1:]}, `users.properties line 1: "file-user" is given twice`},
		{Config{UsersFile: write("bad.properties", "ok=1\n=x\n"), Login: cfg.Login[1:]}, "bad.properties: line 2: a property with no name"},
	} {
		_, err := New(&tt.cfg, testMatch)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%+v: %v", tt.cfg, err)
		}
	}
}

// FuzzParseProperties: any input parses or fails with a line number;
// never a panic, and a parsed property always has a name.
func FuzzParseProperties(f *testing.F) {
	f.Add("admin=admin\nuser : pw\n# c\nk\\\n  v\n")
	f.Add("a=\\u00e9\\\\\\=\n")
	f.Add("\\")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseProperties(strings.NewReader(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && !strings.HasPrefix(err.Error(), "more than") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, p := range ps {
			if p.Key == "" || p.Line < 1 {
				t.Fatalf("property %+v", p)
			}
		}
	})
}
