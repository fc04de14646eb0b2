package faults

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// fileInReason finds the store or PEM file a load error names: tlsconf
// errors say "keystore /path/x.jks: …", "truststore /path: …" or
// "/path/key.pem does not match …".
var fileInReason = regexp.MustCompile(`(?:keystore|truststore|key|certificate) (/[^\s:,()]+)|(/[^\s:,()]+) does not match`)

// ExplainStart explains a node that refused to start because its TLS
// material could not be loaded (a start-failed event): which setting,
// which file, what Java says for the same mistake, and the fix. ActiveMQ
// exits at start-up for every one of these; so does a brokerlab node.
func ExplainStart(node string, class tlsconf.Class, reason string, _ Context) string {
	file := "its keystore"
	if m := fileInReason.FindStringSubmatch(reason); m != nil {
		file = m[1] + m[2]
	}
	var lines []string
	switch class {
	case tlsconf.ClassBadKeystorePassword:
		lines = []string{
			fmt.Sprintf("%s refused to start: keyStorePassword does not open its keystore %s.", node, file),
			"ActiveMQ exits at start-up the same way, logging \"Keystore was tampered with, or password was incorrect\".",
			fmt.Sprintf("Fix: set keyStorePassword in %s's sslContext to the password the keystore was made with (keytool -list -keystore %s asks for it and says whether it is right).", node, file),
		}
	case tlsconf.ClassBadTruststorePassword:
		lines = []string{
			fmt.Sprintf("%s refused to start: trustStorePassword does not open its truststore %s.", node, file),
			"ActiveMQ exits at start-up the same way, logging \"Keystore was tampered with, or password was incorrect\" (Java does not say which store).",
			fmt.Sprintf("Fix: set trustStorePassword in %s's sslContext to the truststore's password (check it with keytool -list -keystore %s).", node, file),
		}
	case tlsconf.ClassBadKeyPassword:
		lines = []string{
			fmt.Sprintf("%s refused to start: keyPassword does not decrypt the private key in its keystore %s (the store password opened the store).", node, file),
			"Java fails the same way at start-up with java.security.UnrecoverableKeyException: Cannot recover key.",
			fmt.Sprintf("Fix: set keyPassword in %s's sslContext to the key's own password, or leave it unset when the key has the store's password (keytool -keypasswd -alias %s -keystore %s changes it).", node, node, file),
		}
	case tlsconf.ClassKeyMismatch:
		lines = []string{
			fmt.Sprintf("%s refused to start: its private key %s is not the key its certificate was issued for.", node, file),
			"The certificate is fine, but the node could not prove it owns it; every peer would refuse the handshake.",
			fmt.Sprintf("Fix: point %s's KeyFile at the key the certificate was made for (openssl x509 -noout -pubkey -in <cert> and openssl pkey -pubout -in %s must print the same key), or issue a new certificate for this key.", node, file),
		}
	case tlsconf.ClassTruststoreEmpty:
		lines = []string{
			fmt.Sprintf("%s refused to start: its truststore %s has no trusted certificates.", node, file),
			"Java refuses an empty truststore too: \"the trustAnchors parameter must be non-empty\".",
			fmt.Sprintf("Fix: import the certificates of the peers (or the CA) %s must trust: keytool -import -alias <peer> -file <peer>.cer -keystore %s.", node, file),
		}
	case tlsconf.ClassNoPrivateKey:
		lines = []string{
			fmt.Sprintf("%s refused to start: its keystore %s holds no private key entry (only trusted certificates).", node, file),
			fmt.Sprintf("Fix: give %s the keystore keytool -genkey made (with its key), not a truststore.", node),
		}
	default:
		what := string(class)
		if what == "" {
			what = "a configuration error"
		}
		lines = []string{
			fmt.Sprintf("%s refused to start (%s).", node, what),
			fmt.Sprintf("Fix: correct the setting the reason names: %s", strings.TrimPrefix(reason, "broker: ")),
		}
	}
	lines = append(lines[:len(lines)-1], fmt.Sprintf("%s said: %q.", node, reason), lines[len(lines)-1])
	return strings.Join(lines, "\n")
}
