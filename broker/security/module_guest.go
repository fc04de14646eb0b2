package security

import "errors"

func init() { Register("guest", newGuest) }

// guestModule admits anyone as Config.Guest: an explicit anonymous user,
// present only when configured (ActiveMQ's GuestLoginModule). Usually
// last and optional or sufficient, after the modules that can say more.
type guestModule struct {
	user   string
	groups []string
}

func newGuest(c *Config) (LoginModule, error) {
	if c.Guest == "" {
		return nil, errors.New("the guest module needs the guest user's name (Guest)")
	}
	return &guestModule{user: c.Guest, groups: c.groupsOf(c.Guest)}, nil
}

func (m *guestModule) Login(ConnView) (*Principal, error) {
	return &Principal{User: m.user, Groups: m.groups}, nil
}
