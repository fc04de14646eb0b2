package security

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Config is a node's security settings, as the topology's `security:`
// block declares them. Every module takes a user name from its own
// credential and looks the user's groups up in Groups, as ActiveMQ's
// property-file modules share groups.properties.
type Config struct {
	// Users maps a user to a password: a bcrypt hash ("$2a$…") or, for
	// tests, plain text.
	Users map[string]string
	// Groups maps a group to its members (user names from any module).
	Groups map[string][]string
	// Certificates maps a user to the subject DN of its client certificate
	// (ActiveMQ's users-dn.properties), e.g. "CN=server-a,O=brokerlab".
	Certificates map[string]string
	// UsersFile, GroupsFile and CertificatesFile add entries from ActiveMQ's
	// users.properties (user=password), groups.properties
	// (group=user1,user2) and users-dn files (user=DN), read when the chain
	// is built (properties.go).
	UsersFile, GroupsFile, CertificatesFile string
	// Locations maps source addresses to users, first match wins.
	Locations []LocationRule
	// Guest is the user the guest module admits anyone as; "" disables it.
	Guest string
	// Login is the stack, in order. Empty: no authentication.
	Login []ModuleConfig
	// LoginTLS, when set, is the stack for connections that arrived over
	// a TLS listener, Login then being the plaintext listeners' (ActiveMQ's
	// JaasDualAuthenticationPlugin). It needs Login too, so that no
	// listener is left without a stack.
	LoginTLS []ModuleConfig
	// LoginRate bounds failed logins per source address.
	LoginRate RateLimit
	// Authorization, when not nil, is the only access granted: a
	// destination no entry matches is refused.
	Authorization []AuthzEntry
	// Plugins are appended to the chain after authentication and
	// authorization, in order.
	Plugins []Plugin
}

// ModuleConfig names a registered login module and its flag.
type ModuleConfig struct {
	Module string
	Flag   Flag
}

// LocationRule admits connections from a network as a user.
type LocationRule struct {
	CIDR netip.Prefix
	User string
}

// RateLimit allows Failures failed logins per source address within Per;
// further attempts from that address are refused unchecked until the
// oldest failure is older than Per. Zero values: DefaultLoginRate.
type RateLimit struct {
	Failures int
	Per      time.Duration
}

// DefaultLoginRate is 10 failures a minute per address.
var DefaultLoginRate = RateLimit{Failures: 10, Per: time.Minute}

// Enabled reports whether the configuration asks for anything at all.
func (c *Config) Enabled() bool {
	return c != nil && (len(c.Login) > 0 || len(c.LoginTLS) > 0 || c.Authorization != nil || len(c.Plugins) > 0)
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	out := *c
	out.Users = maps.Clone(c.Users)
	out.Certificates = maps.Clone(c.Certificates)
	if c.Groups != nil {
		out.Groups = make(map[string][]string, len(c.Groups))
		for g, m := range c.Groups {
			out.Groups[g] = slices.Clone(m)
		}
	}
	out.Locations = slices.Clone(c.Locations)
	out.Login = slices.Clone(c.Login)
	out.LoginTLS = slices.Clone(c.LoginTLS)
	out.Plugins = slices.Clone(c.Plugins)
	if c.Authorization != nil {
		out.Authorization = make([]AuthzEntry, len(c.Authorization))
		for i, e := range c.Authorization {
			out.Authorization[i] = e.clone()
		}
	}
	return &out
}

// groupsOf lists the groups user belongs to, sorted.
func (c *Config) groupsOf(user string) []string {
	var gs []string
	for g, members := range c.Groups {
		if slices.Contains(members, user) {
			gs = append(gs, g)
		}
	}
	slices.Sort(gs)
	return gs
}

// Validate checks the configuration; errors name the field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("security: %s: %s", field, fmt.Sprintf(format, a...)))
	}
	for field, stack := range map[string][]ModuleConfig{"Login": c.Login, "LoginTLS": c.LoginTLS} {
		for i, m := range stack {
			if _, ok := lookup(m.Module); !ok {
				bad(fmt.Sprintf("%s[%d].Module", field, i), "unknown login module %q; registered: %s", m.Module, strings.Join(Modules(), ", "))
			}
			if _, err := ParseFlag(string(m.Flag)); err != nil {
				bad(fmt.Sprintf("%s[%d].Flag", field, i), "%q is not required, requisite, sufficient or optional", m.Flag)
			}
		}
	}
	if len(c.LoginTLS) > 0 && len(c.Login) == 0 {
		bad("Login", "empty while LoginTLS is set: plaintext listeners would let everyone in; give both stacks")
	}
	for i, r := range c.Locations {
		if !r.CIDR.IsValid() {
			bad(fmt.Sprintf("Locations[%d].CIDR", i), "not a network; write e.g. 127.0.0.0/8")
		}
		if r.User == "" {
			bad(fmt.Sprintf("Locations[%d].User", i), "empty; name the user connections from %s log in as", r.CIDR)
		}
	}
	if c.LoginRate.Failures < 0 || c.LoginRate.Per < 0 {
		bad("LoginRate", "must not be negative")
	}
	for i, e := range c.Authorization {
		if err := e.validate(); err != nil {
			bad(fmt.Sprintf("Authorization[%d]", i), "%v", err)
		}
	}
	return errors.Join(errs...)
}
