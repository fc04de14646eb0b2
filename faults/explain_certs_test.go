package faults

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// certAt is when the certificate cases' PKIs are made; the explanations
// read them five minutes later, so that "65 minutes ago" is stable.
var certAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// certExplainCases are failures as the runner really observes them (the
// classes and reasons of the catalogue's certificate scenarios), explained
// against a PKI really made with the mutation, under tmp.
func certExplainCases(t *testing.T, tmp string) []explainCase {
	old := now
	now = func() time.Time { return certAt.Add(5 * time.Minute) }
	t.Cleanup(func() { now = old })
	mk := func(dir string, spec *topology.Spec, kind string, p Params) Context {
		return mutate(t, spec, filepath.Join(tmp, dir), certAt, mustMutation(t, kind, p)).context()
	}
	const (
		failedVerify = "tls: failed to verify certificate: x509: "
		afterWindow  = failedVerify + "certificate has expired or is not yet valid: current time 2026-03-01T12:05:00Z is after 2026-03-01T11:00:00Z"
	)
	expired := mk("expired", tutorialSpec(), "expired", Params{"node": "hub"})
	caExpired := mk("ca-expired", caSpec(), "expired", Params{"node": "server-a", "ago": "72h"})
	notYet := mk("not-yet-valid", tutorialSpec(), "not-yet-valid", Params{"node": "server-a"})
	hostname := mk("hostname", tutorialSpec(), "hostname-mismatch", Params{"node": "hub"})
	cnOnly := mk("cn-only", tutorialSpec(), "cn-only", Params{"node": "hub"})
	regenerated := mk("wrong-ca", tutorialSpec(), "wrong-ca", Params{"node": "hub"})
	otherCA := mk("other-ca", caSpec(), "wrong-ca", Params{"node": "hub"})
	clientEKU := mk("client-eku", tutorialSpec(), "client-eku", Params{"node": "hub"})
	serverEKU := mk("server-eku", tutorialSpec(), "server-eku", Params{"node": "server-a"})
	revoked := mk("revoked", caSpec(), "revoked", Params{"node": "server-a"})

	client := func(class tlsconf.Class, reason string) Failure {
		return Failure{Link: aToHub, Node: "server-a", Side: events.SideClient, Class: class, Peer: "hub", Reason: reason}
	}
	server := func(class tlsconf.Class, peerSubject, reason string) Failure {
		return Failure{Link: aToHub, Node: "hub", Side: events.SideServer, Class: class, Peer: "server-a", PeerSubject: peerSubject, Reason: reason}
	}
	return []explainCase{
		{
			name: "files: hub's self-signed certificate expired, seen by server-a",
			f:    client(tlsconf.ClassExpired, afterWindow),
			c:    expired,
			want: []string{
				"hub's certificate has expired, as server-a's clock sees it.",
				"hub's certificate expired at 2026-03-01 11:00:00 UTC (65 minutes ago).",
				"Java (ActiveMQ) does not check the expiry",
				"Fix: renew hub's certificate",
				"keytool -genkeypair -alias hub -keyalg RSA -keysize 2048 -validity 365 -dname CN=hub -ext SAN=dns:hub -ext EKU=serverAuth,clientAuth -keystore hub.ks",
				"then in server-a.ts and server-b.ts: keytool -delete -alias hub and keytool -importcert -alias hub -file hub.cert",
			},
		},
		{
			name: "files: hub's certificate expired, the alert hub got",
			f:    server(tlsconf.ClassBadCertificate, "", remoteBadCrt),
			c:    expired,
			want: []string{
				"server-a rejected hub's certificate without saying why",
				"hub's certificate, as its file has it, shows the likely cause:\nhub's certificate expired at 2026-03-01 11:00:00 UTC (65 minutes ago).",
				"Fix: renew hub's certificate",
			},
		},
		{
			name: "files: CA-signed server-a expired days ago, seen by hub",
			f:    server(tlsconf.ClassExpired, "server-a", failedVerify+"certificate has expired or is not yet valid: current time 2026-03-01T12:05:00Z is after 2026-02-26T12:00:00Z"),
			c:    caExpired,
			want: []string{
				"server-a's certificate expired at 2026-02-26 12:00:00 UTC (3 days ago).",
				"keytool -certreq -alias server-a -keystore server-a.ks -ext SAN=dns:server-a -ext EKU=serverAuth,clientAuth -file server-a.csr, have root sign it",
				"the truststores hold root, not server-a's certificate, so they need no change",
			},
			notWant: []string{"Java (ActiveMQ) does not check the expiry"},
		},
		{
			name: "files: server-a not yet valid, told \"expired\" by the hub",
			f:    client(tlsconf.ClassExpired, "remote error: tls: expired certificate"),
			c:    notYet,
			want: []string{
				"server-a's certificate is not valid yet, as hub's clock sees it.",
				"server-a's certificate is valid only from 2026-03-01 13:00:00 UTC (in 55 minutes).",
				`hub's alert said "expired certificate": Go servers send it for both ends of the validity window.`,
				"Fix: synchronise the clocks of server-a and its peers (NTP)",
			},
			notWant: []string{"has expired"},
		},
		{
			name: "files: hub's certificate names another host",
			f:    client(tlsconf.ClassHostnameMismatch, failedVerify+"certificate is valid for hub.example.com, not hub"),
			c:    hostname,
			want: []string{
				"hub's certificate is not valid for the name server-a dialled.",
				"hub's certificate is valid for hub.example.com, not for hub, the name server-a verifies.",
				"Fix: re-issue hub's certificate with a SAN for the name it is dialled by, dns:hub (keep hub.example.com too if others dial that)",
				"verifyHostName=false",
			},
		},
		{
			name: "files: hub's certificate is CN-only, seen by server-a",
			f:    client(tlsconf.ClassHostnameMismatch, failedVerify+"certificate relies on legacy Common Name field, use SANs instead"),
			c:    cnOnly,
			want: []string{
				"hub's certificate has no subjectAltName, only CN=hub.",
				"Go has ignored the Common Name since Go 1.15",
				"Java (ActiveMQ) accepts it: with no SAN it falls back to the CN, even with host name verification on",
				"-ext SAN=dns:hub",
			},
		},
		{
			name: "files: hub's certificate is CN-only, the alert hub got",
			f:    server(tlsconf.ClassBadCertificate, "", remoteBadCrt),
			c:    cnOnly,
			want: []string{"shows the likely cause:\nhub's certificate has no subjectAltName, only CN=hub.", "Java (ActiveMQ) accepts it"},
		},
		{
			name: "files: hub's key pair made again, peers pin the old one",
			f:    client(tlsconf.ClassUnknownAuthority, failedVerify+"certificate signed by unknown authority"),
			c:    regenerated,
			want: []string{
				"server-a does not trust hub.",
				"pins a certificate for hub, but hub presents a different one, with another key: hub's key pair was made again after server-a's truststore was filled.",
				"The topology is as meant (nodes.server-a.tls.trust covers hub); the files are not.",
				"Fix: put hub's current certificate in the truststores that pin it",
				"keytool -exportcert -alias hub -keystore hub.ks -file hub.cert, then in server-a.ts and server-b.ts",
			},
			notWant: []string{"Yet nodes.server-a.tls.trust"},
		},
		{
			name: "files: hub's certificate from an authority nobody trusts",
			f:    client(tlsconf.ClassUnknownAuthority, failedVerify+"certificate signed by unknown authority"),
			c:    otherCA,
			want: []string{
				"hub's certificate was issued by CN=other-ca CA, which server-a's truststore",
				"(it holds CN=root CA)",
				"have root sign it",
				"keytool -importcert -alias other-ca -file other-ca.cert -keystore server-a.ts",
			},
		},
		{
			name: "files: hub's certificate allows only clientAuth",
			f:    client(tlsconf.ClassBadKeyUsage, failedVerify+"certificate specifies an incompatible key usage"),
			c:    clientEKU,
			want: []string{
				"hub's certificate allows only clientAuth (extended key usage), but hub serves it on its listener, and server-a, dialling it, needs serverAuth.",
				"Fix: re-issue hub's certificate with both serverAuth and clientAuth",
				"-ext EKU=serverAuth,clientAuth",
			},
		},
		{
			name: "files: server-a's certificate allows only serverAuth, seen by hub",
			f:    server(tlsconf.ClassBadKeyUsage, "server-a", failedVerify+"certificate specifies an incompatible key usage"),
			c:    serverEKU,
			want: []string{"server-a's certificate allows only serverAuth (extended key usage), but server-a presents it as a client, to hub's listener, which needs clientAuth."},
		},
		{
			name: "files: server-a's certificate allows only serverAuth, the alert server-a got",
			f:    client(tlsconf.ClassBadCertificate, remoteBadCrt),
			c:    serverEKU,
			want: []string{"hub rejected server-a's certificate", "shows the likely cause:\nserver-a's certificate allows only serverAuth"},
		},
		{
			name: "files: server-a's certificate revoked, seen by hub",
			f:    server(tlsconf.ClassRevoked, "server-a", "tlsconf: certificate revoked: CN=server-a,O=brokerlab (serial 1F) is listed in the CRL of CN=root CA,O=brokerlab in "+filepath.Join(tmp, "revoked", crlBundle)+", revoked 2026-03-01T11:00Z"),
			c:    revoked,
			want: []string{
				"server-a's certificate has been revoked: root's CRL lists it, and hub checks that CRL.",
				"A revoked certificate stays revoked",
				"Fix: give server-a a new key pair and certificate from root",
			},
		},
		{
			name: "files: server-a's certificate revoked, the alert server-a got",
			f:    client(tlsconf.ClassBadCertificate, remoteBadCrt),
			c:    revoked,
			want: []string{
				"passes every check brokerlab can make from the files (dates, names, trust, key usage), which leaves revocation: hub may check a CRL that lists it.",
				"give server-a a new certificate from root",
			},
		},
	}
}
