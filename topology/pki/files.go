package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// writeCertAndKey writes a certificate file, the leaf followed by its
// chain (0644), and the leaf's PKCS#8 key (0600).
func writeCertAndKey(certPath, keyPath string, chain []*x509.Certificate, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: encode key for %s: %w", keyPath, err)
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	var certs []byte
	for _, c := range chain {
		certs = append(certs, pemCert(c)...)
	}
	return writeFile(certPath, certs, 0o644)
}

// writeFile replaces path with data through a temporary file and a rename:
// a broker reloading its certificates never reads half a file, and perm
// holds even when the file existed with other permissions (os.WriteFile
// keeps those) or the umask is narrow.
func writeFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pki: create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(perm)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("pki: write %s: %w", path, werr)
	}
	return nil
}
