package tlsconf

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Passwords distinct enough that finding one in an error message means it
// leaked.
const (
	storePW = "St0re-pa55-4711"
	keyPW   = "K3y-pa55-0815"
	trustPW = "Tru5t-pa55-1234"
)

type jksEntry struct {
	alias string
	key   *testCert           // nil: a trusted certificate entry
	chain []*x509.Certificate // for a key entry; nil means key.cert alone
	cert  *testCert           // for a trusted entry
}

func jksFile(t *testing.T, storePassword, keyPassword string, entries ...jksEntry) []byte {
	t.Helper()
	ks := keystore.New()
	for _, e := range entries {
		if e.key == nil {
			err := ks.SetTrustedCertificateEntry(e.alias, keystore.TrustedCertificateEntry{CreationTime: time.Now(),
				Certificate: keystore.Certificate{Type: "X509", Content: e.cert.cert.Raw}})
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(e.key.key)
		if err != nil {
			t.Fatal(err)
		}
		chain := e.chain
		if chain == nil {
			chain = []*x509.Certificate{e.key.cert}
		}
		pke := keystore.PrivateKeyEntry{CreationTime: time.Now(), PrivateKey: der}
		for _, c := range chain {
			pke.CertificateChain = append(pke.CertificateChain, keystore.Certificate{Type: "X509", Content: c.Raw})
		}
		if err := ks.SetPrivateKeyEntry(e.alias, pke, []byte(keyPassword)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte(storePassword)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func p12Key(t *testing.T, key *testCert, leaf *x509.Certificate, cas []*x509.Certificate, password string) []byte {
	t.Helper()
	data, err := pkcs12.Modern.Encode(key.key, leaf, cas, password)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func p12Trust(t *testing.T, password string, certs ...*testCert) []byte {
	t.Helper()
	var entries []pkcs12.TrustStoreEntry
	for _, c := range certs {
		entries = append(entries, pkcs12.TrustStoreEntry{Cert: c.cert, FriendlyName: c.cert.Subject.CommonName})
	}
	data, err := pkcs12.Modern.EncodeTrustStoreEntries(entries, password)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDetectStoreType(t *testing.T) {
	hub := node(t, "hub")
	cases := []struct {
		name string
		data []byte
		want StoreType
	}{
		{"JKS", jksFile(t, storePW, storePW, jksEntry{alias: "hub", cert: hub}), StoreJKS},
		{"PKCS#12", p12Key(t, hub, hub.cert, nil, storePW), StorePKCS12},
		{"PKCS#12 truststore", p12Trust(t, storePW, hub), StorePKCS12},
		{"PEM", hub.certPEM, StorePEM},
		{"PEM after text", append([]byte("Bag Attributes\n"), hub.certPEM...), StorePEM},
		{"DER certificate", hub.cert.Raw, StoreUnknown},
		{"JCEKS", []byte{0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2}, StoreUnknown},
		{"empty", nil, StoreUnknown},
		{"text", []byte("hello"), StoreUnknown},
	}
	for _, tc := range cases {
		if got := DetectStoreType(tc.data); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLoadKeyStore(t *testing.T) {
	hub, spoke, other := node(t, "hub"), node(t, "server-a"), node(t, "server-b")
	ca := newCert(t, certSpec{cn: "lab CA", isCA: true})
	leaf := newCert(t, certSpec{cn: "server-c", dns: []string{"server-c"}, issuer: ca})
	dir := t.TempDir()
	file := func(name string, data []byte) string { return writeFile(t, dir, name, data) }

	jksKS := file("hub.jks", jksFile(t, storePW, keyPW, jksEntry{alias: "Hub", key: hub}))
	jksTS := file("hub-trust.jks", jksFile(t, trustPW, "", jksEntry{alias: "server-a", cert: spoke}, jksEntry{alias: "server-b", cert: other}))
	// Names that lie about the content: the type comes from the bytes.
	p12AsJKS := file("keystore.jks", p12Key(t, hub, hub.cert, nil, storePW))
	jksAsP12 := file("truststore.p12", jksFile(t, trustPW, "", jksEntry{alias: "server-a", cert: spoke}))
	p12TS := file("trust.ts", p12Trust(t, trustPW, spoke, other))
	p12Chain := file("leaf.p12", p12Key(t, leaf, leaf.cert, []*x509.Certificate{ca.cert}, storePW))
	pemKS := file("hub.pem", cat(hub.certPEM, hub.keyPEM))
	pemTS := file("trust.pem", cat(spoke.certPEM, other.certPEM))
	jksSamePW := file("same.jks", jksFile(t, storePW, storePW, jksEntry{alias: "hub", key: hub}))

	cases := []struct {
		name         string
		k            KeyStore
		keyType      StoreType
		trustType    StoreType
		alias        string
		chain        int
		trusted      []string // subjects
		trustAliases []string
	}{
		{"JKS with a key password, JKS truststore", KeyStore{KeyStore: jksKS, KeyStorePassword: storePW, KeyPassword: keyPW, TrustStore: jksTS, TrustStorePassword: trustPW},
			StoreJKS, StoreJKS, "hub", 1, []string{"CN=server-a", "CN=server-b"}, []string{"server-a", "server-b"}},
		{"JKS key password unset means the store password", KeyStore{KeyStore: jksSamePW, KeyStorePassword: storePW},
			StoreJKS, StoreUnknown, "hub", 1, nil, nil},
		{"PKCS#12 named .jks, JKS named .p12", KeyStore{KeyStore: p12AsJKS, KeyStorePassword: storePW, TrustStore: jksAsP12, TrustStorePassword: trustPW},
			StorePKCS12, StoreJKS, "", 1, []string{"CN=server-a"}, []string{"server-a"}},
		{"PKCS#12 keystore with its chain, PKCS#12 truststore", KeyStore{KeyStore: p12Chain, KeyStorePassword: storePW, TrustStore: p12TS, TrustStorePassword: trustPW},
			StorePKCS12, StorePKCS12, "", 2, []string{"CN=server-a", "CN=server-b"}, []string{"", ""}},
		{"PEM keystore and truststore, passwords ignored", KeyStore{KeyStore: pemKS, KeyStorePassword: "x", TrustStore: pemTS},
			StorePEM, StorePEM, "", 1, []string{"CN=server-a", "CN=server-b"}, []string{"", ""}},
		// Java reads a JKS truststore without a password, unchecked.
		{"JKS truststore without its password", KeyStore{TrustStore: jksTS},
			StoreUnknown, StoreJKS, "", 0, []string{"CN=server-a", "CN=server-b"}, []string{"server-a", "server-b"}},
		// Java trusts the certificate of a key entry in a truststore.
		{"JKS keystore as truststore", KeyStore{TrustStore: jksKS, TrustStorePassword: storePW},
			StoreUnknown, StoreJKS, "", 0, []string{"CN=hub"}, []string{"hub"}},
		{"PKCS#12 keystore as truststore: the key's certificate, not its chain", KeyStore{TrustStore: p12Chain, TrustStorePassword: storePW},
			StoreUnknown, StorePKCS12, "", 0, []string{"CN=server-c"}, []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadKeyStore(tc.k)
			if err != nil {
				t.Fatalf("LoadKeyStore: %v", err)
			}
			if m.KeyStoreType != tc.keyType || m.TrustStoreType != tc.trustType || m.KeyAlias != tc.alias {
				t.Errorf("types %q/%q, alias %q; want %q/%q, %q", m.KeyStoreType, m.TrustStoreType, m.KeyAlias, tc.keyType, tc.trustType, tc.alias)
			}
			if tc.chain == 0 && m.Certificate != nil || tc.chain > 0 && (m.Certificate == nil || len(m.Certificate.Certificate) != tc.chain || m.Leaf != m.Certificate.Leaf) {
				t.Errorf("certificate %v, want a chain of %d", m.Certificate, tc.chain)
			}
			if !slices.Equal(m.TrustedSubjects, tc.trusted) || !slices.Equal(m.TrustedAliases, tc.trustAliases) || len(m.Trusted) != len(tc.trusted) {
				t.Errorf("trusted %q aliases %q, want %q %q", m.TrustedSubjects, m.TrustedAliases, tc.trusted, tc.trustAliases)
			}
			if m.Stores.KeyStore != tc.k.KeyStore || m.Stores.KeyStorePassword != "" || m.Stores.KeyPassword != "" || m.Stores.TrustStorePassword != "" {
				t.Errorf("Stores = %#v, want the paths without passwords", m.Stores)
			}
		})
	}

	// The material works: a handshake from JKS to PKCS#12.
	must := mustConfig(t)
	srv := must(ServerConfig(mustLoad(t, KeyStore{KeyStore: jksKS, KeyStorePassword: storePW, KeyPassword: keyPW, TrustStore: p12TS, TrustStorePassword: trustPW}), NeedClientCert))
	spokeKS := file("spoke.p12", p12Key(t, spoke, spoke.cert, nil, storePW))
	hubTS := file("hub.ts", jksFile(t, trustPW, "", jksEntry{alias: "hub", cert: hub}))
	cli := must(ClientConfig(mustLoad(t, KeyStore{KeyStore: spokeKS, KeyStorePassword: storePW, TrustStore: hubTS, TrustStorePassword: trustPW}), "hub"))
	if o := pair(t, srv, cli); o.client != nil || o.server != nil {
		t.Errorf("handshake: client %v, server %v", o.client, o.server)
	}
}

func mustLoad(t *testing.T, k KeyStore) *Material {
	t.Helper()
	m, err := LoadKeyStore(k)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadKeyStoreErrors(t *testing.T) {
	hub, spoke := node(t, "hub"), node(t, "server-a")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	file := func(name string, data []byte) string { return writeFile(t, dir, name, data) }

	jksKS := file("hub.jks", jksFile(t, storePW, keyPW, jksEntry{alias: "hub", key: hub}))
	p12KS := file("hub.p12", p12Key(t, hub, hub.cert, nil, storePW))
	jksTS := file("trust.jks", jksFile(t, trustPW, "", jksEntry{alias: "server-a", cert: spoke}))
	p12TS := file("trust.p12", p12Trust(t, trustPW, spoke))
	mismatchJKS := file("mismatch.jks", jksFile(t, storePW, storePW, jksEntry{alias: "hub", key: hub, chain: []*x509.Certificate{spoke.cert}}))
	mismatchP12 := file("mismatch.p12", p12Key(t, hub, spoke.cert, nil, storePW))
	twoKeys := file("two.jks", jksFile(t, storePW, storePW, jksEntry{alias: "hub", key: hub}, jksEntry{alias: "spoke", key: spoke}))
	emptyJKS := file("empty.jks", jksFile(t, trustPW, ""))
	emptyP12 := file("empty.p12", p12Trust(t, trustPW))
	jksData := jksFile(t, storePW, storePW, jksEntry{alias: "hub", key: hub})

	cases := []struct {
		name  string
		k     KeyStore
		class Class
		want  []string // substrings, in order
	}{
		{"JKS: wrong store password", KeyStore{KeyStore: jksKS, KeyStorePassword: "wrong", KeyPassword: keyPW}, ClassBadKeystorePassword,
			[]string{"tlsconf: keystore " + jksKS + ": wrong password (keyStorePassword), or the file is not a keystore", "keytool -list -keystore " + jksKS}},
		{"PKCS#12: wrong store password", KeyStore{KeyStore: p12KS, KeyStorePassword: "wrong"}, ClassBadKeystorePassword,
			[]string{"tlsconf: keystore " + p12KS + ": wrong password (keyStorePassword), or the file is not a keystore"}},
		{"JKS: wrong truststore password", KeyStore{TrustStore: jksTS, TrustStorePassword: storePW}, ClassBadTruststorePassword,
			[]string{"tlsconf: truststore " + jksTS + ": wrong password (trustStorePassword), or the file is not a truststore"}},
		{"PKCS#12: wrong truststore password", KeyStore{TrustStore: p12TS, TrustStorePassword: storePW}, ClassBadTruststorePassword,
			[]string{"tlsconf: truststore " + p12TS + ": wrong password (trustStorePassword)"}},
		{"PKCS#12: truststore password unset", KeyStore{TrustStore: p12TS}, ClassBadTruststorePassword,
			[]string{"trustStorePassword is not set, and a PKCS#12 file cannot be read without its password"}},
		{"JKS: wrong key password", KeyStore{KeyStore: jksKS, KeyStorePassword: storePW, KeyPassword: storePW + "x"}, ClassBadKeyPassword,
			[]string{"tlsconf: keystore " + jksKS + `: wrong key password (keyPassword) for key entry "hub"`, "keytool -keypass"}},
		{"JKS: key password unset, store password does not fit", KeyStore{KeyStore: jksKS, KeyStorePassword: storePW}, ClassBadKeyPassword,
			[]string{"wrong key password (keyPassword, unset so keyStorePassword was used)"}},
		{"PKCS#12: a distinct key password", KeyStore{KeyStore: p12KS, KeyStorePassword: storePW, KeyPassword: keyPW}, ClassBadKeyPassword,
			[]string{"wrong key password (keyPassword): this PKCS#12 keystore protects its key with the store password"}},
		{"JKS: truststore given as keystore", KeyStore{KeyStore: jksTS, KeyStorePassword: trustPW}, ClassNoPrivateKey,
			[]string{"tlsconf: keystore " + jksTS + " holds no private key entry", "is it a truststore?"}},
		{"PKCS#12: truststore given as keystore", KeyStore{KeyStore: p12TS, KeyStorePassword: trustPW}, ClassNoPrivateKey,
			[]string{"tlsconf: keystore " + p12TS + " holds no private key entry"}},
		{"JKS: key does not match", KeyStore{KeyStore: mismatchJKS, KeyStorePassword: storePW}, ClassKeyMismatch,
			[]string{"tlsconf: keystore " + mismatchJKS + `: the private key in entry "hub" does not match the certificate (CN=server-a, public keys differ)`}},
		{"PKCS#12: key does not match", KeyStore{KeyStore: mismatchP12, KeyStorePassword: storePW}, ClassKeyMismatch,
			[]string{"tlsconf: keystore " + mismatchP12 + ": the private key does not match the certificate"}},
		{"JKS: two keys", KeyStore{KeyStore: twoKeys, KeyStorePassword: storePW}, ClassBadKeystore,
			[]string{"holds 2 private key entries (hub, spoke)", "keytool -delete"}},
		{"JKS: empty truststore", KeyStore{TrustStore: emptyJKS, TrustStorePassword: trustPW}, ClassTruststoreEmpty,
			[]string{"tlsconf: truststore " + emptyJKS + " has no trusted certificates (it holds no entries): import the peer's certificate with keytool -import"}},
		{"PKCS#12: empty truststore", KeyStore{TrustStore: emptyP12, TrustStorePassword: trustPW}, ClassTruststoreEmpty,
			[]string{"tlsconf: truststore " + emptyP12 + " has no trusted certificates"}},
		{"empty file as truststore", KeyStore{TrustStore: file("empty.ts", nil)}, ClassTruststoreEmpty,
			[]string{"has no trusted certificates (the file is empty)"}},
		{"DER certificate as truststore", KeyStore{TrustStore: file("broker_cert", hub.cert.Raw)}, ClassBadKeystore,
			[]string{"is not a truststore: it is a single DER certificate, as keytool -export writes: import it into a truststore with keytool -import"}},
		{"DER certificate as keystore", KeyStore{KeyStore: file("broker.cer", hub.cert.Raw)}, ClassBadKeystore,
			[]string{"is not a keystore: it is a single DER certificate", "without its private key"}},
		{"JCEKS", KeyStore{KeyStore: file("x.jceks", []byte{0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2})}, ClassBadKeystore,
			[]string{"JCEKS keystore", "-deststoretype PKCS12"}},
		{"garbage", KeyStore{KeyStore: file("x.ks", []byte("hello"))}, ClassBadKeystore,
			[]string{"is not a keystore: expected a JKS keystore, a PKCS#12 file or PEM text"}},
		{"truncated JKS", KeyStore{KeyStore: file("cut.jks", jksData[:len(jksData)/2]), KeyStorePassword: storePW}, ClassBadKeystore,
			[]string{"damaged JKS file"}},
		{"missing keystore", KeyStore{KeyStore: p("nope.jks")}, ClassBadKeystore,
			[]string{"tlsconf: read keystore " + p("nope.jks") + ": open ", "check the keyStore path"}},
		{"missing truststore", KeyStore{TrustStore: p("nope.ts")}, ClassBadKeystore,
			[]string{"tlsconf: read truststore " + p("nope.ts")}},
		{"PEM keystore without a key", KeyStore{KeyStore: file("cert-only.pem", hub.certPEM)}, ClassBadKeystore,
			[]string{`no PEM "PRIVATE KEY" block found`}},
		{"missing CRL", KeyStore{CRLFile: p("nope.crl")}, ClassBadCRL,
			[]string{"tlsconf: read CRL " + p("nope.crl")}},
		{"CRL not a CRL", KeyStore{CRLFile: file("x.crl", hub.certPEM)}, ClassBadCRL,
			[]string{`block 1 is "CERTIFICATE", not a CRL`}},
		{"CRL garbage", KeyStore{CRLFile: file("y.crl", []byte("junk"))}, ClassBadCRL,
			[]string{"tlsconf: CRL ", "list 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadKeyStore(tc.k)
			if err == nil {
				t.Fatalf("LoadKeyStore = %+v, want an error", m)
			}
			msg := err.Error()
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q\nwant it to contain, in order, %q", msg, tc.want)
				}
				rest = rest[i+len(w):]
			}
			le, ok := errors.AsType[*LoadError](err)
			if !ok || le.Class != tc.class {
				t.Errorf("error %T with class %v, want a *LoadError of class %s", err, le, tc.class)
			}
			if ok && le.File == "" {
				t.Errorf("LoadError.File is empty")
			}
			if got := Classify(err); got != tc.class {
				t.Errorf("Classify = %q, want %q", got, tc.class)
			}
			// The same error as text, as it arrives from a child process.
			if got := Classify(errors.New(msg)); got != tc.class {
				t.Errorf("Classify(text) = %q, want %q", got, tc.class)
			}
			for _, pw := range []string{storePW, keyPW, trustPW} {
				if strings.Contains(msg, pw) {
					t.Errorf("error %q contains a password", msg)
				}
			}
		})
	}
	_, err := LoadKeyStore(KeyStore{KeyStore: p("nope.jks")})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing keystore: %v does not wrap fs.ErrNotExist", err)
	}
}

func TestKeyStoreString(t *testing.T) {
	k := KeyStore{KeyStore: "/x/a.jks", KeyStorePassword: storePW, TrustStore: "/x/t.jks", TrustStorePassword: trustPW}
	for _, format := range []string{"%v", "%+v", "%s", "%#v"} {
		got := fmt.Sprintf(format, k)
		if strings.Contains(got, storePW) || strings.Contains(got, trustPW) || !strings.Contains(got, "/x/a.jks") {
			t.Errorf("%s of KeyStore = %q", format, got)
		}
	}
	if got := k.String(); got != "keyStore=/x/a.jks keyStorePassword=set keyPassword=unset trustStore=/x/t.jks trustStorePassword=set crlFile=" {
		t.Errorf("String() = %q", got)
	}
}
