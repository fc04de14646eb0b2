package bench

import (
	"crypto/tls"
	"fmt"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Target is one way into a broker under test: ours (started by Run as a
// child process) or any STOMP endpoint, a real ActiveMQ for one.
type Target struct {
	Transport string      // the table's label: Plaintext or TLS
	Addr      string      // HOST:PORT
	TLS       *tls.Config // nil for plaintext
	// Host is CONNECT's host header (the virtual host); "" sends the host
	// part of Addr.
	Host            string
	Login, Passcode string // CONNECT's login and passcode; "" sends none
	// PID is the broker's process, whose CPU time /proc/PID/stat gives;
	// 0 leaves the broker's CPU per message out.
	PID int
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
