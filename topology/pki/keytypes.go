package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"
)

// KeyType is the kind of key a certificate is made for, named as topology
// files write it.
type KeyType string

const (
	RSA2048   KeyType = "rsa2048"
	RSA3072   KeyType = "rsa3072"
	RSA4096   KeyType = "rsa4096"
	ECDSAP256 KeyType = "ecdsa-p256" // the default: quick to make, and every stack speaks it
	ECDSAP384 KeyType = "ecdsa-p384"
	Ed25519   KeyType = "ed25519"
	// RSA1024 is too short for any current policy; it exists to reproduce
	// a certificate that a minimum-key-size policy refuses. KeyTypes and
	// ParseKeyType leave it out: topology files cannot ask for it; only
	// NodeOptions can (the weak-key mutation).
	RSA1024 KeyType = "rsa1024"
)

// KeyTypes lists every key type, for validation and documentation.
func KeyTypes() []KeyType {
	return []KeyType{RSA2048, RSA3072, RSA4096, ECDSAP256, ECDSAP384, Ed25519}
}

// ParseKeyType reads a key type as topology files write it; "" is the
// default, ecdsa-p256.
func ParseKeyType(s string) (KeyType, error) {
	if s == "" {
		return ECDSAP256, nil
	}
	for _, k := range KeyTypes() {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, 0, len(KeyTypes()))
	for _, k := range KeyTypes() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("pki: unknown key type %q: use one of %s", s, strings.Join(names, ", "))
}

func (k KeyType) orDefault() KeyType {
	if k == "" {
		return ECDSAP256
	}
	return k
}

// newKey makes a fresh key of type k ("" is ECDSA P-256).
func newKey(k KeyType) (crypto.Signer, error) {
	var (
		key crypto.Signer
		err error
	)
	switch k.orDefault() {
	case RSA1024:
		key, err = rsa.GenerateKey(rand.Reader, 1024)
	case RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	case ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		_, err = ParseKeyType(string(k))
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", k.orDefault(), err)
	}
	return key, nil
}

// leafKeyUsage is what a node certificate's key may do. digitalSignature
// is what ECDHE and TLS 1.3 use. keyEncipherment only means something for
// RSA key transport (TLS 1.2 RSA key exchange), which Java still offers;
// Java refuses an RSA certificate without it for those suites, so RSA
// leaves carry it and others do not.
func leafKeyUsage(pub crypto.PublicKey) x509.KeyUsage {
	if _, ok := pub.(*rsa.PublicKey); ok {
		return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	}
	return x509.KeyUsageDigitalSignature
}

// subjectKeyID is RFC 5280's method 1, the SHA-1 of the subjectPublicKey
// BIT STRING, for any key type. Go adds it to CA certificates by itself;
// leaves get it too, as keytool's do, since Java uses it to match
// certificates.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("subject key id: %w", err)
	}
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("subject key id: %w", err)
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}
