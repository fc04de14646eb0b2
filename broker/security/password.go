package security

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// A stored password is a bcrypt hash ("$2a$10$…", as htpasswd -B and most
// tools write them), an argon2 hash in the PHC string format
// ("$argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>", as the argon2 CLI and
// libraries write them), or, for tests, plain text.
type verifier interface {
	verify(passcode []byte) bool
}

type plainPassword []byte

func (p plainPassword) verify(pc []byte) bool { return subtle.ConstantTimeCompare(p, pc) == 1 }

type bcryptHash []byte

func (h bcryptHash) verify(pc []byte) bool { return bcrypt.CompareHashAndPassword(h, pc) == nil }

type argon2Hash struct {
	id           bool // argon2id, else argon2i
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

func (h *argon2Hash) verify(pc []byte) bool {
	var k []byte
	if h.id {
		k = argon2.IDKey(pc, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	} else {
		k = argon2.Key(pc, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	}
	return subtle.ConstantTimeCompare(h.key, k) == 1
}

// IsHashed reports whether a stored password claims to be a hash.
func IsHashed(p string) bool {
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$", "$argon2id$", "$argon2i$"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// CheckPassword says what is wrong with a stored password: one that starts
// like a hash must be a whole, valid one. The error never quotes it.
func CheckPassword(p string) error {
	_, err := parsePassword(p)
	return err
}

var bcryptRE = regexp.MustCompile(`^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$`)

// maxArgon2Memory bounds m (KiB) so a typo cannot make every login
// allocate gigabytes.
const maxArgon2Memory = 1 << 20

func parsePassword(p string) (verifier, error) {
	switch {
	case !IsHashed(p):
		return plainPassword(p), nil
	case strings.HasPrefix(p, "$2"):
		if _, err := bcrypt.Cost([]byte(p)); err != nil || !bcryptRE.MatchString(p) {
			return nil, errors.New("the password looks like a bcrypt hash ($2a$, $2b$, $2y$) but is not a valid one")
		}
		return bcryptHash(p), nil
	}
	h, err := parseArgon2(p)
	if err != nil {
		return nil, fmt.Errorf("the password looks like an argon2 hash but %v; expected $argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>", err)
	}
	return h, nil
}

func parseArgon2(p string) (*argon2Hash, error) {
	parts := strings.Split(p, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, errors.New("it does not have six $-separated fields")
	}
	h := &argon2Hash{id: parts[1] == "argon2id"}
	if parts[2] != "v=19" {
		return nil, errors.New("its version is not v=19")
	}
	var m, t, par uint64
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &par); err != nil || n != 3 {
		return nil, errors.New("its parameters are not m=<KiB>,t=<passes>,p=<lanes>")
	}
	if m < 8 || m > maxArgon2Memory || t < 1 || t > 1<<10 || par < 1 || par > 255 || m < 8*par {
		return nil, fmt.Errorf("its parameters are out of range (8·p ≤ m ≤ %d KiB, 1 ≤ t ≤ 1024, 1 ≤ p ≤ 255)", maxArgon2Memory)
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(par)
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return nil, errors.New("its salt is not unpadded base64 of at least 8 bytes")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return nil, errors.New("its key is not unpadded base64 of at least 16 bytes")
	}
	return h, nil
}
