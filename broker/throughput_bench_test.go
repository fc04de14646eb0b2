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
	"net"
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

// BenchmarkThroughput moves b.N messages of 1 KiB through one queue, from
// one go-stomp producer to one go-stomp consumer (ack auto), over plaintext
// and over mutual TLS. Only the last send asks for a receipt, so the broker
// holds the producer back through TCP, as in `brokerlab bench`; that
// command interleaves runs and takes medians, this one is for
// `go test -bench Throughput -benchmem ./broker/` and benchstat.
func BenchmarkThroughput(b *testing.B) {
	const size = 1024
	serverFiles, clientTLS := benchPKI(b)
	for _, tc := range []struct {
		name   string
		listen string
		tls    *tls.Config
	}{
		{"plaintext", "stomp://127.0.0.1:0", nil},
		{"tls", "stomp+ssl://127.0.0.1:0?needClientAuth=true", clientTLS},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := brokertest.NewBroker(b, broker.Options{Name: "bench", Listen: []string{tc.listen}, TLS: serverFiles})
			rate := relay(b, srv.Addr(), srv.Addr(), tc.tls, b.N, size, false, func() {
				b.SetBytes(size)
				b.ReportAllocs()
				b.ResetTimer()
			})
			b.StopTimer()
			b.ReportMetric(rate, "msgs/s")
		})
	}
}

// relay sends n messages of size bytes on producerAddr and receives them
// on consumerAddr, returning messages per second. ready runs once the
// consumer is in place, just before the first send. Only the last send
// (and, when persistent, one in 64) asks for a receipt, so the broker
// holds the producer back through TCP, as in `brokerlab bench`.
func relay(b *testing.B, producerAddr, consumerAddr string, cfg *tls.Config, n, size int, persistent bool, ready func()) float64 {
	consumer := benchDial(b, consumerAddr, cfg)
	producer := benchDial(b, producerAddr, cfg)
	sub, err := consumer.Subscribe("/queue/throughput", stomp.AckAuto, stomp.SubscribeOpt.Header("activemq.prefetchSize", "1000"))
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	// A receipt on the consumer's connection proves the broker has
	// processed the SUBSCRIBE sent before it.
	if err := consumer.Send("/topic/fence", "", nil, stomp.SendOpt.Receipt); err != nil {
		b.Fatal(err)
	}
	if ready != nil {
		ready()
	}
	body := make([]byte, size)
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

func errOf(m *stomp.Message) error {
	if m == nil {
		return net.ErrClosed
	}
	return m.Err
}

func benchDial(b *testing.B, addr string, cfg *tls.Config) *stomp.Conn {
	b.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	if cfg != nil {
		tc := tls.Client(nc, cfg.Clone())
		if err := tc.Handshake(); err != nil {
			b.Fatal(err)
		}
		nc = tc
	}
	c, err := stomp.Connect(nc, stomp.ConnOpt.HeartBeat(0, 0), stomp.ConnOpt.MsgSendTimeout(2*time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Disconnect(); nc.Close() })
	return c
}

// benchPKI writes a self-signed certificate for the broker ("bench") and
// one for the client, and one truststore holding both, and returns the
// broker's files and the client's configuration. Every broker made from
// the files presents "bench" and trusts it, so brokers can also bridge to
// each other over mutual TLS. It uses crypto/x509 directly, so
// the broker's tests do not depend on the harness's pki package.
func benchPKI(b testing.TB) (tlsconf.Files, *tls.Config) {
	b.Helper()
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
	issue := func(cn string, serial int64) (cert, key *pem.Block) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(serial),
			Subject:               pkix.Name{CommonName: cn},
			DNSNames:              []string{cn},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			BasicConstraintsValid: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			b.Fatal(err)
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			b.Fatal(err)
		}
		return &pem.Block{Type: "CERTIFICATE", Bytes: der}, &pem.Block{Type: "PRIVATE KEY", Bytes: kder}
	}
	srvCert, srvKey := issue("bench", 1)
	cliCert, cliKey := issue("client", 2)
	trust := write("trust.pem", srvCert, cliCert)
	server := tlsconf.Files{
		CertFile:  write("bench.pem", srvCert),
		KeyFile:   write("bench-key.pem", srvKey),
		TrustFile: trust,
	}
	m, err := tlsconf.Load(tlsconf.Files{
		CertFile:  write("client.pem", cliCert),
		KeyFile:   write("client-key.pem", cliKey),
		TrustFile: trust,
	})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := tlsconf.ClientConfig(m, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return server, cfg
}
