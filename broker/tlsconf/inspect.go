package tlsconf

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// StoreEntry is one entry of a keystore or certificate file, as keytool
// -list shows it.
type StoreEntry struct {
	Alias   string // "" where the format has none (PEM) or it was not read
	Kind    string // "PrivateKeyEntry", "trustedCertEntry", "certificate" (PEM), "private key" (PEM)
	Created time.Time
	Chain   []*x509.Certificate // leaf first; one certificate for a trusted entry
}

// StoreContents is what a store or PEM file holds.
type StoreContents struct {
	Path    string
	Type    StoreType
	Entries []StoreEntry
	// Verified: the password checked the store's integrity. A JKS store
	// read without a password is listed unverified, as keytool -list does.
	Verified bool
}

// InspectStore lists what a keystore, truststore or PEM file holds. The
// type comes from the content. password may be "" for a JKS store (read
// without its integrity check) and for PEM; PKCS#12 needs it.
func InspectStore(path, password string) (*StoreContents, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: inspect %s: %w", path, err)
	}
	sc := &StoreContents{Path: path, Type: DetectStoreType(data)}
	switch sc.Type {
	case StoreJKS:
		err = sc.jks(data, password)
	case StorePKCS12:
		err = sc.pkcs12(data, password)
	case StorePEM:
		err = sc.pem(data)
	default:
		// A bare DER certificate, as keytool -export writes by default.
		if c, derr := x509.ParseCertificate(data); derr == nil {
			sc.Entries = []StoreEntry{{Kind: "certificate", Chain: []*x509.Certificate{c}}}
			return sc, nil
		}
		return nil, loadErr(ClassBadKeystore, path, nil, "%s is neither a JKS or PKCS#12 store, nor PEM or DER certificates (%s)", path, unknownStore(data, "file"))
	}
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func (sc *StoreContents) jks(data []byte, password string) error {
	ks, err := readJKS(data, password, password == "")
	if err != nil {
		return jksOpenErr(sc.Path, "store", "--password", err)
	}
	sc.Verified = password != ""
	for _, a := range ks.Aliases() {
		switch {
		case ks.IsPrivateKeyEntry(a):
			chain, err := ks.GetPrivateKeyEntryCertificateChain(a)
			if err != nil {
				return loadErr(ClassBadKeystore, sc.Path, err, "%s: entry %q: %v", sc.Path, a, err)
			}
			e := StoreEntry{Alias: a, Kind: "PrivateKeyEntry"}
			for _, c := range chain {
				cert, err := x509.ParseCertificate(c.Content)
				if err != nil {
					return loadErr(ClassBadKeystore, sc.Path, err, "%s: entry %q: certificate: %v", sc.Path, a, err)
				}
				e.Chain = append(e.Chain, cert)
			}
			sc.Entries = append(sc.Entries, e)
		case ks.IsTrustedCertificateEntry(a):
			te, err := ks.GetTrustedCertificateEntry(a)
			if err != nil {
				return loadErr(ClassBadKeystore, sc.Path, err, "%s: entry %q: %v", sc.Path, a, err)
			}
			cert, err := x509.ParseCertificate(te.Certificate.Content)
			if err != nil {
				return loadErr(ClassBadKeystore, sc.Path, err, "%s: entry %q: certificate: %v", sc.Path, a, err)
			}
			sc.Entries = append(sc.Entries, StoreEntry{Alias: a, Kind: "trustedCertEntry", Created: te.CreationTime, Chain: []*x509.Certificate{cert}})
		}
	}
	return nil
}

func (sc *StoreContents) pkcs12(data []byte, password string) error {
	_, leaf, cas, err := pkcs12.DecodeChain(data, password)
	switch {
	case err == nil:
		sc.Verified = true
		sc.Entries = []StoreEntry{{Kind: "PrivateKeyEntry", Chain: append([]*x509.Certificate{leaf}, cas...)}}
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return loadErr(ClassBadKeystorePassword, sc.Path, nil, "%s: wrong password (--password); a PKCS#12 store cannot be read without its password", sc.Path)
	default:
		// No key: a truststore.
		certs, terr := pkcs12.DecodeTrustStore(data, password)
		if terr != nil {
			if errors.Is(terr, pkcs12.ErrIncorrectPassword) {
				return loadErr(ClassBadKeystorePassword, sc.Path, nil, "%s: wrong password (--password); a PKCS#12 store cannot be read without its password", sc.Path)
			}
			return loadErr(ClassBadKeystore, sc.Path, terr, "%s: not a readable PKCS#12 store: %v (as a keystore: %v)", sc.Path, terr, err)
		}
		sc.Verified = true
		for _, c := range certs {
			sc.Entries = append(sc.Entries, StoreEntry{Kind: "trustedCertEntry", Chain: []*x509.Certificate{c}})
		}
	}
	sc.pkcs12Aliases(data, password)
	return nil
}

// pkcs12Aliases fills in the aliases keytool gave the entries: the
// friendlyName attribute of each certificate bag. go-pkcs12's DecodeChain
// and DecodeTrustStore do not return them; its older ToPEM does, as PEM
// headers, but only for stores of exactly two safes (a key and its
// certificates, as keytool and brokerlab write keystores); a truststore's
// entries are listed unnamed, by subject.
func (sc *StoreContents) pkcs12Aliases(data []byte, password string) {
	//lint:ignore SA1019 ToPEM is the only go-pkcs12 API that returns friendlyName
	blocks, err := pkcs12.ToPEM(data, password)
	if err != nil {
		return
	}
	// keytool names the key bag, and sometimes the certificate's too; the
	// certificate of a key is tied to it by localKeyId.
	byDER, keyNames, certKeyID := map[string]string{}, map[string]string{}, map[string]string{}
	for _, b := range blocks {
		name, id := b.Headers["friendlyName"], b.Headers["localKeyId"]
		switch b.Type {
		case "CERTIFICATE":
			if name != "" {
				byDER[string(b.Bytes)] = name
			}
			if id != "" {
				certKeyID[string(b.Bytes)] = id
			}
		case "PRIVATE KEY":
			if name != "" && id != "" {
				keyNames[id] = name
			}
		}
	}
	for i, e := range sc.Entries {
		if len(e.Chain) == 0 {
			continue
		}
		leaf := string(e.Chain[0].Raw)
		if a := byDER[leaf]; a != "" {
			sc.Entries[i].Alias = a
		} else if a := keyNames[certKeyID[leaf]]; a != "" {
			sc.Entries[i].Alias = a
		}
	}
}

func (sc *StoreContents) pem(data []byte) error {
	blocks, err := pemBlocks(sc.Path, data)
	if err != nil {
		return err
	}
	var chain []*x509.Certificate
	for _, b := range blocks {
		switch {
		case b.Type == pemCert:
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return loadErr(ClassBadKeystore, sc.Path, err, "%s: a CERTIFICATE block does not parse: %v", sc.Path, err)
			}
			chain = append(chain, c)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			sc.Entries = append(sc.Entries, StoreEntry{Kind: "private key"})
		}
	}
	for _, c := range chain {
		sc.Entries = append(sc.Entries, StoreEntry{Kind: "certificate", Chain: []*x509.Certificate{c}})
	}
	return nil
}
