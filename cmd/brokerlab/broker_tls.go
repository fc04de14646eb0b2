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

// tlsFlags are every TLS flag of `brokerlab broker`: the PEM files
// (--tls-cert, --tls-key, --tls-ca, --tls-crl) and the keystores.
type tlsFlags struct {
	files                tlsconf.Files
	keyStore, trustStore string
	minRSA               int
}

func addTLSFlags(fs *flag.FlagSet) *tlsFlags {
	s := &tlsFlags{}
	fs.StringVar(&s.files.CertFile, "tls-cert", "", "PEM certificate `FILE` (leaf first, chain may follow)")
	fs.StringVar(&s.files.KeyFile, "tls-key", "", "PEM private key `FILE` (unencrypted PKCS#8, PKCS#1 or EC)")
	fs.StringVar(&s.files.TrustFile, "tls-ca", "", "PEM `FILE` of the certificates this broker trusts (its truststore)")
	fs.StringVar(&s.files.CRLFile, "tls-crl", "", "PEM `FILE` of certificate revocation lists; a peer whose certificate is listed is refused")
	fs.StringVar(&s.keyStore, "keystore", "", "keystore `FILE` (JKS, PKCS#12 or PEM, told by content), in place of --tls-cert/--tls-key; password in $"+envKeyStorePassword+", key password in $"+envKeyPassword+" (default: the store's)")
	fs.StringVar(&s.trustStore, "truststore", "", "truststore `FILE` (JKS, PKCS#12 or PEM), in place of --tls-ca; password in $"+envTrustStorePassword)
	fs.IntVar(&s.minRSA, "min-rsa-bits", 0, "refuse peer certificates with RSA keys shorter than `BITS` (0: 2048; -1: no minimum)")
	return s
}

// tlsFiles is the broker's TLS configuration from the flags. Keystores
// replace the PEM flags; giving both is an error. The revocation list
// (--tls-crl) applies to either.
func (s *tlsFlags) tlsFiles() (tlsconf.Files, error) {
	files := s.files
	if s.keyStore == "" && s.trustStore == "" {
		if s.minRSA != 0 {
			files.SSLContext = &tlsconf.SSLContext{Policy: tlsconf.Policy{MinRSAKeyBits: s.minRSA}}
		}
		return files, nil
	}
	if files.CertFile != "" || files.KeyFile != "" || files.TrustFile != "" {
		return files, errors.New("--keystore/--truststore and --tls-cert/--tls-key/--tls-ca both given: use the keystores or the PEM files")
	}
	files.SSLContext = &tlsconf.SSLContext{
		KeyStore: &tlsconf.KeyStore{
			KeyStore: s.keyStore, KeyStorePassword: os.Getenv(envKeyStorePassword), KeyPassword: os.Getenv(envKeyPassword),
			TrustStore: s.trustStore, TrustStorePassword: os.Getenv(envTrustStorePassword),
		},
		Policy: tlsconf.Policy{MinRSAKeyBits: s.minRSA},
	}
	return files, nil
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
