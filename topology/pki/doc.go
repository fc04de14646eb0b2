// Package pki makes the certificates a topology asks for, fresh for every
// run, and writes them as PEM files, PKCS#12 and JKS keystores and
// truststores that brokers, openssl and Java's keytool read as they are.
//
//	topology.Spec + Options ──Generate──▶ dir/
//	   root/ ca.pem ca-key.pem crl.pem            one per authority; an
//	   mid/  ca.pem ca-key.pem crl.pem            intermediate is signed by its Parent
//	   hub/  cert.pem key.pem trust.pem           one per node with tls
//	         keystore.p12 keystore.jks            key entry aliased "hub"
//	         truststore.p12 truststore.jks        trusted entries aliased by trust name
//	   server-a/…
//	Material.Revoke("hub") ─▶ rewrites the issuer's crl.pem listing hub's serial
//
// By default every key is ECDSA P-256: quick to make, so a test run can
// afford a new PKI each time. Options.Nodes and Options.Authorities choose
// per certificate: key type (RSA 2048/3072/4096, ECDSA P-256/P-384,
// Ed25519), CN, SANs, extended key usage and validity window, and make an
// authority an intermediate by naming its Parent, to any depth. By default a
// node's certificate names it the way peers dial it through toxiproxy:
// Subject CN and a DNS SAN with the node name, plus localhost, 127.0.0.1
// and ::1, with both serverAuth and clientAuth because a duplex bridge
// makes every node both. cert.pem holds the leaf followed by the
// intermediates above it, never the root, as servers send them.
//
// Trust follows the topology's trust lists. An entry naming an authority
// puts the authority's certificate in trust.pem, so everything it signed
// is trusted. An entry naming a node pins that node's own certificate,
// as the classic ActiveMQ tutorial's shared truststores do with keytool's
// self-signed certificates. This holds even when the node's certificate was
// signed by an authority: the leaf itself is pinned, not its issuer. Go's
// crypto/x509 and Java accept a leaf that is itself in the trust store;
// OpenSSL does so for a self-signed leaf but needs -partial_chain for a
// pinned leaf (or an intermediate) whose issuer is not in the bundle.
//
// Keystores are what keytool would make: PKCS#12 with PBES2/AES-256 and an
// HMAC-SHA-256 MAC (go-pkcs12's Modern encoder, keytool's default since
// Java 12), its key protected by the store password as keytool does for
// PKCS12; JKS through keystore-go, its key protected by Options.KeyPassword.
// go-pkcs12 names no key entry, so the key bag's friendlyName (Java's
// alias) is added afterwards and the MAC recomputed (pkcs12.go). The store
// password defaults to "changeit". A node that trusts nobody gets
// truststores with no entries, which Java, and tlsconf.LoadKeyStore,
// refuse to use: leave its trustStore unset instead.
//
// Revocation is by CRL. Every authority publishes an empty one when
// generated; Revoke adds a node's (or an intermediate's) serial to its
// issuer's list. A self-signed certificate has no issuer to revoke it.
package pki
