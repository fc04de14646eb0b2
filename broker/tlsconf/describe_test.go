package tlsconf

import (
	"crypto/x509"
	"net"
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	from := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	loopback := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	hub := newCert(t, certSpec{cn: "hub", dns: []string{"hub", "localhost"}, ips: loopback, notBefore: from, notAfter: to})
	ca := newCert(t, certSpec{cn: "lab CA", isCA: true, notBefore: from, notAfter: to})
	leaf := newCert(t, certSpec{cn: "server-a", dns: []string{"server-a"}, issuer: ca, notBefore: from, notAfter: to,
		eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	// Same name as the CA, different key: not self-signed, whatever the names say.
	impostor := newCert(t, certSpec{cn: "lab CA", issuer: ca, notBefore: from, notAfter: to})

	cases := []struct {
		name string
		c    *x509.Certificate
		want string
	}{
		{"self-signed node", hub.cert, "CN=hub, SAN=[hub localhost 127.0.0.1 ::1], issuer=CN=hub (self-signed), valid 2026-11-22T10:00Z..2026-11-23T10:00Z"},
		{"CA", ca.cert, "CN=lab CA, SAN=[], issuer=CN=lab CA (self-signed), valid 2026-11-22T10:00Z..2026-11-23T10:00Z, CA"},
		{"restricted EKU", leaf.cert, "CN=server-a, SAN=[server-a], issuer=CN=lab CA, valid 2026-11-22T10:00Z..2026-11-23T10:00Z, EKU=[serverAuth]"},
		{"same name, other issuer key", impostor.cert, "CN=lab CA, SAN=[], issuer=CN=lab CA, valid 2026-11-22T10:00Z..2026-11-23T10:00Z"},
		{"nil", nil, "no certificate"},
	}
	for _, tc := range cases {
		if got := Describe(tc.c); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestExpiry(t *testing.T) {
	from := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	c := &x509.Certificate{NotBefore: from, NotAfter: from.Add(24 * time.Hour)}
	for now, want := range map[time.Time]string{
		from.Add(time.Hour):      "",
		from.Add(26 * time.Hour): "expired 2h0m0s ago",
		from.Add(-time.Hour):     "not valid for another 1h0m0s",
	} {
		if got := Expiry(c, now); got != want {
			t.Errorf("Expiry at %s = %q, want %q", now, got, want)
		}
	}
}
