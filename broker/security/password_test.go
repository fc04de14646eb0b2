package security

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func argon2id(pw string, m uint32) string {
	salt := []byte("brokerlab-salt16")
	key := argon2.IDKey([]byte(pw), salt, 1, m, 1, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=1,p=1$%s$%s", m, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestArgon2Passwords(t *testing.T) {
	salt := []byte("brokerlab-salt16")
	argon2i := fmt.Sprintf("$argon2i$v=19$m=64,t=2,p=1$%s$%s", base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(argon2.Key([]byte("pw-i"), salt, 2, 64, 1, 16)))
	m := mustModule(t, "users", &Config{Users: map[string]string{"ann": argon2id("pw-id", 64), "ian": argon2i}})
	for _, tt := range []struct {
		login, pass string
		ok          bool
	}{{"ann", "pw-id", true}, {"ann", "pw-i", false}, {"ian", "pw-i", true}, {"ian", "", false}, {"bob", "pw-id", false}} {
		if _, err := m.Login(ConnView{Login: tt.login, Passcode: Secret(tt.pass)}); (err == nil) != tt.ok {
			t.Errorf("%s/%s: %v", tt.login, tt.pass, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	good := argon2id("x", 64)
	for _, tt := range []struct{ stored, err string }{
		{"plain", ""},
		{good, ""},
		{"$2a$10$zRh/qj4gzzo6fy9mjkd0C.fp8GiBTHbfvTWJT7CqdCD5PgxBuPobK", ""},
		{"$2a$10$short", "looks like a bcrypt hash"},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdA", "does not have six $-separated fields"},
		{strings.Replace(good, "v=19", "v=16", 1), "its version is not v=19"},
		{strings.Replace(good, "m=64,t=1,p=1", "m=64;t=1", 1), "its parameters are not"},
		{strings.Replace(good, "m=64", "m=99999999", 1), "out of range"},
		{strings.Replace(good, "m=64", "m=4", 1), "out of range"},
		{strings.Replace(good, "YnJva2VybGFiLXNhbHQxNg", "!!", 1), "its salt"},
		{good[:len(good)-30], "its key"},
	} {
		err := CheckPassword(tt.stored)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%q: %v, want %q", tt.stored, err, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), tt.stored) {
			t.Errorf("the error quotes the stored password: %v", err)
		}
	}
}

// FuzzCheckPassword: any stored string is plain, a valid hash or a clear
// error; never a panic, never a huge allocation at load.
func FuzzCheckPassword(f *testing.F) {
	f.Add(argon2id("x", 64))
	f.Add("$2a$10$zRh/qj4gzzo6fy9mjkd0C.fp8GiBTHbfvTWJT7CqdCD5PgxBuPobK")
	f.Add("$argon2i$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parsePassword(s)
		if err == nil && v == nil {
			t.Fatal("no verifier and no error")
		}
		if err == nil && IsHashed(s) {
			if h, ok := v.(*argon2Hash); ok && h.memory > 1<<12 {
				t.Skip("valid but costly to verify")
			}
			v.verify([]byte("pw"))
		}
	})
}
