package security

import (
	"errors"
	"fmt"
	"strings"
)

func init() { Register("certificate", newCertificate) }

// certificateModule maps the verified client certificate's subject DN to a
// user (ActiveMQ's TextFileCertificateLoginModule). No certificate, or one
// not in the map, fails.
type certificateModule struct {
	byDN   map[string]string // normalised DN -> user
	groups func(string) []string
}

func newCertificate(c *Config) (LoginModule, error) {
	if len(c.Certificates) == 0 {
		return nil, errors.New("the certificate module needs at least one user mapped to a subject DN (Certificates)")
	}
	m := &certificateModule{byDN: map[string]string{}, groups: c.groupsOf}
	for u, dn := range c.Certificates {
		key := normDN(dn)
		if other, dup := m.byDN[key]; dup {
			return nil, fmt.Errorf("users %q and %q are mapped to the same subject DN %q", other, u, dn)
		}
		m.byDN[key] = u
	}
	return m, nil
}

// normDN lets "CN=a, O=b" and "cn=a,O=b" name the same subject: Java's
// getName() and hand-written DNs differ in spacing and case of the keys.
func normDN(dn string) string {
	parts := strings.Split(dn, ",")
	for i, p := range parts {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[i] = strings.ToUpper(strings.TrimSpace(k)) + "=" + strings.TrimSpace(v)
	}
	return strings.Join(parts, ",")
}

func (m *certificateModule) Login(v ConnView) (*Principal, error) {
	if v.PeerDN == "" {
		if v.TLS == nil {
			return nil, errors.New("no client certificate: the connection is not TLS")
		}
		return nil, errors.New("no client certificate was presented")
	}
	u, ok := m.byDN[normDN(v.PeerDN)]
	if !ok {
		return nil, fmt.Errorf("certificate subject %q is not mapped to a user", v.PeerDN)
	}
	return &Principal{User: u, Groups: m.groups(u)}, nil
}
