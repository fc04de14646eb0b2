package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

const activemqSpokeXML = `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="spoke" persistent="false" dataDirectory="%[1]s/data">
    <sslContext>
      <sslContext keyStore="%[2]s" keyStorePassword="changeit" trustStore="%[3]s" trustStorePassword="changeit"/>
    </sslContext>
    <networkConnectors>
%[4]s    </networkConnectors>
  </broker>
</beans>
`

// A real ActiveMQ 5.17 as a spoke whose network connectors dial four
// brokerlab hubs, each with one certificate mistake: the words a Java
// connector logs for each are classified by explain as the catalogue
// classifies the same mistake.
func TestExplainRealActiveMQConnector(t *testing.T) {
	java := needActiveMQ(t, "explain is not checked on a real ActiveMQ connector's log")
	dir := t.TempDir()
	now := time.Now()
	spec := &topology.Spec{Name: "amq-spoke", Authorities: []*topology.Authority{{Name: "ca"}}, Nodes: []*topology.Node{
		{Name: "spoke", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "ca"}, Trust: []string{"ca"}}},
		// Not in the spoke's truststore.
		{Name: "untrusted", TLS: &topology.NodeTLS{Identity: topology.Identity{SelfSigned: true}, Trust: []string{"ca"}}},
		// Trusted, but without 127.0.0.1 among its names.
		{Name: "noip", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "ca"}, Trust: []string{"ca"}}},
		// Trusted, expired an hour ago.
		{Name: "expired", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "ca"}, Trust: []string{"ca"}}},
		// Requires client certificates, and does not trust the spoke's CA.
		// Java's key manager then sends no certificate at all (none was
		// issued by an authority the hub's CertificateRequest lists), so
		// the hub says certificate_required, not unknown_ca.
		{Name: "strict", TLS: &topology.NodeTLS{Identity: topology.Identity{Issuer: "ca"}, Trust: []string{"untrusted"}}},
	}}
	m, err := pki.Generate(spec, filepath.Join(dir, "pki"), pki.Options{Nodes: map[string]pki.NodeOptions{
		"noip":    {DNSNames: []string{"noip"}, IPAddresses: []net.IP{}},
		"expired": {NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var connectors strings.Builder
	hubs := []struct{ name, listen string }{
		{"untrusted", "stomp+ssl://127.0.0.1:0"},
		{"noip", "stomp+ssl://127.0.0.1:0"},
		{"expired", "stomp+ssl://127.0.0.1:0"},
		{"strict", "stomp+ssl://127.0.0.1:0?needClientAuth=true"},
	}
	for _, h := range hubs {
		nf := m.Nodes[h.name]
		b := brokertest.NewBroker(t, broker.Options{Name: h.name, Listen: []string{h.listen},
			TLS: tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile}})
		fmt.Fprintf(&connectors, "      <networkConnector name=\"spoke-%s\" uri=\"static:(ssl://%s)?initialReconnectDelay=500&amp;maxReconnectDelay=2000\"/>\n", h.name, b.Addr())
	}
	spoke := m.Nodes["spoke"]
	logFile := startActiveMQ(t, java, dir, fmt.Appendf(nil, activemqSpokeXML, dir, spoke.KeyStoreJKSFile, spoke.TrustStoreJKSFile, connectors.String()))
	for _, w := range []string{
		"PKIX path building failed",
		"No subject alternative names matching IP address 127.0.0.1 found",
		"validity check failed",
		"Received fatal alert: ",
	} {
		waitForLog(t, logFile, w)
	}
	if os.Getenv("BROKERLAB_KEEP_ACTIVEMQ_LOG") != "" {
		os.WriteFile(os.Getenv("BROKERLAB_KEEP_ACTIVEMQ_LOG"), []byte(readFile(logFile)), 0o644)
	}
	r := brokerlab(t, "explain", logFile)
	for _, w := range []string{"unknown-authority: ", "hostname-mismatch: ", "expired: ", "client-cert-required, said by the peer: "} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("explain on the ActiveMQ connector's log lacks %q:\n%s\nthe log:\n%s", w, r.stdout, readFile(logFile))
		}
	}
}
