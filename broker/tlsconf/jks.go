package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
)

// readJKS opens a JKS store. keystore-go says only "got invalid digest"
// when the integrity check fails, which with a store that opened in keytool
// means the password is wrong. An empty password skips the check, as
// Java's KeyStore.load(in, null) does and as ActiveMQ does when
// trustStorePassword is not set: keystore-go reads every entry before it
// checks the digest, so the entries are there even when the check fails.
func readJKS(data []byte, password string, skipIntegrity bool) (keystore.KeyStore, error) {
	ks := keystore.New(keystore.WithOrderedAliases())
	err := ks.Load(bytes.NewReader(data), []byte(password))
	if err != nil && skipIntegrity && strings.Contains(err.Error(), "invalid digest") {
		err = nil
	}
	return ks, err
}

func jksIdentity(path string, data []byte, storePassword, keyPassword string, keyPasswordGiven bool) (*identity, error) {
	ks, err := readJKS(data, storePassword, false)
	if err != nil {
		return nil, jksOpenErr(path, "keystore", "keyStorePassword", err)
	}
	var keys []string
	for _, a := range ks.Aliases() {
		if ks.IsPrivateKeyEntry(a) {
			keys = append(keys, a)
		}
	}
	switch len(keys) {
	case 0:
		return nil, loadErr(ClassNoPrivateKey, path, nil,
			"keystore %s holds no private key entry (%d trusted certificates: is it a truststore?): give the keystore keytool -genkey made as keyStore", path, len(ks.Aliases()))
	case 1:
	default:
		return nil, loadErr(ClassBadKeystore, path, nil,
			"keystore %s holds %d private key entries (%s): which one a Java broker presents depends on its key manager; keep one (keytool -delete -alias <other>)", path, len(keys), strings.Join(keys, ", "))
	}
	alias := keys[0]
	entry, err := ks.GetPrivateKeyEntry(alias, []byte(keyPassword))
	if err != nil && !strings.Contains(err.Error(), "invalid digest") {
		return nil, loadErr(ClassBadKeystore, path, nil, "keystore %s: key entry %q cannot be read (%v): make it again with keytool", path, alias, err)
	}
	if err != nil {
		setting := "keyPassword"
		if !keyPasswordGiven {
			setting = "keyPassword, unset so keyStorePassword was used"
		}
		return nil, loadErr(ClassBadKeyPassword, path, nil,
			"keystore %s: wrong key password (%s) for key entry %q: give the password set with keytool -keypass", path, setting, alias)
	}
	key, err := x509.ParsePKCS8PrivateKey(entry.PrivateKey)
	if err != nil {
		return nil, loadErr(ClassBadKeystore, path, nil, "keystore %s: key entry %q holds no PKCS#8 key brokerlab can read: export it again", path, alias)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, loadErr(ClassBadKeystore, path, nil, "keystore %s: key entry %q: a %T cannot sign a TLS handshake: use an RSA, ECDSA or Ed25519 key", path, alias, key)
	}
	var chain []*x509.Certificate
	for i, c := range entry.CertificateChain {
		cert, err := x509.ParseCertificate(c.Content)
		if err != nil {
			return nil, loadErr(ClassBadKeystore, path, nil, "keystore %s: key entry %q: certificate %d: %v: issue it again", path, alias, i+1, err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, loadErr(ClassBadKeystore, path, nil, "keystore %s: key entry %q has no certificate: import the certificate issued for it (keytool -importcert -alias %s)", path, alias, alias)
	}
	cert, err := certificate(path, alias, signer, chain)
	if err != nil {
		return nil, err
	}
	return &identity{cert: cert, typ: StoreJKS, alias: alias}, nil
}

// jksTrust reads a JKS truststore as Java's trust manager does: every
// trusted certificate entry, and the certificate of every key entry (Java's
// TrustStoreUtil counts those too, which is why the tutorial's broker.ks
// would also do as a truststore for the broker itself).
func jksTrust(path string, data []byte, password string) (*trusted, error) {
	ks, err := readJKS(data, password, password == "")
	if err != nil {
		return nil, jksOpenErr(path, "truststore", "trustStorePassword", err)
	}
	tr := &trusted{typ: StoreJKS}
	for _, a := range ks.Aliases() {
		var raw []byte
		if e, err := ks.GetTrustedCertificateEntry(a); err == nil {
			raw = e.Certificate.Content
		} else if chain, err := ks.GetPrivateKeyEntryCertificateChain(a); err == nil && len(chain) > 0 {
			raw = chain[0].Content
		} else {
			continue
		}
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, loadErr(ClassBadKeystore, path, nil, "truststore %s: entry %q: %v: import the certificate again", path, a, err)
		}
		tr.certs = append(tr.certs, c)
		tr.aliases = append(tr.aliases, a)
	}
	return tr, nil
}

func jksOpenErr(path, what, setting string, err error) error {
	if strings.Contains(err.Error(), "invalid digest") {
		class := ClassBadKeystorePassword
		if what == "truststore" {
			class = ClassBadTruststorePassword
		}
		return loadErr(class, path, nil,
			"%s %s: wrong password (%s), or the file is not a %s: give the password it was created with (keytool -storepass); keytool -list -keystore %s shows whether it opens", what, path, setting, what, path)
	}
	// keystore-go's other errors describe the structure it choked on. A
	// file cut short says "unexpected EOF", which read as text would pass
	// for a connection reset; say it in words instead.
	why := err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		why = "the file ends early"
	}
	return loadErr(ClassBadKeystore, path, nil, "%s %s: damaged JKS file (%s): copy it again, or make it again with keytool", what, path, why)
}

// certificate checks that key belongs to chain's leaf and makes the
// tls.Certificate a listener or connector presents.
func certificate(path, alias string, key crypto.Signer, chain []*x509.Certificate) (*tls.Certificate, error) {
	if err := keyMatches(chain[0], key); err != nil {
		entry := ""
		if alias != "" {
			entry = fmt.Sprintf(" in entry %q", alias)
		}
		return nil, loadErr(ClassKeyMismatch, path, nil,
			"keystore %s: the private key%s does not match the certificate (%s, %v): import the certificate issued for this key (keytool -importcert -alias <alias>) or make the pair again", path, entry, chain[0].Subject, err)
	}
	return tlsCertificate(key, chain), nil
}

// tlsCertificate is the tls.Certificate that presents chain, leaf first,
// signing with key.
func tlsCertificate(key crypto.Signer, chain []*x509.Certificate) *tls.Certificate {
	cert := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert
}
