package security

import (
	"errors"
	"fmt"
)

func init() { Register("location", newLocation) }

// locationModule admits a connection by its source address: the first rule
// whose network holds the address names the user, no password asked (the
// classic "local clients need no login" module).
type locationModule struct {
	rules  []LocationRule
	groups func(string) []string
}

func newLocation(c *Config) (LoginModule, error) {
	if len(c.Locations) == 0 {
		return nil, errors.New("the location module needs at least one rule (Locations)")
	}
	return &locationModule{rules: c.Locations, groups: c.groupsOf}, nil
}

func (m *locationModule) Login(v ConnView) (*Principal, error) {
	addr := v.Remote.Addr().Unmap()
	for _, r := range m.rules {
		if r.CIDR.Contains(addr) {
			return &Principal{User: r.User, Groups: m.groups(r.User)}, nil
		}
	}
	return nil, fmt.Errorf("remote address %s matches no location rule", addr)
}
