package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// The keystore side of `brokerlab broker`: ActiveMQ's <sslContext> as
// flags. Store passwords come from the environment, never from flags,
// which would show them in ps and in shell history.
const (
	envKeyStorePassword   = "BROKERLAB_KEYSTORE_PASSWORD"
	envKeyPassword        = "BROKERLAB_KEY_PASSWORD"
	envTrustStorePassword = "BROKERLAB_TRUSTSTORE_PASSWORD"
)

type storeFlags struct {
	keyStore, trustStore string
	minRSA               int
}

func addStoreFlags(fs *flag.FlagSet) *storeFlags {
	s := &storeFlags{}
	fs.StringVar(&s.keyStore, "keystore", "", "keystore `FILE` (JKS, PKCS#12 or PEM, told by content), in place of --tls-cert/--tls-key; password in $"+envKeyStorePassword+", key password in $"+envKeyPassword+" (default: the store's)")
	fs.StringVar(&s.trustStore, "truststore", "", "truststore `FILE` (JKS, PKCS#12 or PEM), in place of --tls-ca; password in $"+envTrustStorePassword)
	fs.IntVar(&s.minRSA, "min-rsa-bits", 0, "refuse peer certificates with RSA keys shorter than `BITS` (0: 2048; -1: no minimum)")
	return s
}

// apply puts the flags into files. Keystores replace the PEM flags;
// giving both is an error. The revocation list (--tls-crl) applies to
// either.
func (s *storeFlags) apply(files *tlsconf.Files) error {
	if s.keyStore == "" && s.trustStore == "" {
		if s.minRSA != 0 {
			files.SSLContext = &tlsconf.SSLContext{Policy: tlsconf.Policy{MinRSAKeyBits: s.minRSA}}
		}
		return nil
	}
	if files.CertFile != "" || files.KeyFile != "" || files.TrustFile != "" {
		return errors.New("--keystore/--truststore and --tls-cert/--tls-key/--tls-ca both given: use the keystores or the PEM files")
	}
	files.SSLContext = &tlsconf.SSLContext{
		KeyStore: &tlsconf.KeyStore{
			KeyStore: s.keyStore, KeyStorePassword: os.Getenv(envKeyStorePassword), KeyPassword: os.Getenv(envKeyPassword),
			TrustStore: s.trustStore, TrustStorePassword: os.Getenv(envTrustStorePassword),
		},
		Policy: tlsconf.Policy{MinRSAKeyBits: s.minRSA},
	}
	return nil
}

// reloadOnHangup makes SIGHUP reload the broker's certificate files, as
// nats-server does: new connections use them, established ones keep
// theirs. The outcome is printed on stderr (and is a tls-reloaded event).
func reloadOnHangup(b *broker.Broker, stderr io.Writer) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := b.ReloadTLS(); err != nil {
					fmt.Fprintf(stderr, "brokerlab broker: SIGHUP: %v\n", err)
				} else {
					fmt.Fprintf(stderr, "brokerlab broker: SIGHUP: TLS files reloaded; new connections use them\n")
				}
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(hup); close(done) }
}
