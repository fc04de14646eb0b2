package activemq

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/brokerlab/brokerlab/broker/transport"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Ports are the concrete loopback addresses of every node: its STOMP
// listeners in the order of Node.Listen, and the OpenWire listener its
// peers' network connectors dial.
type Ports struct {
	STOMP    driver.Addresses
	OpenWire map[string]string
}

// ResolvePorts picks free loopback ports for every listener, below the
// ephemeral range (driver.ResolvePorts), and one for each node's OpenWire
// listener.
func ResolvePorts(spec *topology.Spec) (Ports, error) {
	stomp, err := driver.ResolvePorts(spec)
	if err != nil {
		return Ports{}, err
	}
	p := Ports{STOMP: stomp, OpenWire: map[string]string{}}
	// The OpenWire listeners as a topology of their own, so that their
	// ports come from the same resolver and differ from the STOMP ones.
	ow := &topology.Spec{}
	for _, n := range spec.Nodes {
		ow.Nodes = append(ow.Nodes, &topology.Node{Name: n.Name, Listen: []string{"stomp://127.0.0.1:0"}})
	}
	for range 16 {
		addrs, err := driver.ResolvePorts(ow)
		if err != nil {
			return Ports{}, err
		}
		if !clash(stomp, addrs) {
			for name, a := range addrs {
				p.OpenWire[name] = a[0]
			}
			return p, nil
		}
	}
	return Ports{}, fmt.Errorf("activemq: no set of free OpenWire ports apart from the STOMP ones in 16 tries")
}

func clash(a, b driver.Addresses) bool {
	seen := map[string]bool{}
	for _, as := range a {
		for _, x := range as {
			seen[x] = true
		}
	}
	for _, bs := range b {
		for _, x := range bs {
			if seen[x] {
				return true
			}
			seen[x] = true
		}
	}
	return false
}

// Config is what one node's activemq.xml says, before it is written.
type Config struct {
	Name       string
	DataDir    string
	SSL        *SSLContext
	Transports []Transport
	Networks   []NetworkConnector
}

// SSLContext is ActiveMQ's <sslContext>: JKS keystore and truststore.
type SSLContext struct {
	KeyStore, KeyStorePassword     string
	TrustStore, TrustStorePassword string
}

// Transport is a <transportConnector>.
type Transport struct{ Name, URI string }

// NetworkConnector is a <networkConnector>.
type NetworkConnector struct {
	Name, URI           string
	Duplex, DynamicOnly bool
	NetworkTTL          int
	// Attrs are the other <networkConnector> attributes the topology sets,
	// in ActiveMQ's names; unset ones keep ActiveMQ's defaults.
	Attrs []XMLAttr
	// Filters are the destination lists, as child elements.
	Filters []DestinationList
}

// XMLAttr is one attribute of a rendered element.
type XMLAttr struct{ Name, Value string }

// DestinationList is an element such as <excludedDestinations> holding
// <queue physicalName="…"/> and <topic physicalName="…"/>.
type DestinationList struct {
	Element string
	Dests   []PhysicalDest
}

// PhysicalDest is a destination as ActiveMQ's XML names it.
type PhysicalDest struct{ Kind, Name string }

// Render builds one node's configuration. Its STOMP listeners are the
// topology's (stomp:// and stomp+ssl:// with needClientAuth/wantClientAuth
// as written); an OpenWire listener (ssl:// when the node listens with
// TLS, with the same client-auth setting) carries the bridges, since
// ActiveMQ's network connectors speak OpenWire only.
func Render(spec *topology.Spec, name string, ports Ports, mat *pki.Material, dataDir string) (Config, error) {
	n := spec.Node(name)
	if n == nil {
		return Config{}, fmt.Errorf("activemq: no node %q", name)
	}
	c := Config{Name: name, DataDir: dataDir}
	if n.TLS != nil {
		nf := mat.Nodes[name]
		if nf == nil || nf.TrustStoreJKSFile == "" {
			return Config{}, fmt.Errorf("activemq: node %s has tls but no JKS truststore in the PKI material (Java refuses an empty truststore: give it a trust list)", name)
		}
		ssl := &SSLContext{TrustStore: nf.TrustStoreJKSFile, TrustStorePassword: mat.StorePassword, KeyStorePassword: mat.StorePassword}
		if nf.KeyStoreJKSFile != "" {
			ssl.KeyStore = nf.KeyStoreJKSFile
		}
		c.SSL = ssl
	}
	ow, err := openWireListener(n, ports.OpenWire[name])
	if err != nil {
		return Config{}, err
	}
	for i, raw := range n.Listen {
		l, err := transport.ParseListener(raw)
		if err != nil {
			return Config{}, fmt.Errorf("activemq: node %s: %w", name, err)
		}
		scheme := "stomp"
		if l.TLS {
			scheme = "stomp+ssl"
		}
		c.Transports = append(c.Transports, Transport{Name: fmt.Sprintf("%s-%d", scheme, i), URI: scheme + "://" + ports.STOMP[name][i] + clientAuthQuery(l)})
	}
	c.Transports = append(c.Transports, ow)
	for _, con := range n.Connect {
		peer := spec.Node(con.To)
		if peer == nil {
			return Config{}, fmt.Errorf("activemq: node %s connects to unknown node %q", name, con.To)
		}
		pl, err := openWireListener(peer, ports.OpenWire[con.To])
		if err != nil {
			return Config{}, err
		}
		scheme := "tcp"
		if strings.HasPrefix(pl.URI, "ssl:") {
			if n.TLS == nil {
				return Config{}, fmt.Errorf("activemq: node %s connects to %s over TLS but has no tls section (no truststore to verify it with)", name, con.To)
			}
			scheme = "ssl"
		}
		_, port, err := net.SplitHostPort(ports.OpenWire[con.To])
		if err != nil {
			return Config{}, fmt.Errorf("activemq: node %s: OpenWire address of %s: %w", name, con.To, err)
		}
		c.Networks = append(c.Networks, NetworkConnector{
			Name: connectorName(topology.Link{From: name, To: con.To}, con),
			// By the peer's node name, which the JVM resolves to loopback
			// (HostsFile), so that ActiveMQ's hostname verification checks
			// the name the peer's certificate must carry, as serverName
			// does for our connectors.
			URI:         "static:(" + scheme + "://" + net.JoinHostPort(con.To, port) + ")" + backoffQuery(con),
			Duplex:      con.Duplex,
			DynamicOnly: con.DynamicOnly,
			NetworkTTL:  max(con.NetworkTTL, 1),
			Attrs:       networkAttrs(con.Network),
		})
		nc := &c.Networks[len(c.Networks)-1]
		for _, l := range []struct {
			element string
			dests   []string
		}{
			{"staticallyIncludedDestinations", con.Network.StaticallyIncludedDestinations},
			{"dynamicallyIncludedDestinations", con.Network.DynamicallyIncludedDestinations},
			{"excludedDestinations", con.Network.ExcludedDestinations},
		} {
			if len(l.dests) == 0 {
				continue
			}
			list := DestinationList{Element: l.element}
			for _, d := range l.dests {
				pd, err := physicalDest(d)
				if err != nil {
					return Config{}, fmt.Errorf("activemq: node %s: connector to %s: %s: %w", name, con.To, l.element, err)
				}
				list.Dests = append(list.Dests, pd)
			}
			nc.Filters = append(nc.Filters, list)
		}
	}
	return c, nil
}

// networkAttrs renders the connector's network attributes that ActiveMQ
// has under the same names. brokerlab's own reconnection knobs
// (probeInterval, stableAfter, jitter) have no ActiveMQ counterpart: a real
// ActiveMQ keeps its own schedule.
func networkAttrs(n topology.ConnectorNetwork) []XMLAttr {
	var a []XMLAttr
	if n.MessageTTL > 0 {
		a = append(a, XMLAttr{"messageTTL", strconv.Itoa(n.MessageTTL)})
	}
	if n.ConsumerTTL > 0 {
		a = append(a, XMLAttr{"consumerTTL", strconv.Itoa(n.ConsumerTTL)})
	}
	if n.ConduitSubscriptions != nil {
		a = append(a, XMLAttr{"conduitSubscriptions", strconv.FormatBool(*n.ConduitSubscriptions)})
	}
	if n.DecreaseNetworkConsumerPriority {
		a = append(a, XMLAttr{"decreaseNetworkConsumerPriority", "true"})
	}
	if n.SuppressDuplicateQueueSubscriptions {
		a = append(a, XMLAttr{"suppressDuplicateQueueSubscriptions", "true"})
	}
	return a
}

// physicalDest turns /queue/a.b or queue://a.b into ActiveMQ's queue
// element with physicalName a.b; wildcards are the same in both.
func physicalDest(d string) (PhysicalDest, error) {
	for _, k := range []string{"queue", "topic"} {
		for _, prefix := range []string{"/" + k + "/", k + "://"} {
			if name, ok := strings.CutPrefix(d, prefix); ok && name != "" {
				return PhysicalDest{Kind: k, Name: name}, nil
			}
		}
	}
	return PhysicalDest{}, fmt.Errorf("%q is not a queue or topic (write /queue/NAME or /topic/NAME)", d)
}

// connectorName is the connector's name, or "from->to". ActiveMQ uses it
// in the names of the bridge's consumers, which take letters, digits and
// a few marks only: "->" is written "_to_".
func connectorName(l topology.Link, c *topology.Connector) string {
	name := c.Name
	if name == "" {
		name = l.String()
	}
	return strings.ReplaceAll(name, "->", "_to_")
}

// openWireListener is the OpenWire listener of a node: ssl:// with the
// client-auth setting of its first TLS listener when it has one, else
// tcp://.
func openWireListener(n *topology.Node, addr string) (Transport, error) {
	for _, raw := range n.Listen {
		l, err := transport.ParseListener(raw)
		if err != nil {
			return Transport{}, fmt.Errorf("activemq: node %s: %w", n.Name, err)
		}
		if l.TLS {
			return Transport{Name: "openwire-ssl", URI: "ssl://" + addr + clientAuthQuery(l)}, nil
		}
	}
	return Transport{Name: "openwire", URI: "tcp://" + addr}, nil
}

func clientAuthQuery(l transport.Listener) string {
	switch l.ClientAuth {
	case transport.NeedClientCert:
		return "?needClientAuth=true"
	case transport.WantClientCert:
		return "?wantClientAuth=true"
	}
	return ""
}

// backoffQuery carries the reconnect schedule on the static: URI, where
// ActiveMQ reads it.
func backoffQuery(c *topology.Connector) string {
	q := url.Values{}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	if c.InitialReconnectDelay > 0 {
		q.Set("initialReconnectDelay", ms(c.InitialReconnectDelay))
	}
	if c.MaxReconnectDelay > 0 {
		q.Set("maxReconnectDelay", ms(c.MaxReconnectDelay))
	}
	if c.UseExponentialBackOff != nil {
		q.Set("useExponentialBackOff", strconv.FormatBool(*c.UseExponentialBackOff))
	}
	if c.Network.BackOffMultiplier > 0 {
		q.Set("backOffMultiplier", strconv.FormatFloat(c.Network.BackOffMultiplier, 'g', -1, 64))
	}
	if c.Network.MaxReconnectAttempts > 0 {
		q.Set("maxReconnectAttempts", strconv.Itoa(c.Network.MaxReconnectAttempts))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// HostsFile is the JVM's name table (-Djdk.net.hosts.file): every node
// name, localhost and this machine's host name at 127.0.0.1. A name not in
// it does not resolve, so a broker can only reach the lab's nodes.
func HostsFile(spec *topology.Spec) []byte {
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	for _, n := range spec.Nodes {
		names = append(names, n.Name)
	}
	return []byte("127.0.0.1 " + strings.Join(names, " ") + "\n")
}

// XML writes the configuration as activemq.xml.
func (c Config) XML() ([]byte, error) {
	var b bytes.Buffer
	if err := xmlTemplate.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("activemq: render %s: %w", c.Name, err)
	}
	return b.Bytes(), nil
}

var xmlTemplate = template.Must(template.New("activemq.xml").Funcs(template.FuncMap{
	"x": func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s))
		return b.String()
	},
}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by brokerlab for node {{x .Name}}. -->
<beans
  xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="{{x .Name}}" useJmx="false" dataDirectory="{{x .DataDir}}">
{{- if .SSL}}
    <sslContext>
      <sslContext {{if .SSL.KeyStore}}keyStore="file:{{x .SSL.KeyStore}}" keyStoreType="JKS" keyStorePassword="{{x .SSL.KeyStorePassword}}" {{end}}trustStore="file:{{x .SSL.TrustStore}}" trustStoreType="JKS" trustStorePassword="{{x .SSL.TrustStorePassword}}"/>
    </sslContext>
{{- end}}
{{- if .Networks}}
    <networkConnectors>
{{- range .Networks}}
      <networkConnector name="{{x .Name}}" uri="{{x .URI}}" duplex="{{.Duplex}}" dynamicOnly="{{.DynamicOnly}}" networkTTL="{{.NetworkTTL}}"{{range .Attrs}} {{.Name}}="{{x .Value}}"{{end}}{{if not .Filters}}/>{{else}}>
{{- range .Filters}}
        <{{.Element}}>
{{- range .Dests}}
          <{{.Kind}} physicalName="{{x .Name}}"/>
{{- end}}
        </{{.Element}}>
{{- end}}
      </networkConnector>{{end}}
{{- end}}
    </networkConnectors>
{{- end}}
    <persistenceAdapter>
      <kahaDB directory="{{x .DataDir}}/kahadb"/>
    </persistenceAdapter>
    <transportConnectors>
{{- range .Transports}}
      <transportConnector name="{{x .Name}}" uri="{{x .URI}}"/>
{{- end}}
    </transportConnectors>
  </broker>
</beans>
`))
