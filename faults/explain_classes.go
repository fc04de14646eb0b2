package faults

import (
	"fmt"
	"strings"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// One method per failure class. Each returns lines: a summary first, then
// what happened and where, what the topology says, what the stack said,
// and last the fix. Empty lines are dropped by Explain.

func (e *explainer) unknownAuthority() []string {
	// Our own verdict: we do not trust the peer. The peer's alert: the
	// peer does not trust us.
	truster, trustee := e.self, e.peer
	head := fmt.Sprintf("%s does not trust %s.", truster, trustee)
	if e.remote {
		truster, trustee = e.peer, e.self
		head = fmt.Sprintf("%s refused %s's certificate: %s does not trust %s.", truster, trustee, truster, trustee)
	}
	t := e.trusts(truster, trustee)
	notIn := t == trustMissing || t == trustNone || t == trustUnknown
	var what string
	switch {
	case e.isClient(truster):
		what = fmt.Sprintf("%s could not verify %s's certificate against its truststore%s.", e.role(truster), trustee, e.trustFile(truster))
		if e.remote {
			what = fmt.Sprintf("%s got %s's refusal: %s could not verify %s's certificate against its truststore%s.", e.role(trustee), truster, truster, trustee, e.trustFile(truster))
		}
	case notIn:
		what = fmt.Sprintf("%s and %s's certificate is not in %s's truststore%s", e.requiresClientCerts(truster), trustee, truster, e.trustFile(truster))
	default:
		what = fmt.Sprintf("%s and could not verify %s's certificate against its truststore%s", e.requiresClientCerts(truster), trustee, e.trustFile(truster))
	}
	if !e.isClient(truster) {
		if e.remote {
			what = fmt.Sprintf("%s got %s's refusal: %s. With TLS 1.3 %s's handshake seems to succeed and the refusal arrives on its first read.", e.role(trustee), truster, what, trustee)
		} else {
			what = fmt.Sprintf("%s, so %s refused %s.", what, truster, e.role(trustee))
		}
	}
	presented := ""
	if !e.remote {
		presented = e.presented()
	}
	// The topology says trusted, so the files disagree with it: say how,
	// when they can be read (a re-made key pair, another issuer).
	if !notIn {
		c, chain := e.cert(trustee)
		if c != nil {
			if p, ok := e.trustProblem(trustee, truster, c, chain); ok {
				lines := append([]string{head, what, presented}, p.what...)
				return append(lines,
					fmt.Sprintf("The topology is as meant (nodes.%s.tls.trust covers %s); the files are not.", truster, trustee),
					e.seen(), p.fix)
			}
		}
	}
	lines := []string{head, what, presented, e.trustStatus(truster, trustee), e.seen()}
	return append(lines, e.fixTrust(truster, trustee)...)
}

func (e *explainer) badCertificate() []string {
	rejecter, rejected := e.self, e.peer
	if e.remote {
		rejecter, rejected = e.peer, e.self
	}
	lines := []string{
		fmt.Sprintf("%s rejected %s's certificate without saying why (TLS alert \"bad certificate\").", rejecter, rejected),
		e.seen(),
	}
	side := "server"
	if e.isClient(rejecter) {
		side = "client"
		lines = append(lines, "Go clients send this alert whatever was wrong with the server's certificate (untrusted, wrong name, expired, wrong key usage, revoked).")
	}
	lines = append(lines, fmt.Sprintf("The reason is on %s's side: look at its tls-failed event (the %s side of %s) or its log.", rejecter, side, e.bridge))
	switch e.trusts(rejecter, rejected) {
	case trustMissing, trustNone:
		lines = append(lines, fmt.Sprintf("The topology points at the likely cause: %s does not trust %s.", rejecter, rejected), e.trustStatus(rejecter, rejected))
		return append(lines, e.fixTrust(rejecter, rejected)...)
	}
	// The alert hides the cause; the certificate files often show it.
	if ps := e.diagnose(rejected, rejecter); len(ps) > 0 {
		lines = append(lines, fmt.Sprintf("%s's certificate, as its file has it, shows the likely cause:", rejected))
		lines = append(lines, ps[0].what...)
		for _, p := range ps[1:] {
			lines = append(lines, "Also: "+p.what[0])
		}
		return append(lines, ps[0].fix)
	}
	switch e.trusts(rejecter, rejected) {
	case trustDirect, trustViaCA:
		if c, _ := e.cert(rejected); c != nil {
			lines = append(lines, fmt.Sprintf("%s's certificate passes every check brokerlab can make from the files (dates, names, trust, key usage), which leaves revocation: %s may check a CRL that lists it.", rejected, rejecter))
			lines = append(lines, fmt.Sprintf("Or the cause is on %s's side, not in the certificate: a clock that is off (it judges the dates by its own), or a server name the certificate does not list, such as an IP address.", rejecter))
			return append(lines, fmt.Sprintf("Fix: read %s's own error for this handshake (a revocation names the CRL and the date); if %s's certificate is revoked, give %s a new certificate from %s — a revoked certificate stays revoked.", rejecter, rejected, rejected, e.issuerName(rejected)))
		} else {
			lines = append(lines, fmt.Sprintf("The topology has %s trusting %s, so look there for an expired certificate, a host name mismatch, a revoked certificate or a stale truststore.", rejecter, rejected))
		}
	}
	return append(lines, fmt.Sprintf("Fix: read %s's own error for this handshake and fix what it names; most often %s's truststore lacks %s's certificate (keytool -import -alias %s -file %s.cert -keystore %s.ts).", rejecter, rejecter, rejected, rejected, rejected, rejecter))
}

func (e *explainer) clientCertRequired() []string {
	client, server := e.client, e.server
	lines := []string{fmt.Sprintf("%s requires a client certificate and %s sent none.", server, client)}
	if e.self == server {
		lines = append(lines, fmt.Sprintf("%s; %s presented no certificate.", e.requiresClientCerts(server), e.role(client)))
	} else {
		lines = append(lines, fmt.Sprintf("%s got %s's refusal: %s. With TLS 1.3 %s's handshake seems to succeed and the refusal arrives on its first read.", e.role(client), server, e.requiresClientCerts(server), client))
	}
	lines = append(lines, e.seen())
	n := e.node(client)
	switch {
	case n == nil:
		return append(lines,
			fmt.Sprintf("Either %s's connector has no certificate configured, or none of its certificates was issued by an authority %s accepts: a Go client then sends no certificate at all.", client, server),
			fmt.Sprintf("Fix: give %s's connector a keystore with its certificate (ActiveMQ: keyStore=\"%s.ks\" in %s's <sslContext>) and make sure %s trusts it (keytool -import -alias %s -file %s.cert -keystore %s.ts).", client, client, client, server, client, client, server))
	case n.TLS == nil:
		return append(lines,
			fmt.Sprintf("nodes.%s has no tls settings, so it has no certificate to send.", client),
			fmt.Sprintf("Fix: give %s an identity — in brokerlab set nodes.%s.tls.identity (self_signed: true, or issuer: <authority>) and add %q to nodes.%s.tls.trust; with ActiveMQ/keytool: keytool -genkeypair -alias %s -keystore %s.ks, keyStore=\"%s.ks\" in %s's <sslContext>, then import its certificate into %s.ts.",
				client, client, client, server, client, client, client, client, server))
	}
	switch e.trusts(server, client) {
	case trustMissing, trustNone:
		lines = append(lines,
			fmt.Sprintf("%s does have a certificate, but %s does not trust it, and a Go client sends no certificate when none of its own was issued by an authority the server lists as acceptable: in effect, %s does not trust %s.", client, server, server, client),
			e.trustStatus(server, client))
		return append(lines, e.fixTrust(server, client)...)
	}
	return append(lines, fmt.Sprintf("Fix: %s has a certificate that %s's trust list covers, so check that %s's connector actually loads it (ActiveMQ: keyStore and keyStorePassword in <sslContext>; brokerlab: the identity files written for %s).", client, server, client, client))
}

func (e *explainer) hostnameMismatch() []string {
	owner, verifier := e.peer, e.self
	if e.remote {
		owner, verifier = e.self, e.peer
	}
	head := fmt.Sprintf("%s's certificate is not valid for the name %s dialled.", owner, verifier)
	note := "ActiveMQ ssl:// connectors check host names too (since 5.15.6); turning the check off (verifyHostName=false) hides the mistake rather than fixing it."
	if c, _ := e.cert(owner); c != nil {
		if p, ok := e.nameProblem(owner, verifier, c); ok {
			lines := append([]string{head}, p.what...)
			lines = append(lines, e.presented(), e.seen(),
				fmt.Sprintf("%s verifies %s by its node name, %q, whatever address it dials (a connector dials its link's proxy on a loopback address).", verifier, owner, owner),
				p.fix)
			return append(lines, note)
		}
	}
	return []string{
		head,
		fmt.Sprintf("%s checked %s's certificate against the server name it dialled, and the certificate's SANs (subject alternative names) do not include that name.", e.role(verifier), owner),
		e.presented(),
		e.seen(),
		fmt.Sprintf("A connector dials its link's proxy on a loopback address, so it must verify the peer by node name: %s's connector should use the server name %q.", verifier, owner),
		fmt.Sprintf("Fix: give %s's certificate a SAN with the name dialled (brokerlab gives every node certificate a SAN with its node name; keytool: -ext SAN=dns:%s when generating %s's key pair), or set %s's connector's server name to a name the certificate has (tls.Config.ServerName = %q).", owner, owner, owner, verifier, owner),
		note,
	}
}

func (e *explainer) validity() []string {
	owner, checker := e.peer, e.self
	if e.remote {
		owner, checker = e.self, e.peer
	}
	cert := e.c.CertFiles[owner]
	if cert == "" {
		cert = owner + ".cert"
	}
	expired := e.f.Class == tlsconf.ClassExpired
	var detail []string
	var fix string
	if c, _ := e.cert(owner); c != nil {
		if p, ok := e.validityProblem(owner, c); ok {
			// The dates decide, not the alert: a Go server answers a
			// client certificate that is not yet valid with "expired
			// certificate" too.
			wasExpired := expired
			expired = now().After(c.NotAfter)
			detail, fix = p.what, p.fix
			if wasExpired && !expired {
				detail = append(detail, fmt.Sprintf("%s's alert said \"expired certificate\": Go servers send it for both ends of the validity window.", checker))
			}
		}
	}
	lines := []string{}
	if expired {
		lines = append(lines, fmt.Sprintf("%s's certificate has expired, as %s's clock sees it.", owner, checker))
	} else {
		lines = append(lines, fmt.Sprintf("%s's certificate is not valid yet, as %s's clock sees it.", owner, checker))
	}
	lines = append(lines, detail...)
	lines = append(lines,
		fmt.Sprintf("%s refused it: the current time on %s is outside the certificate's validity period.", e.role(checker), checker),
		e.seen(),
		fmt.Sprintf("Check the dates (openssl x509 -noout -dates -in %s) and both machines' clocks: a clock that is off, or a clock-offset fault, gives the same error.", cert))
	if expired {
		if self, known := e.selfSigned(owner); self || !known {
			lines = append(lines, "Java (ActiveMQ) does not check the expiry of a self-signed certificate that is itself in its truststore; Go does, so a set-up that works with ActiveMQ can fail here.")
		}
		if fix == "" {
			fix = fmt.Sprintf("Fix: renew %s's certificate — in brokerlab regenerate the PKI; with keytool generate a new key pair (with -validity <days>) and re-import its certificate into every truststore that trusts %s — and keep clocks in sync (NTP).", owner, owner)
		}
		return append(lines, fix)
	}
	if fix == "" {
		fix = fmt.Sprintf("Fix: synchronise the clocks of %s and %s (NTP), or regenerate %s's certificate with a start date in the past (keytool -startdate).", owner, checker, owner)
	}
	return append(lines, fix)
}

func (e *explainer) badKeyUsage() []string {
	owner, verifier := e.peer, e.self
	if e.remote {
		owner, verifier = e.self, e.peer
	}
	use := "clientAuth (it dials, as a client)"
	if owner == e.server {
		use = "serverAuth (it listens, as a server)"
	}
	lines := []string{fmt.Sprintf("%s's certificate is not allowed for this use: its extended key usage lacks %s.", owner, use)}
	fix := fmt.Sprintf("Fix: regenerate %s's certificate with both (keytool: -ext EKU=serverAuth,clientAuth; brokerlab's PKI does this for node certificates).", owner)
	if c, _ := e.cert(owner); c != nil {
		if p, ok := e.usageProblem(owner, verifier, c); ok {
			lines = append(lines, p.what...)
			fix = p.fix
		}
	}
	return append(lines, e.seen(),
		"In a network of brokers every node is a server (its listener) and a client (its connectors), so node certificates need both serverAuth and clientAuth.",
		fix)
}

// revoked is always the checker's own verdict: a peer's
// certificate_revoked alert is classified bad-certificate, as Go clients'
// alerts say nothing either.
func (e *explainer) revoked() []string {
	owner, checker := e.peer, e.self
	ca := e.issuerName(owner)
	lines := []string{
		fmt.Sprintf("%s's certificate has been revoked: %s's CRL lists it, and %s checks that CRL.", owner, ca, checker),
		fmt.Sprintf("%s refused it although it is otherwise sound (trusted, in date); the CRL file and the revocation date are in the reason below.", e.role(checker)),
		e.seen(),
		"A revoked certificate stays revoked: the fix is a new certificate, not a setting. Taking the CRL away (ActiveMQ: crlPath on the <sslContext>) would let a certificate that was revoked for a reason back in.",
		fmt.Sprintf("Fix: give %s a new key pair and certificate from %s — in brokerlab regenerate the PKI without the revocation; with keytool: keytool -delete -alias %s -keystore %s.ks, keytool -genkeypair -alias %s -keyalg RSA -keysize 2048 -dname CN=%s -keystore %s.ks, then %s. If the revocation was a mistake, %s must publish a CRL without it and every broker load it again (ActiveMQ reads crlPath at start-up).",
			owner, ca, owner, owner, owner, owner, owner, e.certreq(owner, ca), ca),
	}
	return lines
}

func (e *explainer) notTLS() []string {
	var lines []string
	if e.self == e.client {
		lines = append(lines,
			fmt.Sprintf("%s's TLS handshake with %s got an answer that is not TLS.", e.client, e.server),
			fmt.Sprintf("%s speaks TLS, but the port it reached speaks plaintext or another protocol.", e.role(e.client)))
	} else {
		lines = append(lines,
			fmt.Sprintf("%s sent %s's TLS listener something that is not TLS.", e.client, e.server),
			fmt.Sprintf("%s expected a TLS hello and got plaintext: a plaintext client on a TLS port.", e.role(e.server)))
	}
	if n := e.node(e.server); n != nil && len(n.Listen) > 0 {
		lines = append(lines, fmt.Sprintf("nodes.%s.listen is [%s].", e.server, strings.Join(n.Listen, ", ")))
	}
	return append(lines, e.seen(),
		"Fix: make both ends agree — a TLS connector (ssl://…) must dial a TLS listener (stomp+ssl:// or ssl://), a plaintext connector (tcp://…) a plaintext listener (stomp:// or tcp://): check the URI schemes, ssl:// vs tcp://, stomp+ssl vs stomp.")
}

func (e *explainer) negotiation() []string {
	if e.f.Class == tlsconf.ClassProtocolVersion {
		return []string{
			fmt.Sprintf("%s and %s have no TLS version in common.", e.client, e.server),
			e.seen(),
			"Fix: allow a common version on both sides — TLS 1.2 and 1.3 are the safe choice; in ActiveMQ set transport.enabledProtocols=TLSv1.2,TLSv1.3 on the URI and check jdk.tls.disabledAlgorithms in the JVM's java.security.",
		}
	}
	return []string{
		fmt.Sprintf("%s and %s share no cipher suite.", e.client, e.server),
		"Or no key type and signature algorithm they both accept, e.g. an ECDSA key against a list of RSA-only suites.",
		e.seen(),
		"Fix: give both sides overlapping cipher suites (the defaults overlap; ActiveMQ: transport.enabledCipherSuites on the URI) and a key type both accept.",
	}
}

func (e *explainer) handshakeTimeout() []string {
	var lines []string
	if e.self == e.client {
		lines = append(lines,
			fmt.Sprintf("Nothing answered %s's TLS handshake with %s in time.", e.client, e.server),
			fmt.Sprintf("%s sent its hello and heard nothing back: a partition (is a partition fault active on %s?), a firewall dropping packets, or a service on that port that is not TLS and waits for the client to speak first.", e.role(e.client), e.f.Link))
	} else {
		lines = append(lines,
			fmt.Sprintf("%s did not finish its TLS handshake with %s's listener in time.", e.client, e.server),
			fmt.Sprintf("%s saw the connection open and then stall: a partition or firewall in between, or a plaintext client waiting for the server to speak first.", e.role(e.server)))
	}
	return append(lines, e.seen(),
		fmt.Sprintf("Fix: check that %s is up and listening with TLS at the address %s dials and that nothing on the path drops packets; during a partition fault this is the expected symptom and the bridge should recover once it is undone.", e.server, e.client))
}

func (e *explainer) connectionReset() []string {
	return []string{
		fmt.Sprintf("The connection between %s and %s was closed during the TLS handshake, without a TLS alert.", e.client, e.server),
		fmt.Sprintf("%s saw the connection drop. Likely causes: %s crashed or restarted, something in between reset the connection, or %s's TLS stack gave up without saying why.", e.role(e.self), e.peer, e.peer),
		e.seen(),
		"A real ActiveMQ often logs the real cause on only some retries and \"Broken pipe\" on the others.",
		fmt.Sprintf("Fix: look at %s's side for the reason (its events or log; for ActiveMQ, run it with -Djavax.net.debug=ssl:handshake) and check that it is up.", e.peer),
	}
}

func (e *explainer) other() []string {
	class := string(e.f.Class)
	if class == "" {
		class = "unclassified"
	}
	return []string{
		fmt.Sprintf("TLS between %s and %s failed on %s's %s side (%s).", e.client, e.server, e.self, e.f.Side, class),
		e.role(e.self) + " could not complete the handshake for a reason brokerlab does not classify.",
		e.seen(),
		fmt.Sprintf("Fix: read the reason above together with %s's side of the same handshake (its events or log; for ActiveMQ, -Djavax.net.debug=ssl:handshake).", e.peer),
	}
}
