package security

import "errors"

func init() { Register("users", newUsers) }

// ErrBadCredentials is the users module's one refusal: it never says
// whether the user is unknown or the password wrong, so logins cannot be
// probed for.
var ErrBadCredentials = errors.New("unknown login or wrong passcode")

// usersModule checks login/passcode against Config.Users (ActiveMQ's
// PropertiesLoginModule). Passwords are bcrypt or argon2 hashes, or plain
// text (password.go).
type usersModule struct {
	passwords map[string]verifier
	groups    func(string) []string
	dummy     verifier // checked for unknown users, so they cost as much as known ones
}

func newUsers(c *Config) (LoginModule, error) {
	if len(c.Users) == 0 {
		return nil, errors.New("the users module needs at least one user (Users)")
	}
	m := &usersModule{passwords: map[string]verifier{}, groups: c.groupsOf}
	for u, p := range c.Users {
		v, err := parsePassword(p)
		if err != nil {
			return nil, errors.New("user " + u + ": " + err.Error())
		}
		m.passwords[u] = v
		if _, plain := v.(plainPassword); !plain && m.dummy == nil {
			m.dummy = v
		}
	}
	return m, nil
}

func (m *usersModule) Login(v ConnView) (*Principal, error) {
	want, known := m.passwords[v.Login]
	got := []byte(v.Passcode.Reveal())
	match := false
	switch {
	case known:
		match = want.verify(got)
	case m.dummy != nil:
		m.dummy.verify(got)
	}
	if !known || !match || v.Login == "" {
		return nil, ErrBadCredentials
	}
	return &Principal{User: v.Login, Groups: m.groups(v.Login)}, nil
}
