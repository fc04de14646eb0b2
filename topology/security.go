package topology

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/security"
)

// Security is a node's `security:` block: who may log in, how, and what
// each group may do. The words are ActiveMQ's (users and groups as in its
// properties files, a JAAS-style login stack, authorizationEntry with
// queue/topic, read/write/admin).
//
//	security:
//	  users: {alice: secret, bob: "$2a$10$…"}        # plain (tests) or bcrypt
//	  groups: {admins: [alice], readers: [bob]}
//	  certificates: {spoke: "CN=server-a,O=brokerlab"} # user: subject DN
//	  locations: [{cidr: 127.0.0.1/32, user: local}]
//	  guest: visitor
//	  login: [{module: certificate, flag: sufficient}, {module: users, flag: required}]
//	  login_tls: [{module: certificate}]   # TLS listeners' own stack (optional)
//	  login_rate: {failures: 5, per: 1m}
//	  authorization:
//	    - {queue: "orders.>", read: [readers], write: [admins], admin: [admins]}
//	    - {temp: true, read: ["*"], write: ["*"], admin: ["*"]}
type Security struct {
	Users        map[string]string
	Groups       map[string][]string
	Certificates map[string]string
	// Files in ActiveMQ's properties formats, relative to the topology
	// file; read when the broker starts.
	UsersFile, GroupsFile, CertificatesFile string
	Locations                               []Location
	Guest                                   string
	Login                                   []LoginEntry // empty with users: [users required]
	LoginTLS                                []LoginEntry // for connections over TLS listeners; empty: Login
	LoginRate                               *LoginRate
	Authorization                           []AuthzEntry // nil: everything allowed
	Pos                                     Pos
}

// Location admits connections from a network as a user, no password asked.
type Location struct {
	CIDR netip.Prefix
	User string
}

// LoginEntry is one module of the login stack.
type LoginEntry struct {
	Module string
	Flag   security.Flag
	Pos    Pos
}

// LoginRate bounds failed logins per source address.
type LoginRate struct {
	Failures int
	Per      time.Duration
}

// AuthzEntry is one authorization entry: Queue or Topic is a pattern
// without its /queue/ or /topic/ prefix ("orders.>"); Temp and Advisory
// stand for temporary destinations and ActiveMQ.Advisory topics.
type AuthzEntry struct {
	Queue, Topic       string
	Temp, Advisory     bool
	Read, Write, Admin []string
	Pos                Pos
}

var (
	securityKeys = []string{"users", "users_file", "groups", "groups_file", "certificates", "certificates_file", "locations", "guest", "login", "login_tls", "login_rate", "authorization"}
	locationKeys = []string{"cidr", "user"}
	loginKeys    = []string{"module", "flag"}
	rateKeys     = []string{"failures", "per"}
	authzKeys    = []string{"queue", "topic", "temp", "advisory", "read", "write", "admin"}
)

// Clone returns a deep copy.
func (s *Security) Clone() *Security {
	if s == nil {
		return nil
	}
	c := *s
	c.Users = cloneMap(s.Users)
	c.Certificates = cloneMap(s.Certificates)
	if s.Groups != nil {
		c.Groups = make(map[string][]string, len(s.Groups))
		for g, m := range s.Groups {
			c.Groups[g] = slices.Clone(m)
		}
	}
	c.Locations = slices.Clone(s.Locations)
	c.Login = slices.Clone(s.Login)
	c.LoginTLS = slices.Clone(s.LoginTLS)
	if s.LoginRate != nil {
		r := *s.LoginRate
		c.LoginRate = &r
	}
	if s.Authorization != nil {
		c.Authorization = make([]AuthzEntry, len(s.Authorization))
		for i, e := range s.Authorization {
			e.Read, e.Write, e.Admin = slices.Clone(e.Read), slices.Clone(e.Write), slices.Clone(e.Admin)
			c.Authorization[i] = e
		}
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Config renders the block as the broker's security configuration.
func (s *Security) Config() *security.Config {
	if s == nil {
		return nil
	}
	c := &security.Config{Users: cloneMap(s.Users), Certificates: cloneMap(s.Certificates), Guest: s.Guest,
		UsersFile: s.UsersFile, GroupsFile: s.GroupsFile, CertificatesFile: s.CertificatesFile}
	c.Groups = s.Clone().Groups
	for _, l := range s.Locations {
		c.Locations = append(c.Locations, security.LocationRule{CIDR: l.CIDR, User: l.User})
	}
	for _, l := range s.Login {
		c.Login = append(c.Login, security.ModuleConfig{Module: l.Module, Flag: l.Flag})
	}
	if len(s.Login) == 0 && (len(s.Users) > 0 || s.UsersFile != "") {
		c.Login = []security.ModuleConfig{{Module: "users", Flag: security.Required}}
	}
	for _, l := range s.LoginTLS {
		c.LoginTLS = append(c.LoginTLS, security.ModuleConfig{Module: l.Module, Flag: l.Flag})
	}
	if s.LoginRate != nil {
		c.LoginRate = security.RateLimit{Failures: s.LoginRate.Failures, Per: s.LoginRate.Per}
	}
	if s.Authorization != nil {
		c.Authorization = []security.AuthzEntry{}
		for _, e := range s.Authorization {
			ae := security.AuthzEntry{Temp: e.Temp, Advisory: e.Advisory, Read: slices.Clone(e.Read), Write: slices.Clone(e.Write), Admin: slices.Clone(e.Admin)}
			switch {
			case e.Queue != "":
				ae.Pattern = "/queue/" + e.Queue
			case e.Topic != "":
				ae.Pattern = "/topic/" + e.Topic
			}
			c.Authorization = append(c.Authorization, ae)
		}
	}
	return c
}

// security reads a node's `security:` block. Every problem is reported at
// its line and column; the block is self-contained, so it is checked here.
func (p *parser) security(n *yaml.Node, at string) (*Security, bool) {
	d := deref(n)
	if isNull(d) {
		return nil, true
	}
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "%ssecurity must be a mapping with keys %s, got %s", at, joinKeys(securityKeys), describe(n))
		return nil, false
	}
	before := len(p.errs)
	s := &Security{Pos: posOf(d)}
	where := "in the security block"
	if at != "" {
		where = "in security of " + at[:len(at)-2]
	}
	f := p.fields(d, where, securityKeys...)
	at += "security."
	var userPos map[string]Pos
	if v, ok := f["users"]; ok {
		s.Users, userPos = p.stringMap(v.val, at+"users", "user: password (plain, or a bcrypt hash)")
	}
	if v, ok := f["certificates"]; ok {
		s.Certificates, _ = p.stringMap(v.val, at+"certificates", `user: subject DN, e.g. spoke: "CN=server-a,O=brokerlab"`)
	}
	for u, pw := range s.Users {
		if security.IsHashed(pw) {
			if err := security.CheckPassword(pw); err != nil {
				p.errorAt(userPos[u], "%susers.%s: %v; paste the whole hash (htpasswd -nbB user pw for bcrypt)", at, u, err)
			}
		}
	}
	for _, k := range []struct {
		key string
		dst *string
	}{{"users_file", &s.UsersFile}, {"groups_file", &s.GroupsFile}, {"certificates_file", &s.CertificatesFile}} {
		if v, ok := f[k.key]; ok {
			if path, ok := p.str(v.val, at+k.key); ok && path != "" {
				if !filepath.IsAbs(path) && p.file != "" {
					path = filepath.Join(filepath.Dir(p.file), path)
				}
				*k.dst = path
			}
		}
	}
	fromFiles := s.UsersFile != "" || s.GroupsFile != "" || s.CertificatesFile != ""
	if v, ok := f["locations"]; ok {
		s.Locations = p.locations(v.val, at+"locations")
	}
	if v, ok := f["guest"]; ok {
		s.Guest, _ = p.str(v.val, at+"guest")
	}
	known := map[string]bool{}
	for u := range s.Users {
		known[u] = true
	}
	for u := range s.Certificates {
		known[u] = true
	}
	for _, l := range s.Locations {
		known[l.User] = true
	}
	if s.Guest != "" {
		known[s.Guest] = true
	}
	if v, ok := f["groups"]; ok {
		if fromFiles {
			known = nil // members may be users of the files, read only when the broker starts
		}
		s.Groups = p.groups(v.val, at+"groups", known)
	}
	given := func(key string) bool { _, ok := f[key]; return ok }
	if v, ok := f["login"]; ok {
		// A module needs its data given; given but malformed was reported already.
		s.Login = p.loginStack(v.val, at+"login", given)
	}
	if v, ok := f["login_tls"]; ok {
		s.LoginTLS = p.loginStack(v.val, at+"login_tls", given)
		if len(s.LoginTLS) > 0 && len(s.Login) == 0 && len(s.Users) == 0 && s.UsersFile == "" {
			p.errorf(v.key, "%slogin_tls needs a login stack for the plaintext listeners too, or they would let everyone in; add login: [...]", at)
		}
	}
	if v, ok := f["login_rate"]; ok {
		s.LoginRate = p.loginRate(v.val, at+"login_rate")
	}
	if v, ok := f["authorization"]; ok {
		groups := s.Groups
		if s.GroupsFile != "" {
			groups = nil // groups of the file are known only when the broker starts
		}
		s.Authorization = p.authorization(v.val, at+"authorization", groups)
	}
	if len(s.Login) == 0 && len(s.Users) == 0 && s.UsersFile == "" && (len(s.Certificates) > 0 || s.CertificatesFile != "" || len(s.Locations) > 0 || s.Guest != "") {
		p.errorf(d, "%sdeclares certificates, locations or a guest but no login stack; add login: [{module: certificate, flag: required}] or similar", at)
	}
	return s, len(p.errs) == before
}

// stringMap reads a mapping of names to strings.
func (p *parser) stringMap(n *yaml.Node, what, shape string) (map[string]string, map[string]Pos) {
	d := deref(n)
	if isNull(d) {
		return nil, nil
	}
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping of %s, got %s", what, shape, describe(n))
		return nil, nil
	}
	out, pos := map[string]string{}, map[string]Pos{}
	for _, kv := range p.pairs(d, "in "+what) {
		if s, ok := p.str(kv.val, what+"."+kv.key.Value); ok {
			if s == "" {
				p.errorf(kv.val, "%s.%s must not be empty", what, kv.key.Value)
				continue
			}
			out[kv.key.Value] = s
			pos[kv.key.Value] = posOf(kv.val)
		}
	}
	return out, pos
}

func (p *parser) groups(n *yaml.Node, what string, known map[string]bool) map[string][]string {
	d := deref(n)
	if isNull(d) {
		return nil
	}
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping of group to members, e.g. {admins: [alice]}, got %s", what, describe(n))
		return nil
	}
	out := map[string][]string{}
	for _, kv := range p.pairs(d, "in "+what) {
		members, pos, ok := p.strList(kv.val, what+"."+kv.key.Value, "user names")
		if !ok {
			continue
		}
		for i, m := range members {
			if known != nil && !known[m] {
				p.errorAt(pos[i], "%s.%s: %q is not a user of this node (users, certificates, locations or guest); known: %s", what, kv.key.Value, m, strings.Join(sortedKeys(known), ", "))
			}
		}
		out[kv.key.Value] = members
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// mappings calls each for every item of a list of mappings, with w the
// item's name in messages and it the mapping itself. A value that is not a
// list, and an item that is not a mapping, are reported with the shapes
// expected: list (what the list holds) and example (one item).
func (p *parser) mappings(n *yaml.Node, what, list, example string, each func(w string, item, it *yaml.Node)) {
	d := deref(n)
	if isNull(d) {
		return
	}
	if d.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list of %s, got %s", what, list, describe(n))
		return
	}
	for i, item := range d.Content {
		w := fmt.Sprintf("%s[%d]", what, i)
		it := deref(item)
		if it == nil || it.Kind != yaml.MappingNode {
			p.errorf(item, "%s must be a mapping such as %s, got %s", w, example, describe(item))
			continue
		}
		each(w, item, it)
	}
}

func (p *parser) locations(n *yaml.Node, what string) []Location {
	var out []Location
	p.mappings(n, what, "{cidr: 127.0.0.1/32, user: local}", "{cidr: 127.0.0.1/32, user: local}", func(w string, item, it *yaml.Node) {
		f := p.fields(it, "in "+w, locationKeys...)
		var l Location
		c, hasC := f["cidr"]
		u, hasU := f["user"]
		if !hasC || !hasU {
			p.errorf(item, "%s needs cidr and user, e.g. {cidr: 127.0.0.1/32, user: local}", w)
			return
		}
		if s, ok := p.str(c.val, w+".cidr"); ok {
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				if a, aerr := netip.ParseAddr(s); aerr == nil {
					p.errorf(c.val, "%s.cidr %q is an address, not a network; write %s/%d", w, s, s, a.BitLen())
				} else {
					p.errorf(c.val, "%s.cidr %q is not a network such as 127.0.0.0/8 or ::1/128", w, s)
				}
				return
			}
			l.CIDR = pfx.Masked()
		} else {
			return
		}
		if s, ok := p.str(u.val, w+".user"); ok && s != "" {
			l.User = s
		} else {
			return
		}
		out = append(out, l)
	})
	return out
}

func (p *parser) loginStack(n *yaml.Node, what string, given func(key string) bool) []LoginEntry {
	needKey := map[string]string{"users": "users", "certificate": "certificates", "location": "locations", "guest": "guest"}
	has := func(key string) bool { return given(key) || given(key+"_file") }
	var out []LoginEntry
	p.mappings(n, what, "{module: users, flag: required}", "{module: users, flag: required}", func(w string, item, it *yaml.Node) {
		f := p.fields(it, "in "+w, loginKeys...)
		e := LoginEntry{Pos: posOf(it), Flag: security.Required}
		m, ok := f["module"]
		if !ok {
			p.errorf(item, "%s needs module: one of %s", w, strings.Join(security.Modules(), ", "))
			return
		}
		name, good := p.str(m.val, w+".module")
		if !good {
			return
		}
		if !slices.Contains(security.Modules(), name) {
			p.errorf(m.val, "%s.module: unknown login module %q; known: %s", w, name, strings.Join(security.Modules(), ", "))
			return
		}
		if key, ok := needKey[name]; ok && !has(key) {
			p.errorf(m.val, "%s.module: the %s module needs security.%s, which this node does not declare", w, name, needKey[name])
		}
		e.Module = name
		if fl, ok := f["flag"]; ok {
			if s, good := p.str(fl.val, w+".flag"); good {
				flag, err := security.ParseFlag(s)
				if err != nil {
					p.errorf(fl.val, "%s.flag: %q is not a login flag; use required, requisite, sufficient or optional", w, s)
					return
				}
				e.Flag = flag
			}
		}
		out = append(out, e)
	})
	return out
}

func (p *parser) loginRate(n *yaml.Node, what string) *LoginRate {
	d := deref(n)
	if isNull(d) {
		return nil
	}
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping such as {failures: 5, per: 1m}, got %s", what, describe(n))
		return nil
	}
	f := p.fields(d, "in "+what, rateKeys...)
	r := &LoginRate{}
	optional(f, "failures", what, func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, 1) }, &r.Failures)
	optional(f, "per", what, p.duration, &r.Per)
	return r
}

func (p *parser) authorization(n *yaml.Node, what string, groups map[string][]string) []AuthzEntry {
	out := []AuthzEntry{}
	p.mappings(n, what, `entries such as {queue: "orders.>", read: [readers], write: [writers], admin: [admins]}`, `{queue: "orders.>", read: [readers]}`, func(w string, item, it *yaml.Node) {
		f := p.fields(it, "in "+w, authzKeys...)
		e := AuthzEntry{Pos: posOf(it)}
		optional(f, "queue", w, p.str, &e.Queue)
		optional(f, "topic", w, p.str, &e.Topic)
		optional(f, "temp", w, p.boolean, &e.Temp)
		optional(f, "advisory", w, p.boolean, &e.Advisory)
		n := 0
		for _, b := range []bool{e.Queue != "", e.Topic != "", e.Temp, e.Advisory} {
			if b {
				n++
			}
		}
		if n != 1 {
			p.errorf(item, "%s needs exactly one of queue: <pattern>, topic: <pattern>, temp: true or advisory: true", w)
			return
		}
		for _, pat := range []string{e.Queue, e.Topic} {
			if strings.HasPrefix(pat, "/") {
				p.errorf(item, "%s: write the pattern without /queue/ or /topic/, e.g. queue: %q", w, strings.TrimPrefix(strings.TrimPrefix(pat, "/queue/"), "/topic/"))
			}
		}
		for _, op := range []struct {
			key string
			dst *[]string
		}{{"read", &e.Read}, {"write", &e.Write}, {"admin", &e.Admin}} {
			v, ok := f[op.key]
			if !ok {
				continue
			}
			gs, pos, good := p.strList(v.val, w+"."+op.key, "group names")
			if !good {
				continue
			}
			for j, g := range gs {
				if _, ok := groups[g]; !ok && g != "*" && groups != nil {
					p.errorAt(pos[j], "%s.%s: no group %q under security.groups (groups: %s; \"*\" is everyone)", w, op.key, g, strings.Join(sortedKeys(groups), ", "))
				}
			}
			*op.dst = gs
		}
		out = append(out, e)
	})
	return out
}

// ParseSecurity reads a standalone security block (the value a node's
// `security:` key takes, as YAML or JSON), as `brokerlab broker --security
// FILE` does. Relative file paths in it are relative to file.
func ParseSecurity(file string, data []byte) (*Security, error) {
	p := &parser{file: file, meta: map[*Node]*nodeMeta{}}
	root := p.decode(data)
	if root == nil {
		return nil, p.errs.err()
	}
	s, _ := p.security(root, "")
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// MarshalJSON writes the block in the topology's own words, so that
// ParseSecurity reads it back (the process driver hands a node's block to
// its child broker this way).
func (s *Security) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	put := func(k string, v any, present bool) {
		if present {
			m[k] = v
		}
	}
	put("users", s.Users, s.Users != nil)
	put("groups", s.Groups, s.Groups != nil)
	put("certificates", s.Certificates, s.Certificates != nil)
	put("users_file", s.UsersFile, s.UsersFile != "")
	put("groups_file", s.GroupsFile, s.GroupsFile != "")
	put("certificates_file", s.CertificatesFile, s.CertificatesFile != "")
	put("guest", s.Guest, s.Guest != "")
	var locs []map[string]string
	for _, l := range s.Locations {
		locs = append(locs, map[string]string{"cidr": l.CIDR.String(), "user": l.User})
	}
	put("locations", locs, len(locs) > 0)
	stack := func(es []LoginEntry) []map[string]string {
		var out []map[string]string
		for _, e := range es {
			out = append(out, map[string]string{"module": e.Module, "flag": string(e.Flag)})
		}
		return out
	}
	put("login", stack(s.Login), len(s.Login) > 0)
	put("login_tls", stack(s.LoginTLS), len(s.LoginTLS) > 0)
	if r := s.LoginRate; r != nil {
		rate := map[string]any{}
		put2 := func(k string, v any, ok bool) {
			if ok {
				rate[k] = v
			}
		}
		put2("failures", r.Failures, r.Failures > 0)
		put2("per", r.Per.String(), r.Per > 0)
		m["login_rate"] = rate
	}
	if s.Authorization != nil {
		entries := []map[string]any{}
		for _, e := range s.Authorization {
			x := map[string]any{}
			switch {
			case e.Queue != "":
				x["queue"] = e.Queue
			case e.Topic != "":
				x["topic"] = e.Topic
			case e.Temp:
				x["temp"] = true
			case e.Advisory:
				x["advisory"] = true
			}
			for k, gs := range map[string][]string{"read": e.Read, "write": e.Write, "admin": e.Admin} {
				if gs != nil {
					x[k] = gs
				}
			}
			entries = append(entries, x)
		}
		m["authorization"] = entries
	}
	return json.Marshal(m)
}
