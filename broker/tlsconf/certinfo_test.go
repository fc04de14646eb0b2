package tlsconf

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestInfo(t *testing.T) {
	from := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	ca := newCert(t, certSpec{cn: "lab CA", isCA: true, notBefore: from, notAfter: to})
	leaf := newCert(t, certSpec{cn: "server-a", dns: []string{"server-a"}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}, issuer: ca,
		notBefore: from, notAfter: to, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})

	ci := Info(leaf.cert, to.Add(2*time.Hour))
	sum := sha256.Sum256(leaf.cert.Raw)
	if want := fmt.Sprintf("%02X:%02X", sum[0], sum[1]); !strings.HasPrefix(ci.SHA256, want) || len(ci.SHA256) != 32*3-1 {
		t.Errorf("SHA256 = %s, want it to start %s and be 32 colon-separated bytes", ci.SHA256, want)
	}
	if ci.Subject != "CN=server-a" || ci.Issuer != "CN=lab CA" || ci.SelfSigned || ci.IsCA {
		t.Errorf("names: %+v", ci)
	}
	if !slices.Equal(ci.SANs, []string{"server-a", "127.0.0.1"}) || !slices.Equal(ci.ExtKeyUsage, []string{"serverAuth"}) {
		t.Errorf("SANs %v EKU %v", ci.SANs, ci.ExtKeyUsage)
	}
	if ci.Validity != "expired 2h0m0s ago" {
		t.Errorf("Validity = %q", ci.Validity)
	}
	text := strings.Join(ci.Lines("  "), "\n")
	for _, w := range []string{"subject:  CN=server-a", "SANs:     server-a, 127.0.0.1", "<-- expired 2h0m0s ago", "ext use:  serverAuth", "SHA-256:  " + ci.SHA256} {
		if !strings.Contains(text, w) {
			t.Errorf("Lines lack %q:\n%s", w, text)
		}
	}
	caInfo := Info(ca.cert, from.Add(time.Hour))
	if !caInfo.SelfSigned || !caInfo.IsCA || caInfo.Validity != "" || !strings.Contains(strings.Join(caInfo.Lines(""), "\n"), "CA:       yes") {
		t.Errorf("CA: %+v", caInfo)
	}
}
