package pki

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf16"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// PKCS#12 stores are written with go-pkcs12's Modern encoder: PBES2 with
// PBKDF2-HMAC-SHA-256 and AES-256-CBC, and an HMAC-SHA-256 MAC, which is
// what keytool (Java 12 and later) and OpenSSL 3 write by default, so the
// files look like theirs to both.

func encodePKCS12KeyStore(alias string, key crypto.Signer, chain []*x509.Certificate, password string) ([]byte, error) {
	pfx, err := pkcs12.Modern.Encode(key, chain[0], chain[1:], password)
	if err != nil {
		return nil, fmt.Errorf("encode PKCS#12: %w", err)
	}
	return nameKeyBag(pfx, alias, password)
}

func encodePKCS12TrustStore(entries []trustEntry, password string) ([]byte, error) {
	var tes []pkcs12.TrustStoreEntry
	for _, e := range entries {
		tes = append(tes, pkcs12.TrustStoreEntry{Cert: e.cert, FriendlyName: e.alias})
	}
	pfx, err := pkcs12.Modern.EncodeTrustStoreEntries(tes, password)
	if err != nil {
		return nil, fmt.Errorf("encode PKCS#12: %w", err)
	}
	return pfx, nil
}

// The rest of this file exists because go-pkcs12 (v0.5.0, and still in
// v0.7) gives the key bag no friendlyName attribute, the attribute Java
// takes a key entry's alias from: without it keytool -list shows the entry
// as "1", not as the node's name. nameKeyBag adds the attribute to the key
// bag, which go-pkcs12 puts in a SafeContents that is not encrypted, and
// recomputes the MAC over the result. To be sure the MAC is computed as
// go-pkcs12 computes it, the original MAC is recomputed and compared first.

var (
	oidData                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidPKCS8ShroudedKeyBag = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidFriendlyName        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 20}
	oidSHA256              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// The ASN.1 of RFC 7292, as far as nameKeyBag needs it. RawValues keep the
// parts it does not touch byte for byte.
type pfxPDU struct {
	Version  int
	AuthSafe contentInfo
	MacData  macData `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type macData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type safeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue `asn1:"tag:0,explicit"`
	Attributes []attribute   `asn1:"set,optional"`
}

type attribute struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

func nameKeyBag(der []byte, alias, password string) ([]byte, error) {
	var pfx pfxPDU
	if err := unmarshalAll(der, &pfx); err != nil {
		return nil, fmt.Errorf("re-read PKCS#12: %w", err)
	}
	authSafe, err := octets(pfx.AuthSafe.Content)
	if err != nil {
		return nil, fmt.Errorf("re-read PKCS#12 auth safe: %w", err)
	}
	if !pfx.MacData.Mac.Algorithm.Algorithm.Equal(oidSHA256) {
		return nil, fmt.Errorf("PKCS#12 MAC algorithm %v, want SHA-256", pfx.MacData.Mac.Algorithm.Algorithm)
	}
	pw := bmpPassword(password)
	if !hmac.Equal(pkcs12MAC(&pfx.MacData, authSafe, pw), pfx.MacData.Mac.Digest) {
		return nil, errors.New("internal error: recomputed PKCS#12 MAC differs from go-pkcs12's")
	}
	var cis []contentInfo
	if err := unmarshalAll(authSafe, &cis); err != nil {
		return nil, fmt.Errorf("re-read PKCS#12 contents: %w", err)
	}
	named := 0
	for i := range cis {
		if !cis[i].ContentType.Equal(oidData) {
			continue // the encrypted certificates, left as they are
		}
		sc, err := octets(cis[i].Content)
		if err != nil {
			return nil, err
		}
		var bags []safeBag
		if err := unmarshalAll(sc, &bags); err != nil {
			return nil, fmt.Errorf("re-read PKCS#12 bags: %w", err)
		}
		for j := range bags {
			if bags[j].ID.Equal(oidPKCS8ShroudedKeyBag) {
				if err := addFriendlyName(&bags[j], alias); err != nil {
					return nil, err
				}
				named++
			}
		}
		if sc, err = asn1.Marshal(bags); err != nil {
			return nil, err
		}
		if cis[i].Content, err = explicitOctets(sc); err != nil {
			return nil, err
		}
	}
	if named != 1 {
		return nil, fmt.Errorf("internal error: found %d key bags to name, want 1", named)
	}
	if authSafe, err = asn1.Marshal(cis); err != nil {
		return nil, err
	}
	if pfx.AuthSafe.Content, err = explicitOctets(authSafe); err != nil {
		return nil, err
	}
	pfx.MacData.Mac.Digest = pkcs12MAC(&pfx.MacData, authSafe, pw)
	return asn1.Marshal(pfx)
}

func addFriendlyName(bag *safeBag, name string) error {
	bmp := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagBMPString, Bytes: utf16BE(name)}
	v, err := asn1.Marshal(bmp)
	if err != nil {
		return err
	}
	bag.Attributes = append(bag.Attributes, attribute{ID: oidFriendlyName,
		Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: v}})
	return nil
}

// octets reads the OCTET STRING inside an explicit [0] content.
func octets(v asn1.RawValue) ([]byte, error) {
	var b []byte
	if err := unmarshalAll(v.Bytes, &b); err != nil {
		return nil, err
	}
	return b, nil
}

// explicitOctets wraps b as the explicit [0] OCTET STRING content of a
// ContentInfo. FullBytes stays empty so that Marshal encodes the new bytes.
func explicitOctets(b []byte) (asn1.RawValue, error) {
	inner, err := asn1.Marshal(b)
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}, nil
}

func unmarshalAll(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err == nil && len(rest) > 0 {
		err = errors.New("trailing data")
	}
	return err
}

// bmpPassword is a PKCS#12 password: UTF-16BE with a terminating zero.
func bmpPassword(s string) []byte { return append(utf16BE(s), 0, 0) }

func utf16BE(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// pkcs12MAC is HMAC-SHA-256 over data with the key RFC 7292 appendix B
// derives from the password (ID 3, "MAC key").
func pkcs12MAC(md *macData, data, password []byte) []byte {
	key := pkcs12KDF(md.MacSalt, password, md.Iterations, 3, sha256.Size)
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

// pkcs12KDF is RFC 7292 appendix B.2 with SHA-256 (u = 32, v = 64).
func pkcs12KDF(salt, password []byte, iterations int, id byte, size int) []byte {
	const v = 64 // SHA-256's block size; u, its output size, is sha256.Size
	fill := func(p []byte) []byte {
		if len(p) == 0 {
			return nil
		}
		n := v * ((len(p) + v - 1) / v)
		out := make([]byte, n)
		for i := range out {
			out[i] = p[i%len(p)]
		}
		return out
	}
	D := make([]byte, v)
	for i := range D {
		D[i] = id
	}
	I := append(fill(salt), fill(password)...)
	var out []byte
	for len(out) < size {
		h := sha256.New()
		h.Write(D)
		h.Write(I)
		A := h.Sum(nil)
		for r := 1; r < iterations; r++ {
			s := sha256.Sum256(A)
			A = s[:]
		}
		out = append(out, A...)
		// I_j = (I_j + B + 1) mod 2^(v*8) for each v-byte block of I,
		// B being A repeated to v bytes.
		B := new(big.Int).SetBytes(fill(A)[:v])
		B.Add(B, big.NewInt(1))
		mod := new(big.Int).Lsh(big.NewInt(1), v*8)
		for j := 0; j < len(I); j += v {
			Ij := new(big.Int).SetBytes(I[j : j+v])
			Ij.Add(Ij, B).Mod(Ij, mod)
			b := Ij.Bytes()
			clear(I[j : j+v])
			copy(I[j+v-len(b):j+v], b)
		}
	}
	return out[:size]
}
