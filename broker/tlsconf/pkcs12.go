package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// PKCS#12 files are read with go-pkcs12, which verifies the MAC and
// decrypts with one password. That is how keytool and openssl make them:
// keytool ignores -keypass for PKCS12 and protects the key with the store
// password. A keyPassword that differs from keyStorePassword therefore
// fails here as it fails in a Java broker.

func pkcs12Identity(path string, data []byte, storePassword, keyPassword string, keyPasswordGiven bool) (*identity, error) {
	key, leaf, others, err := pkcs12.DecodeChain(data, storePassword)
	if err != nil {
		return nil, pkcs12Err(path, "keystore", "keyStorePassword", storePassword, err)
	}
	if keyPasswordGiven && keyPassword != storePassword {
		return nil, loadErr(ClassBadKeyPassword, path, nil,
			"keystore %s: wrong key password (keyPassword): this PKCS#12 keystore protects its key with the store password, as keytool and openssl make them; leave keyPassword unset or set it to keyStorePassword", path)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, loadErr(ClassBadKeystore, path, nil, "keystore %s: a %T cannot sign a TLS handshake: use an RSA, ECDSA or Ed25519 key", path, key)
	}
	all := append([]*x509.Certificate{leaf}, others...)
	chain, _ := chainFor(signer, all)
	if chain == nil {
		// No certificate holds the key's public half; report it against
		// the one go-pkcs12 took for the leaf.
		chain = []*x509.Certificate{leaf}
	}
	cert, err := certificate(path, "", signer, chain)
	if err != nil {
		return nil, err
	}
	return &identity{cert: cert, typ: StorePKCS12}, nil
}

// pkcs12Trust reads a PKCS#12 truststore. Java trusts the certificates
// marked with its trusted-key-usage attribute (keytool -import sets it,
// openssl does not) and the certificate of a key entry. go-pkcs12 reads
// the first kind alone; a file that also holds a key is read as a
// keystore instead: its key's certificate is trusted, and so is every
// other certificate that is not part of that key's chain, which in a file
// keytool made is a trusted entry.
func pkcs12Trust(path string, data []byte, password string) (*trusted, error) {
	certs, err := pkcs12.DecodeTrustStore(data, password)
	if err == nil {
		return &trusted{certs: certs, aliases: make([]string, len(certs)), typ: StorePKCS12}, nil
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, pkcs12Err(path, "truststore", "trustStorePassword", password, err)
	}
	key, leaf, others, kerr := pkcs12.DecodeChain(data, password)
	if kerr != nil {
		if strings.Contains(err.Error(), "not marked as trusted") || strings.Contains(kerr.Error(), "private key missing") {
			return nil, emptyTrustStore(path, "its certificates lack the attribute that marks them trusted for Java, as openssl pkcs12 -export writes them; Java ignores them too")
		}
		return nil, pkcs12Err(path, "truststore", "trustStorePassword", password, kerr)
	}
	all := append([]*x509.Certificate{leaf}, others...)
	chain := []*x509.Certificate{leaf}
	if s, ok := key.(crypto.Signer); ok {
		if c, _ := chainFor(s, all); c != nil {
			chain = c
		}
	}
	tr := &trusted{typ: StorePKCS12, certs: []*x509.Certificate{chain[0]}, aliases: []string{""}}
	for _, c := range all {
		if !containsCert(chain, c) {
			tr.certs = append(tr.certs, c)
			tr.aliases = append(tr.aliases, "")
		}
	}
	return tr, nil
}

func pkcs12Err(path, what, setting, password string, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		class := ClassBadKeystorePassword
		if what == "truststore" {
			class = ClassBadTruststorePassword
		}
		hint := "give the password it was created with (keytool -storepass, openssl pkcs12 -passout)"
		if password == "" {
			hint = setting + " is not set, and a PKCS#12 file cannot be read without its password: set it"
		}
		return loadErr(class, path, nil, "%s %s: wrong password (%s), or the file is not a %s: %s", what, path, setting, what, hint)
	case strings.Contains(msg, "PKCS#8 shrouded key bag") || strings.Contains(msg, "decrypted private key") || strings.Contains(msg, "parsing PKCS#8"):
		// The MAC checked out with the store password, the key did not
		// decrypt with it: a key protected by another password, which
		// only Java's API (not keytool, not openssl) writes.
		return loadErr(ClassBadKeyPassword, path, nil,
			"%s %s: the private key is not protected by the store password (%s): brokerlab reads PKCS#12 keys protected by the store password, as keytool and openssl write them; re-export with keytool -importkeystore -deststoretype PKCS12", what, path, setting)
	case strings.Contains(msg, "private key missing"):
		return loadErr(ClassNoPrivateKey, path, nil,
			"%s %s holds no private key entry (is it a truststore?): give the keystore keytool -genkey made as keyStore", what, path)
	case strings.Contains(msg, "exactly one key bag"):
		return loadErr(ClassBadKeystore, path, nil,
			"%s %s holds more than one private key: which one a Java broker presents depends on its key manager; keep one (keytool -delete -alias <other>)", what, path)
	}
	// go-pkcs12's remaining messages describe structure or algorithms,
	// never the password or the key.
	return loadErr(ClassBadKeystore, path, nil, "%s %s: PKCS#12 file brokerlab cannot read (%s): re-export it with keytool -importkeystore -deststoretype PKCS12", what, path, msg)
}

// chainFor finds the certificate whose public key is key's, and follows
// issuers from it through certs (each signed by the next) to a
// self-signed certificate or as far as certs go. It returns nil when no
// certificate holds the key.
func chainFor(key crypto.Signer, certs []*x509.Certificate) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for _, c := range certs {
		if keyMatches(c, key) == nil {
			chain = []*x509.Certificate{c}
			break
		}
	}
	if chain == nil {
		return nil, errors.New("no certificate for the key")
	}
	for {
		last := chain[len(chain)-1]
		if bytes.Equal(last.RawIssuer, last.RawSubject) {
			return chain, nil
		}
		var next *x509.Certificate
		for _, c := range certs {
			if !containsCert(chain, c) && bytes.Equal(c.RawSubject, last.RawIssuer) && last.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			return chain, nil
		}
		chain = append(chain, next)
	}
}

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range certs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}
