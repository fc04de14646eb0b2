package bench

import (
	"crypto/tls"
	"fmt"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Target is one way into a broker under test: ours (started by Run as a
// child process) or any STOMP endpoint, a real ActiveMQ for one. With
// ConsumeAddr it is a path across a network bridge: producers send to Addr
// (the spoke), consumers receive from ConsumeAddr (the hub), and the spoke
// forwards over its bridge.
type Target struct {
	Transport string      // the table's label: Plaintext, TLS, BridgeTLS, ...
	Addr      string      // HOST:PORT (the producers', and the consumers' without ConsumeAddr)
	TLS       *tls.Config // nil for plaintext
	// Host is CONNECT's host header (the virtual host); "" sends the host
	// part of Addr.
	Host            string
	Login, Passcode string // CONNECT's login and passcode; "" sends none
	// PID is the broker's process, whose CPU time /proc/PID/stat gives;
	// 0 leaves the broker's CPU per message out.
	PID int

	// ConsumeAddr, when set, is where consumers connect instead of Addr:
	// the other end of a bridge. ConsumeTLS (nil for plaintext) and
	// ConsumeHost are its TLS and CONNECT host, as TLS and Host are Addr's;
	// Login and Passcode serve both.
	ConsumeAddr string
	ConsumeTLS  *tls.Config
	ConsumeHost string
	// ConsumePID is the consumers' broker's process: its CPU time is added
	// to PID's, so that a message's cost across a bridge is both brokers'.
	ConsumePID int
}

// consumerSide is the target as consumers dial it: t itself, or, across a
// bridge, the far broker.
func (t *Target) consumerSide() *Target {
	if t.ConsumeAddr == "" {
		return t
	}
	c := *t
	c.Addr, c.TLS, c.Host = t.ConsumeAddr, t.ConsumeTLS, t.ConsumeHost
	return &c
}

// pids are the broker processes whose CPU time the target's runs count.
func (t *Target) pids() []int {
	var out []int
	for _, pid := range []int{t.PID, t.ConsumePID} {
		if pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

// TLSFiles are PEM files for a TLS target: the certificates to trust
// (required), and a client certificate and key for brokers that ask for one
// (mutual TLS).
type TLSFiles struct {
	CA, Cert, Key string
	ServerName    string // the name the broker's certificate must carry
}

// ClientTLS builds the client side of a TLS target from files, verifying
// the broker's certificate against f.CA and f.ServerName, never against
// the address dialled.
func ClientTLS(f TLSFiles) (*tls.Config, error) {
	if f.CA == "" {
		return nil, fmt.Errorf("bench: a TLS target needs the certificates to trust (--tls-ca)")
	}
	m, err := tlsconf.Load(tlsconf.Files{CertFile: f.Cert, KeyFile: f.Key, TrustFile: f.CA})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg, err := tlsconf.ClientConfig(m, f.ServerName)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return cfg, nil
}

// clientBuffer sizes the generator's read and write buffers: large reads
// and batched writes mean fewer system calls per message.
const clientBuffer = 64 << 10
