package security

import (
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkAuthorize is the cost a SEND pays with an authorization map of
// 20 entries (every entry is matched: their groups combine).
func BenchmarkAuthorize(b *testing.B) {
	var entries []AuthzEntry
	for i := range 20 {
		entries = append(entries, AuthzEntry{Pattern: fmt.Sprintf("/queue/app%d.>", i), Read: []string{"r"}, Write: []string{"w"}})
	}
	m, err := NewAuthorizationMap(entries, testMatch)
	if err != nil {
		b.Fatal(err)
	}
	p := &Principal{User: "u", Groups: []string{"w"}}
	for b.Loop() {
		if m.Check(p, Write, "/queue/app7.orders.eu") != nil {
			b.Fatal("refused")
		}
	}
}

// BenchmarkLogin compares a plain password with a bcrypt hash of cost 10:
// the hash is what makes a guessed password slow, and a CONNECT too.
func BenchmarkLogin(b *testing.B) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	for _, tt := range []struct{ name, stored string }{{"plain", "pw"}, {"bcrypt10", string(hash)}} {
		b.Run(tt.name, func(b *testing.B) {
			m, err := newUsers(&Config{Users: map[string]string{"u": tt.stored}})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.Login(ConnView{Login: "u", Passcode: "pw"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
