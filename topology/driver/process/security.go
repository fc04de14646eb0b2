package process

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/brokerlab/brokerlab/topology"
)

// writeSecurity writes a node's security block where its child broker
// reads it (`brokerlab broker --security FILE`), readable only by us.
func writeSecurity(dir string, s *topology.Security) (string, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "security.json")
	return path, os.WriteFile(path, data, 0o600)
}
