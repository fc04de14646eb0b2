package tlsconf

import (
	"fmt"
	"strings"
)

// Class is a TLS failure class: one stable set of names used by broker
// events, scenario expectations, reports and the CLI.
type Class string

const (
	ClassNone               Class = ""
	ClassUnknownAuthority   Class = "unknown-authority"    // the verifier has no path to a trusted root
	ClassHostnameMismatch   Class = "hostname-mismatch"    // certificate valid, but not for the name dialled
	ClassExpired            Class = "expired"              // NotAfter has passed
	ClassNotYetValid        Class = "not-yet-valid"        // NotBefore is in the future
	ClassBadKeyUsage        Class = "bad-key-usage"        // EKU does not allow serverAuth/clientAuth
	ClassBadCertificate     Class = "bad-certificate"      // the peer rejected our certificate without saying why (Go clients' alert)
	ClassClientCertRequired Class = "client-cert-required" // server requires a client certificate and none was sent
	ClassProtocolVersion    Class = "protocol-version"     // no common TLS version
	ClassNoCommonCipher     Class = "no-common-cipher"     // handshake_failure with no shared suite
	ClassNotTLS             Class = "not-tls"              // the other end does not speak TLS
	ClassHandshakeTimeout   Class = "handshake-timeout"    // no answer in time (e.g. a blackholed link)
	ClassConnectionReset    Class = "connection-reset"     // the peer closed mid-handshake without an alert
	ClassBadRecordMAC       Class = "bad-record-mac"       // a record failed its integrity check: bytes changed in transit
	ClassOther              Class = "other"                // none of the above; Reason carries the text

	// A peer certificate that a CRL revokes. The side that checked it
	// reports revoked; the other side sees bad-certificate.
	ClassRevoked Class = "revoked"

	// Load-time failures: the node cannot make a TLS configuration at all,
	// as a Java broker with a wrong keystore password exits at start-up.
	ClassBadKeystorePassword   Class = "bad-keystore-password"   // keyStorePassword does not open the keystore
	ClassBadTruststorePassword Class = "bad-truststore-password" // trustStorePassword does not open the truststore
	ClassBadKeyPassword        Class = "bad-key-password"        // keyPassword does not decrypt the key entry
	ClassKeyMismatch           Class = "key-mismatch"            // the private key is not the certificate's
	ClassNoPrivateKey          Class = "no-private-key"          // the keystore has no private key entry
	ClassTruststoreEmpty       Class = "truststore-empty"        // the truststore has no trusted certificate
	ClassBadKeystore           Class = "bad-keystore"            // missing, damaged, ambiguous or not a keystore
	ClassBadCRL                Class = "bad-crl"                 // the CRL file cannot be read

	// Policy: the peer's certificate verifies, but this node's policy
	// refuses it (policy.go), or Go's verifier refuses its signature.
	ClassWeakKey               Class = "weak-key"                // an RSA key shorter than the node's minimum (default 2048 bits)
	ClassBadSignatureAlgorithm Class = "bad-signature-algorithm" // signed with SHA-1 or MD5, which verifiers refuse
)

// Classes lists every failure class, for validating scenario expectations
// and for documentation. ClassNone is not a failure and is left out.
func Classes() []Class {
	return []Class{
		ClassUnknownAuthority, ClassHostnameMismatch, ClassExpired, ClassNotYetValid,
		ClassBadKeyUsage, ClassBadCertificate, ClassClientCertRequired, ClassProtocolVersion,
		ClassNoCommonCipher, ClassNotTLS, ClassHandshakeTimeout, ClassConnectionReset, ClassBadRecordMAC, ClassOther,
		ClassRevoked, ClassBadKeystorePassword, ClassBadTruststorePassword, ClassBadKeyPassword,
		ClassKeyMismatch, ClassNoPrivateKey, ClassTruststoreEmpty, ClassBadKeystore, ClassBadCRL,
		ClassWeakKey, ClassBadSignatureAlgorithm,
	}
}

// ParseClass reads a class name as scenario files write it.
func ParseClass(s string) (Class, error) {
	if c, ok := exactClass(s); ok {
		return c, nil
	}
	names := make([]string, 0, len(Classes()))
	for _, c := range Classes() {
		names = append(names, string(c))
	}
	return ClassNone, fmt.Errorf("tlsconf: unknown TLS failure class %q: use one of %s", s, strings.Join(names, ", "))
}
