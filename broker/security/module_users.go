package security

import (
	"crypto/subtle"
	"errors"
	"regexp"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func init() { Register("users", newUsers) }

// ErrBadCredentials is the users module's one refusal: it never says
// whether the user is unknown or the password wrong, so logins cannot be
// probed for.
var ErrBadCredentials = errors.New("unknown login or wrong passcode")

// usersModule checks login/passcode against Config.Users (ActiveMQ's
// PropertiesLoginModule). Passwords are bcrypt hashes or plain text.
type usersModule struct {
	passwords map[string][]byte // user -> bcrypt hash, or plain
	hashed    map[string]bool
	groups    func(string) []string
	dummy     []byte // compared against for unknown users, so they cost as much as known ones
}

// IsBcrypt reports whether a stored password is a bcrypt hash.
func IsBcrypt(p string) bool {
	return strings.HasPrefix(p, "$2a$") || strings.HasPrefix(p, "$2b$") || strings.HasPrefix(p, "$2y$")
}

var bcryptRE = regexp.MustCompile(`^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$`)

// CheckPassword says what is wrong with a stored password: one that starts
// like a bcrypt hash must be a whole, valid one.
func CheckPassword(p string) error {
	if !IsBcrypt(p) {
		return nil
	}
	if _, err := bcrypt.Cost([]byte(p)); err != nil || !bcryptRE.MatchString(p) {
		return errors.New("the password looks like a bcrypt hash but is not a valid one")
	}
	return nil
}

func newUsers(c *Config) (LoginModule, error) {
	if len(c.Users) == 0 {
		return nil, errors.New("the users module needs at least one user (Users)")
	}
	m := &usersModule{passwords: map[string][]byte{}, hashed: map[string]bool{}, groups: c.groupsOf}
	for u, p := range c.Users {
		m.passwords[u] = []byte(p)
		if IsBcrypt(p) {
			if err := CheckPassword(p); err != nil {
				return nil, errors.New("user " + u + ": " + err.Error())
			}
			m.hashed[u] = true
			if m.dummy == nil {
				m.dummy = []byte(p)
			}
		}
	}
	return m, nil
}

func (m *usersModule) Login(v ConnView) (*Principal, error) {
	want, known := m.passwords[v.Login]
	got := []byte(v.Passcode.Reveal())
	var match bool
	switch {
	case known && m.hashed[v.Login]:
		match = bcrypt.CompareHashAndPassword(want, got) == nil
	case known:
		match = subtle.ConstantTimeCompare(want, got) == 1
	case m.dummy != nil:
		bcrypt.CompareHashAndPassword(m.dummy, got) // same cost as a known user
	}
	if !known || !match || v.Login == "" {
		return nil, ErrBadCredentials
	}
	return &Principal{User: v.Login, Groups: m.groups(v.Login)}, nil
}
