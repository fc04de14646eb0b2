package tlsconf

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"os"
	"time"
)

// loadCRLs reads a CRL file: PEM with one "X509 CRL" block per authority,
// or a single DER list, as openssl ca -gencrl and keytool -gencrl write.
func loadCRLs(path string) ([]*x509.RevocationList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, loadErr(ClassBadCRL, path, err, "read CRL %s: %v: check the CRL file path", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, loadErr(ClassBadCRL, path, nil, "CRL %s is empty: give the CRL the authority published (openssl ca -gencrl), or leave the CRL file unset", path)
	}
	var ders [][]byte
	if DetectStoreType(data) == StorePEM {
		blocks, err := pemBlocks(path, data)
		if err != nil {
			return nil, &LoadError{Class: ClassBadCRL, File: path, msg: err.Error()}
		}
		for i, b := range blocks {
			if b.Type != "X509 CRL" {
				return nil, loadErr(ClassBadCRL, path, nil, "CRL %s: block %d is %q, not a CRL: a CRL file holds X509 CRL blocks", path, i+1, b.Type)
			}
			ders = append(ders, b.Bytes)
		}
	} else {
		ders = [][]byte{data}
	}
	var crls []*x509.RevocationList
	for i, der := range ders {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, loadErr(ClassBadCRL, path, nil, "CRL %s: list %d: %v: get the CRL again from its authority", path, i+1, err)
		}
		crls = append(crls, crl)
	}
	return crls, nil
}

// RevokedError is a peer certificate that a CRL lists. The side that
// checked reports it; the other side sees only a bad_certificate alert,
// the alert crypto/tls sends whenever a verification callback fails.
type RevokedError struct {
	Subject   string   // the revoked certificate's subject DN
	Serial    *big.Int // its serial number
	Issuer    string   // the subject DN of the authority whose CRL lists it
	RevokedAt time.Time
	CRLFile   string
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("tlsconf: certificate revoked: %s (serial %X) is listed in the CRL of %s in %s, revoked %s",
		e.Subject, e.Serial, e.Issuer, e.CRLFile, e.RevokedAt.UTC().Format(describeTime))
}

// verifyRevocation checks every certificate of every verified chain but
// the trust anchor against the CRLs its issuer signed. A list whose
// signature the issuer's key does not verify is ignored, so that no one but
// the authority can revoke what it issued. A certificate whose issuer
// published no list here passes, and so does a trust anchor, a pinned
// certificate included: Java does not check anchors either, and revoking a
// pinned certificate means taking it out of the truststore.
//
// Staleness is not judged: a list past its NextUpdate still revokes what it
// lists, since a lab's CRLs are made for the run.
func (m *Material) verifyRevocation(cs tls.ConnectionState) error {
	for _, chain := range cs.VerifiedChains {
		for i := 0; i+1 < len(chain); i++ {
			if err := m.revoked(chain[i], chain[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Material) revoked(c, issuer *x509.Certificate) error {
	for _, crl := range m.CRLs {
		if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return &RevokedError{Subject: c.Subject.String(), Serial: c.SerialNumber, Issuer: issuer.Subject.String(),
					RevokedAt: e.RevocationTime, CRLFile: m.crlFile()}
			}
		}
	}
	return nil
}

func (m *Material) crlFile() string {
	if m.Files.CRLFile != "" {
		return m.Files.CRLFile
	}
	return m.Stores.CRLFile
}
