// Package pki makes the certificates a topology asks for, fresh for every
// run, and writes them as PEM files that brokers (and openssl, and Java's
// keytool after conversion) can read.
//
//	topology.Spec ──Generate──▶ dir/
//	                              root/ca.pem  ca-key.pem        one per authority
//	                              hub/cert.pem key.pem trust.pem one per node with tls
//	                              server-a/…
//
// Every key is ECDSA P-256: quick to make, so a test run can afford a new
// PKI each time. A node's certificate names it the way peers dial it
// through toxiproxy: Subject CN and a DNS SAN with the node name, plus
// localhost, 127.0.0.1 and ::1, with both serverAuth and clientAuth
// because a duplex bridge makes every node both.
//
// Trust follows the topology's trust lists. An entry naming an authority
// puts the authority's certificate in trust.pem, so everything it signed
// is trusted. An entry naming a node pins that node's own certificate,
// as the classic ActiveMQ tutorial's shared truststores do with keytool's
// self-signed certificates. This holds even when the node's certificate was
// signed by an authority: the leaf itself is pinned, not its issuer. Go's
// crypto/x509 and Java accept a leaf that is itself in the trust store;
// OpenSSL does so for a self-signed leaf but needs -partial_chain for a
// pinned leaf whose issuer is not in the bundle.
package pki
