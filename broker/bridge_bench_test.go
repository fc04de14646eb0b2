package broker_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// BenchmarkBridgeThroughput moves b.N messages of 1 KiB from a producer to
// a consumer two ways, in the same run: through one broker over mutual TLS
// (both clients on TLS), and across a TLS bridge (producer on the spoke,
// consumer on the hub, every client and the bridge on TLS). It reports
// both rates and their ratio, bridge/broker, for non-persistent and
// persistent messages:
//
//	go test -run x -bench BridgeThroughput -benchtime 20000x ./broker/
func BenchmarkBridgeThroughput(b *testing.B) {
	files, client := bridgeBenchPKI(b)
	for _, persistent := range []bool{false, true} {
		name := "non-persistent"
		if persistent {
			name = "persistent"
		}
		b.Run(name, func(b *testing.B) {
			opts := func(n string) broker.Options {
				o := broker.Options{Name: n, Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"}, TLS: files}
				if persistent {
					o.DataDir = b.TempDir()
				}
				return o
			}
			one := brokertest.NewBroker(b, opts("single"))
			single := relay(b, one.Addr(), one.Addr(), client, b.N, persistent, nil)

			hub := brokertest.NewBroker(b, opts("hub"))
			so := opts("spoke")
			so.Connect = []string{fmt.Sprintf("static://(ssl://%s?serverName=bench)?name=spoke->hub&duplex=true", hub.Addr())}
			spoke := brokertest.NewBroker(b, so)
			awaitBridge(b, spoke, "spoke->hub", "up")
			bridged := relay(b, spoke.Addr(), hub.Addr(), client, b.N, persistent, func() { waitDemandB(b, spoke, "/queue/throughput") })

			b.ReportMetric(single, "broker-msgs/s")
			b.ReportMetric(bridged, "bridge-msgs/s")
			b.ReportMetric(bridged/single, "bridge/broker")
		})
	}
}

// relay sends n messages on producerAddr and receives them on
// consumerAddr, returning messages per second.
func relay(b *testing.B, producerAddr, consumerAddr string, cfg *tls.Config, n int, persistent bool, ready func()) float64 {
	consumer := benchDial(b, consumerAddr, cfg)
	producer := benchDial(b, producerAddr, cfg)
	sub, err := consumer.Subscribe("/queue/throughput", stomp.AckAuto, stomp.SubscribeOpt.Header("activemq.prefetchSize", "1000"))
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := consumer.Send("/topic/fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		b.Fatal(err)
	}
	if ready != nil {
		ready()
	}
	body := make([]byte, 1024)
	received := make(chan error, 1)
	go func() {
		for range n {
			m, ok := <-sub.C
			if !ok || m.Err != nil {
				received <- errOf(m)
				return
			}
		}
		received <- nil
	}()
	start := time.Now()
	for i := range n {
		opts := []func(*frame.Frame) error{stomp.SendOpt.Header("persistent", fmt.Sprint(persistent))}
		if i == n-1 || (persistent && i%64 == 63) {
			// Persistent: a receipt now and then, so the producer waits
			// for the store as a JMS producer would in batches.
			opts = append(opts, stomp.SendOpt.Receipt)
		}
		if err := producer.Send("/queue/throughput", "application/octet-stream", body, opts...); err != nil {
			b.Fatalf("send %d: %v", i, err)
		}
	}
	select {
	case err := <-received:
		if err != nil {
			b.Fatalf("receive: %v", err)
		}
	case <-time.After(5 * time.Minute):
		b.Fatal("the consumer did not receive every message within 5m")
	}
	return float64(n) / time.Since(start).Seconds()
}

func waitDemandB(b *testing.B, node *brokertest.Broker, dest string) {
	deadline := time.Now().Add(10 * time.Second)
	for !node.Broker.HasDemand(dest) {
		if time.Now().After(deadline) {
			b.Fatalf("%s never learned of the consumer for %s", node.Name(), dest)
		}
		time.Sleep(time.Millisecond)
	}
}

// bridgeBenchPKI makes one identity, "bench", that every broker presents
// and a client identity, with one truststore holding both, so clients
// (verifying "bench") and bridges alike handshake with mutual TLS.
func bridgeBenchPKI(b *testing.B) (tlsconf.Files, *tls.Config) {
	dir := b.TempDir()
	write := func(name string, blocks ...*pem.Block) string {
		path := filepath.Join(dir, name)
		var data []byte
		for _, bl := range blocks {
			data = append(data, pem.EncodeToMemory(bl)...)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		return path
	}
	issue := func(cn string, serial int64) (*pem.Block, *pem.Block) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			b.Fatal(err)
		}
		kder, _ := x509.MarshalPKCS8PrivateKey(k)
		return &pem.Block{Type: "CERTIFICATE", Bytes: der}, &pem.Block{Type: "PRIVATE KEY", Bytes: kder}
	}
	srvCert, srvKey := issue("bench", 1)
	cliCert, cliKey := issue("client", 2)
	trust := write("trust.pem", srvCert, cliCert)
	brokers := tlsconf.Files{CertFile: write("bench.pem", srvCert), KeyFile: write("bench-key.pem", srvKey), TrustFile: trust}
	m, err := tlsconf.Load(tlsconf.Files{CertFile: write("client.pem", cliCert), KeyFile: write("client-key.pem", cliKey), TrustFile: trust})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := tlsconf.ClientConfig(m, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return brokers, cfg
}
