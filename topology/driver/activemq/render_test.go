package activemq

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// The parts of activemq.xml the driver writes, read back as ActiveMQ's
// XBean parser would see them.
type beans struct {
	Broker struct {
		Name string `xml:"brokerName,attr"`
		JMX  string `xml:"useJmx,attr"`
		SSL  struct {
			Ctx struct {
				KeyStore   string `xml:"keyStore,attr"`
				TrustStore string `xml:"trustStore,attr"`
				Type       string `xml:"trustStoreType,attr"`
			} `xml:"sslContext"`
		} `xml:"sslContext"`
		NC []struct {
			Name        string    `xml:"name,attr"`
			URI         string    `xml:"uri,attr"`
			Duplex      string    `xml:"duplex,attr"`
			TTL         string    `xml:"networkTTL,attr"`
			DynamicOnly string    `xml:"dynamicOnly,attr"`
			MessageTTL  string    `xml:"messageTTL,attr"`
			ConsumerTTL string    `xml:"consumerTTL,attr"`
			Conduit     string    `xml:"conduitSubscriptions,attr"`
			Decrease    string    `xml:"decreaseNetworkConsumerPriority,attr"`
			Suppress    string    `xml:"suppressDuplicateQueueSubscriptions,attr"`
			Excluded    []xmlDest `xml:"excludedDestinations>queue"`
			ExcludedT   []xmlDest `xml:"excludedDestinations>topic"`
			Static      []xmlDest `xml:"staticallyIncludedDestinations>queue"`
			Dynamic     []xmlDest `xml:"dynamicallyIncludedDestinations>topic"`
		} `xml:"networkConnectors>networkConnector"`
		TC []struct {
			Name string `xml:"name,attr"`
			URI  string `xml:"uri,attr"`
		} `xml:"transportConnectors>transportConnector"`
	} `xml:"broker"`
}

type xmlDest struct {
	Name string `xml:"physicalName,attr"`
}

func TestRenderTutorial(t *testing.T) {
	spec, err := topology.Example("hub-and-spokes")
	if err != nil {
		t.Fatal(err)
	}
	f := false
	spec.Node("server-a").Connect[0].InitialReconnectDelay = 500 * time.Millisecond
	spec.Node("server-a").Connect[0].UseExponentialBackOff = &f
	spec.Node("server-a").Connect[0].Network = topology.ConnectorNetwork{
		MessageTTL: 1, ConsumerTTL: 3, ConduitSubscriptions: &f, DecreaseNetworkConsumerPriority: true,
		SuppressDuplicateQueueSubscriptions: true, BackOffMultiplier: 1.5, MaxReconnectAttempts: 7,
		ExcludedDestinations:            []string{"/queue/private.>", "topic://audit.*"},
		StaticallyIncludedDestinations:  []string{"queue://static"},
		DynamicallyIncludedDestinations: []string{"/topic/news.>"},
	}
	mat, err := pki.Generate(spec, t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ports := Ports{
		STOMP:    map[string][]string{"hub": {"127.0.0.1:1001"}, "server-a": {"127.0.0.1:1002"}, "server-b": {"127.0.0.1:1003"}},
		OpenWire: map[string]string{"hub": "127.0.0.1:2001", "server-a": "127.0.0.1:2002", "server-b": "127.0.0.1:2003"},
	}
	read := func(name string) beans {
		t.Helper()
		c, err := Render(spec, name, ports, mat, "/data/"+name)
		if err != nil {
			t.Fatal(err)
		}
		data, err := c.XML()
		if err != nil {
			t.Fatal(err)
		}
		var b beans
		if err := xml.Unmarshal(data, &b); err != nil {
			t.Fatalf("%s: not XML: %v\n%s", name, err, data)
		}
		return b
	}
	hub := read("hub")
	if hub.Broker.Name != "hub" || hub.Broker.JMX != "false" {
		t.Errorf("hub broker: %+v", hub.Broker)
	}
	wantTC := map[string]string{"stomp+ssl-0": "stomp+ssl://127.0.0.1:1001?needClientAuth=true", "openwire-ssl": "ssl://127.0.0.1:2001?needClientAuth=true"}
	if len(hub.Broker.TC) != len(wantTC) {
		t.Errorf("hub transports: %+v", hub.Broker.TC)
	}
	for _, tc := range hub.Broker.TC {
		if wantTC[tc.Name] != tc.URI {
			t.Errorf("hub transport %s = %s, want %s", tc.Name, tc.URI, wantTC[tc.Name])
		}
	}
	if len(hub.Broker.NC) != 0 {
		t.Errorf("hub dials nobody, has %+v", hub.Broker.NC)
	}
	if !strings.HasSuffix(hub.Broker.SSL.Ctx.TrustStore, "hub/truststore.jks") || hub.Broker.SSL.Ctx.Type != "JKS" || !strings.HasPrefix(hub.Broker.SSL.Ctx.KeyStore, "file:") {
		t.Errorf("hub sslContext: %+v", hub.Broker.SSL.Ctx)
	}

	a := read("server-a")
	if len(a.Broker.NC) != 1 {
		t.Fatalf("server-a connectors: %+v", a.Broker.NC)
	}
	nc := a.Broker.NC[0]
	if nc.Name != "server-a_to_hub" || nc.Duplex != "true" || nc.TTL != "2" || nc.DynamicOnly != "false" {
		t.Errorf("server-a connector: %+v", nc)
	}
	if nc.MessageTTL != "1" || nc.ConsumerTTL != "3" || nc.Conduit != "false" || nc.Decrease != "true" || nc.Suppress != "true" {
		t.Errorf("server-a connector's network attributes: %+v", nc)
	}
	if len(nc.Excluded) != 1 || nc.Excluded[0].Name != "private.>" || len(nc.ExcludedT) != 1 || nc.ExcludedT[0].Name != "audit.*" ||
		len(nc.Static) != 1 || nc.Static[0].Name != "static" || len(nc.Dynamic) != 1 || nc.Dynamic[0].Name != "news.>" {
		t.Errorf("server-a connector's destination filters: %+v", nc)
	}
	if nc.URI != "static:(ssl://hub:2001)?backOffMultiplier=1.5&initialReconnectDelay=500&maxReconnectAttempts=7&useExponentialBackOff=false" {
		t.Errorf("server-a connector URI: %s", nc.URI)
	}
	for _, tc := range a.Broker.TC {
		if tc.Name == "openwire" && tc.URI != "tcp://127.0.0.1:2002" {
			t.Errorf("server-a has no TLS listener, so plain OpenWire; got %s", tc.URI)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	spec, err := topology.Example("hub-and-spokes")
	if err != nil {
		t.Fatal(err)
	}
	ports := Ports{STOMP: map[string][]string{}, OpenWire: map[string]string{}}
	if _, err := Render(spec, "nobody", ports, &pki.Material{}, "/d"); err == nil || !strings.Contains(err.Error(), `no node "nobody"`) {
		t.Errorf("unknown node: %v", err)
	}
	if _, err := Render(spec, "hub", ports, &pki.Material{}, "/d"); err == nil || !strings.Contains(err.Error(), "no JKS truststore") {
		t.Errorf("missing material: %v", err)
	}
}
