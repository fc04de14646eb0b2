package tlsconf

// Classify (classify.go) matches text where there is no type to go by,
// including errors that crossed a process boundary as strings: a broker
// child process that could not open its keystore, or refused a revoked
// peer, reports it as text. These entries extend its table with the words
// of this package's own load-time and revocation errors, and with Java's
// words for the same failures, as a Java broker logs them. In-process, the
// Class field of a *LoadError says the same without any matching.
var loadTextClasses = []textClass{
	{"tlsconf: certificate revoked:", ClassRevoked},
	{"Certificate has been revoked", ClassRevoked}, // Java's CertPathValidatorException
	{"wrong password (keyStorePassword)", ClassBadKeystorePassword},
	{"wrong password (trustStorePassword)", ClassBadTruststorePassword},
	// Java's messages do not say which store; the keystore is read first.
	{"Keystore was tampered with, or password was incorrect", ClassBadKeystorePassword},
	{"keystore password was incorrect", ClassBadKeystorePassword},
	{"wrong key password (keyPassword", ClassBadKeyPassword},
	{"is not protected by the store password", ClassBadKeyPassword},
	{"Cannot recover key", ClassBadKeyPassword}, // Java's UnrecoverableKeyException
	{"does not match the certificate", ClassKeyMismatch},
	{"holds no private key entry", ClassNoPrivateKey},
	{"has no trusted certificates", ClassTruststoreEmpty},
	{"the trustAnchors parameter must be non-empty", ClassTruststoreEmpty}, // Java, for an empty truststore
	{"tlsconf: read CRL ", ClassBadCRL},
	{"tlsconf: CRL ", ClassBadCRL},
	{"tlsconf: read keystore ", ClassBadKeystore},
	{"tlsconf: read truststore ", ClassBadKeystore},
	{"tlsconf: keystore ", ClassBadKeystore},
	{"tlsconf: truststore ", ClassBadKeystore},
}

func init() {
	textClasses = append(textClasses, loadTextClasses...)
}
