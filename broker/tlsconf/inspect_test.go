package tlsconf

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectStore(t *testing.T) {
	dir := t.TempDir()
	ca := newCert(t, certSpec{cn: "lab CA", isCA: true})
	hub := newCert(t, certSpec{cn: "hub", dns: []string{"hub"}, issuer: ca})
	spoke := newCert(t, certSpec{cn: "spoke", dns: []string{"spoke"}})
	files := map[string][]byte{
		"hub.jks":   jksFile(t, storePW, storePW, jksEntry{alias: "hub", key: hub, chain: []*x509.Certificate{hub.cert, ca.cert}}),
		"trust.jks": jksFile(t, trustPW, "", jksEntry{alias: "lab-ca", cert: ca}, jksEntry{alias: "spoke", cert: spoke}),
		"hub.p12":   p12Key(t, hub, hub.cert, nil, storePW),
		"trust.p12": p12Trust(t, trustPW, ca, spoke),
		"hub.pem":   append(append([]byte{}, hub.certPEM...), hub.keyPEM...),
		"hub.der":   hub.cert.Raw,
		"junk":      []byte("not a store"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		file, password string
		typ            StoreType
		want           string // entries as alias/kind/CN, space-separated
		verified       bool
	}{
		{"hub.jks", storePW, StoreJKS, "hub/PrivateKeyEntry/hub,lab CA", true},
		{"hub.jks", "", StoreJKS, "hub/PrivateKeyEntry/hub,lab CA", false},
		{"trust.jks", trustPW, StoreJKS, "lab-ca/trustedCertEntry/lab CA spoke/trustedCertEntry/spoke", true},
		{"hub.p12", storePW, StorePKCS12, "/PrivateKeyEntry/hub", true},
		// go-pkcs12 reads friendly names only from stores with both a key
		// and certificates; a truststore's entries are listed unnamed.
		{"trust.p12", trustPW, StorePKCS12, "/trustedCertEntry/lab CA /trustedCertEntry/spoke", true},
		{"hub.pem", "", StorePEM, "/private key/ /certificate/hub", false},
		{"hub.der", "", StoreUnknown, "/certificate/hub", false},
	}
	for _, tt := range tests {
		sc, err := InspectStore(filepath.Join(dir, tt.file), tt.password)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		var got []string
		for _, e := range sc.Entries {
			var cns []string
			for _, c := range e.Chain {
				cns = append(cns, c.Subject.CommonName)
			}
			got = append(got, e.Alias+"/"+e.Kind+"/"+strings.Join(cns, ","))
		}
		if sc.Type != tt.typ || strings.Join(got, " ") != tt.want || sc.Verified != tt.verified {
			t.Errorf("%s: type %s entries %q verified %v, want %s %q %v", tt.file, sc.Type, strings.Join(got, " "), sc.Verified, tt.typ, tt.want, tt.verified)
		}
	}
	for _, tt := range []struct {
		file, password string
		class          Class
	}{
		{"hub.jks", "wrong", ClassBadKeystorePassword},
		{"hub.p12", "wrong", ClassBadKeystorePassword},
		{"junk", "", ClassBadKeystore},
	} {
		_, err := InspectStore(filepath.Join(dir, tt.file), tt.password)
		le, ok := errors.AsType[*LoadError](err)
		if !ok || le.Class != tt.class || strings.Contains(err.Error(), tt.password+")") && tt.password != "" {
			t.Errorf("%s: err %v, want class %s", tt.file, err, tt.class)
		}
	}
}
