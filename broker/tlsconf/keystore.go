package tlsconf

// Keystores, revocation and principals (doc.go has the package picture):
//
//	KeyStore{KeyStore, KeyStorePassword, KeyPassword,   ActiveMQ's <sslContext>:
//	         TrustStore, TrustStorePassword, CRLFile}   JKS, PKCS#12 or PEM, by content
//	   │ LoadKeyStore (*LoadError with a Class on failure)
//	   ▼
//	Material{…, CRLs} ─ ServerConfig / ClientConfig ─▶ *tls.Config, checking CRLs
//	tls.ConnectionState ─ Principal ─▶ subject DN and SANs of a verified peer
//
// Keystores are read as a Java broker reads them. The format comes from the
// content (JKS magic 0xFEEDFEED, a PKCS#12 PFX, PEM text), never the file
// name: keytool has written PKCS#12 by default since Java 9, whatever the
// file is called. keyPassword defaults to keyStorePassword; a PKCS#12
// keystore's key is protected by the store password (keytool ignores
// -keypass for PKCS12), so a differing keyPassword fails as in Java. A
// truststore trusts its trusted-certificate entries and the certificate of
// each key entry (Java's TrustStoreUtil does the same); one with none is an
// error, truststore-empty, since Java refuses it too. A JKS truststore
// without a password is read without its integrity check, as
// KeyStore.load(in, null) does.
//
// Certificates with a CN and no SAN, as keytool -genkey makes them without
// -ext SAN, are valid for no name in Go, which ignores the CN; Java matches
// the CN. A connector verifying such a peer by name fails with
// hostname-mismatch, and the peer sees bad-certificate
// (TestActiveMQTutorialStores shows it on the tutorial's own stores). The
// broker keeps it that way: the fix is to re-issue with -ext
// SAN=dns:<node>. Should stores of that kind have to be used as they are,
// the way is an explicit, logged opt-in mirroring ActiveMQ's
// verifyHostName=false that verifies the chain or the pinned certificate
// and skips only the name; never a silent fallback to the CN.
//
// With a CRL file, ServerConfig and ClientConfig check every certificate of
// the peer's verified chain, the trust anchor excepted, against the lists
// its issuer signed (crl.go); a revoked peer fails with a *RevokedError,
// class revoked, on the checking side, while crypto/tls sends
// bad_certificate, so the other side sees bad-certificate.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"os"
	"strings"
)

// KeyStore names a node's stores as ActiveMQ's <sslContext> does
// (keyStore, keyStorePassword, keyPassword, trustStore,
// trustStorePassword), plus an optional CRL file.
//
// Each store may be a JKS keystore, a PKCS#12 file or PEM text, told apart
// by content, never by file name: keytool has written PKCS#12 by default
// since Java 9, whatever the file is called (the ActiveMQ tutorial's
// broker.ks is one). KeyPassword "" means the store password, as in
// ActiveMQ. A PEM keystore holds the certificate chain and an unencrypted
// key in one file; a PEM truststore, certificates; neither has passwords.
//
// KeyStore "" means no identity (a connector that only verifies), and
// TrustStore "" trusts nobody. A truststore that is given but holds no
// trusted certificate is an error, since Java refuses to use one ("the
// trustAnchors parameter must be non-empty").
type KeyStore struct {
	KeyStore, KeyStorePassword, KeyPassword string
	TrustStore, TrustStorePassword          string
	// CRLFile holds certificate revocation lists, PEM ("X509 CRL" blocks,
	// one per authority) or a single DER list. When set, ServerConfig and
	// ClientConfig refuse a peer whose certificate a list revokes.
	CRLFile string
}

// String shows the paths and whether each password is set, never the
// passwords, so that a KeyStore printed with %v in a log leaks nothing.
func (k KeyStore) String() string {
	set := func(p string) string {
		if p == "" {
			return "unset"
		}
		return "set"
	}
	return fmt.Sprintf("keyStore=%s keyStorePassword=%s keyPassword=%s trustStore=%s trustStorePassword=%s crlFile=%s",
		k.KeyStore, set(k.KeyStorePassword), set(k.KeyPassword), k.TrustStore, set(k.TrustStorePassword), k.CRLFile)
}

// GoString is String, for %#v.
func (k KeyStore) GoString() string { return "tlsconf.KeyStore{" + k.String() + "}" }

// StoreType is the format of a keystore or truststore, as found in its
// content.
type StoreType string

const (
	StoreUnknown StoreType = ""
	StoreJKS     StoreType = "JKS"    // Sun's format: magic 0xFEEDFEED
	StorePKCS12  StoreType = "PKCS12" // RFC 7292 PFX, DER
	StorePEM     StoreType = "PEM"
)

// DetectStoreType tells a store's format from its first bytes and its
// structure, not from the file name.
func DetectStoreType(data []byte) StoreType {
	switch {
	case bytes.HasPrefix(data, jksMagic):
		return StoreJKS
	case isPFX(data):
		return StorePKCS12
	case bytes.Contains(data, []byte("-----BEGIN ")):
		return StorePEM
	}
	return StoreUnknown
}

var (
	jksMagic   = []byte{0xfe, 0xed, 0xfe, 0xed}
	jceksMagic = []byte{0xce, 0xce, 0xce, 0xce}
	oidP7Data  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidP7Sig   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
)

// isPFX reports a DER SEQUENCE { INTEGER 3, ContentInfo { data or
// signedData ... } ... }: the PFX of RFC 7292. A DER certificate, also a
// SEQUENCE, does not start with an INTEGER.
func isPFX(data []byte) bool {
	var pfx struct {
		Version  int
		AuthSafe struct {
			ContentType asn1.ObjectIdentifier
			Rest        asn1.RawValue `asn1:"optional,tag:0,explicit"`
		}
		Rest asn1.RawValue `asn1:"optional"`
	}
	if len(data) == 0 || data[0] != 0x30 {
		return false
	}
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		return false
	}
	return pfx.Version == 3 && (pfx.AuthSafe.ContentType.Equal(oidP7Data) || pfx.AuthSafe.ContentType.Equal(oidP7Sig))
}

// LoadError is a keystore, truststore or CRL file that cannot be used.
// Class says which mistake it is (bad-keystore-password, bad-key-password,
// key-mismatch, truststore-empty, ...); the message names the file and the
// setting, says what to do, and never holds a password or key material.
type LoadError struct {
	Class Class
	File  string
	msg   string
	err   error
}

func (e *LoadError) Error() string { return e.msg }

// Unwrap gives the cause where there is one worth testing for, such as
// fs.ErrNotExist.
func (e *LoadError) Unwrap() error { return e.err }

func loadErr(class Class, file string, cause error, format string, args ...any) *LoadError {
	return &LoadError{Class: class, File: file, msg: "tlsconf: " + fmt.Sprintf(format, args...), err: cause}
}

// LoadKeyStore reads the stores k names, as a Java broker would, and
// returns Material for ServerConfig and ClientConfig. Errors are
// *LoadError values.
func LoadKeyStore(k KeyStore) (*Material, error) {
	m := &Material{Trust: x509.NewCertPool(), Stores: k}
	m.Stores.KeyStorePassword, m.Stores.KeyPassword, m.Stores.TrustStorePassword = "", "", ""
	if k.KeyStore != "" {
		keyPassword := k.KeyPassword
		if keyPassword == "" {
			keyPassword = k.KeyStorePassword
		}
		id, err := loadIdentity(k.KeyStore, k.KeyStorePassword, keyPassword, k.KeyPassword != "")
		if err != nil {
			return nil, err
		}
		m.Certificate, m.Leaf = id.cert, id.cert.Leaf
		m.KeyStoreType, m.KeyAlias = id.typ, id.alias
	}
	if k.TrustStore != "" {
		tr, err := loadTrustStore(k.TrustStore, k.TrustStorePassword)
		if err != nil {
			return nil, err
		}
		m.TrustStoreType = tr.typ
		for i, c := range tr.certs {
			m.trust(c)
			m.TrustedAliases = append(m.TrustedAliases, tr.aliases[i])
		}
	}
	if k.CRLFile != "" {
		crls, err := loadCRLs(k.CRLFile)
		if err != nil {
			return nil, err
		}
		m.CRLs = crls
	}
	return m, nil
}

// identity is a key entry read from a keystore.
type identity struct {
	cert  *tls.Certificate
	typ   StoreType
	alias string // "" where the format keeps none we can read
}

// trusted is what a truststore yields: certificates and, per certificate,
// its alias where the format keeps one.
type trusted struct {
	certs   []*x509.Certificate
	aliases []string
	typ     StoreType
}

func loadIdentity(path, storePassword, keyPassword string, keyPasswordGiven bool) (*identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, loadErr(ClassBadKeystore, path, err, "read keystore %s: %v: check the keyStore path", path, err)
	}
	switch DetectStoreType(data) {
	case StoreJKS:
		return jksIdentity(path, data, storePassword, keyPassword, keyPasswordGiven)
	case StorePKCS12:
		return pkcs12Identity(path, data, storePassword, keyPassword, keyPasswordGiven)
	case StorePEM:
		cert, err := loadKeyPair(path, path)
		if err != nil {
			return nil, pemLoadErr(path, "keystore", err)
		}
		return &identity{cert: cert, typ: StorePEM}, nil
	}
	return nil, loadErr(ClassBadKeystore, path, nil, "keystore %s is not a keystore: %s", path, unknownStore(data, "keystore"))
}

func loadTrustStore(path, password string) (*trusted, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, loadErr(ClassBadKeystore, path, err, "read truststore %s: %v: check the trustStore path", path, err)
	}
	var tr *trusted
	switch DetectStoreType(data) {
	case StoreJKS:
		tr, err = jksTrust(path, data, password)
	case StorePKCS12:
		tr, err = pkcs12Trust(path, data, password)
	case StorePEM:
		var certs []*x509.Certificate
		if certs, err = loadTrust(path); err == nil {
			tr = &trusted{certs: certs, aliases: make([]string, len(certs)), typ: StorePEM}
		} else {
			err = pemLoadErr(path, "truststore", err)
		}
	default:
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, emptyTrustStore(path, "the file is empty")
		}
		return nil, loadErr(ClassBadKeystore, path, nil, "truststore %s is not a truststore: %s", path, unknownStore(data, "truststore"))
	}
	if err != nil {
		return nil, err
	}
	if len(tr.certs) == 0 {
		return nil, emptyTrustStore(path, "it holds no entries")
	}
	return tr, nil
}

func emptyTrustStore(path, why string) *LoadError {
	return loadErr(ClassTruststoreEmpty, path, nil,
		"truststore %s has no trusted certificates (%s): import the peer's certificate with keytool -import -alias <peer> -file <peer.cer> -keystore %s, or leave trustStore unset to trust nobody", path, why, path)
}

// pemLoadErr keeps the PEM loader's message, which already names the file
// and the fix, says which store it is about, and gives it a class.
func pemLoadErr(path, what string, err error) error {
	class := ClassBadKeystore
	msg := strings.TrimPrefix(err.Error(), "tlsconf: ")
	if strings.Contains(msg, "does not match the certificate") {
		class = ClassKeyMismatch
	}
	msg = strings.TrimPrefix(msg, path+": ")
	return &LoadError{Class: class, File: path, msg: "tlsconf: " + what + " " + path + ": " + msg}
}

// unknownStore says what a file that is no store seems to be, because
// the usual mistake is handing over the wrong one of keytool's outputs.
func unknownStore(data []byte, what string) string {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return "the file is empty"
	case bytes.HasPrefix(data, jceksMagic):
		return "it is a JCEKS keystore, which brokerlab does not read: convert it with keytool -importkeystore -srcstoretype JCEKS -deststoretype PKCS12"
	}
	if _, err := x509.ParseCertificate(data); err == nil {
		if what == "truststore" {
			return "it is a single DER certificate, as keytool -export writes: import it into a truststore with keytool -import -alias <peer> -file <this file> -keystore truststore.jks"
		}
		return "it is a single DER certificate, as keytool -export writes, without its private key: give the keystore keytool -genkey made"
	}
	return "expected a JKS keystore, a PKCS#12 file or PEM text"
}
