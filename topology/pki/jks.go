package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
)

// JKS stores are written with keystore-go, which implements Sun's format
// and its key protector. Aliases are lower-cased, as Java's JKS does with
// every alias, so a node named "Hub" is listed by keytool as "hub".
// Ordered aliases make the file the same from run to run for the same
// keys, which keeps diffs and golden listings quiet.

func encodeJKSKeyStore(alias string, key crypto.Signer, chain []*x509.Certificate, storePassword, keyPassword string, created time.Time) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	entry := keystore.PrivateKeyEntry{CreationTime: created, PrivateKey: der}
	for _, c := range chain {
		entry.CertificateChain = append(entry.CertificateChain, keystore.Certificate{Type: "X509", Content: c.Raw})
	}
	ks := keystore.New(keystore.WithOrderedAliases())
	if err := ks.SetPrivateKeyEntry(alias, entry, []byte(keyPassword)); err != nil {
		return nil, fmt.Errorf("add key entry %q: %w", alias, err)
	}
	return storeJKS(ks, storePassword)
}

func encodeJKSTrustStore(entries []trustEntry, storePassword string, created time.Time) ([]byte, error) {
	ks := keystore.New(keystore.WithOrderedAliases())
	for _, e := range entries {
		err := ks.SetTrustedCertificateEntry(e.alias, keystore.TrustedCertificateEntry{
			CreationTime: created,
			Certificate:  keystore.Certificate{Type: "X509", Content: e.cert.Raw},
		})
		if err != nil {
			return nil, fmt.Errorf("add trusted entry %q: %w", e.alias, err)
		}
	}
	return storeJKS(ks, storePassword)
}

func storeJKS(ks keystore.KeyStore, storePassword string) ([]byte, error) {
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte(storePassword)); err != nil {
		return nil, fmt.Errorf("encode JKS: %w", err)
	}
	return buf.Bytes(), nil
}
