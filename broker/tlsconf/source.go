package tlsconf

import (
	"crypto/tls"
	"sync"
	"sync/atomic"
)

// Source is a node's TLS material that can be read again without a
// restart, the way nats-server reloads certificates: Reload reads the
// files anew, and every connection from then on uses what it read, while
// established connections keep theirs. A reload that fails (a key that no
// longer matches, a half-copied keystore) changes nothing, so a broker never
// loses its TLS to a botched rotation.
type Source struct {
	files Files
	cur   atomic.Pointer[Material]
	mu    sync.Mutex // serialises Reload
}

// NewSource loads f.
func NewSource(f Files) (*Source, error) {
	m, err := Load(f)
	if err != nil {
		return nil, err
	}
	return SourceOf(f, m), nil
}

// SourceOf wraps material already loaded from f.
func SourceOf(f Files, m *Material) *Source {
	s := &Source{files: f}
	s.cur.Store(m)
	return s
}

// Material is what the last successful load read.
func (s *Source) Material() *Material { return s.cur.Load() }

// Reload reads the files again. On error the previous material stays.
func (s *Source) Reload() (*Material, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := Load(s.files)
	if err != nil {
		return nil, err
	}
	s.cur.Store(m)
	return m, nil
}

// ServerConfig is a listener's configuration whose every handshake uses the
// material current when it starts (GetConfigForClient). The configuration
// made for one material is kept until the next reload, so session tickets
// keep working between reloads.
func (s *Source) ServerConfig(auth ClientAuth, k Knobs) (*tls.Config, error) {
	type built struct {
		m   *Material
		cfg *tls.Config
	}
	var cache atomic.Pointer[built]
	build := func(m *Material) (*tls.Config, error) {
		if b := cache.Load(); b != nil && b.m == m {
			return b.cfg, nil
		}
		cfg, err := ServerConfig(m, auth)
		if err != nil {
			return nil, err
		}
		k.Apply(cfg)
		cache.Store(&built{m, cfg})
		return cfg, nil
	}
	first, err := build(s.Material())
	if err != nil {
		return nil, err
	}
	base := first.Clone()
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return build(s.Material())
	}
	return base, nil
}

// ClientConfig is a connector's configuration from the current material;
// connectors make one per dial, so each dial uses the latest.
func (s *Source) ClientConfig(serverName string, k Knobs) (*tls.Config, error) {
	cfg, err := ClientConfig(s.Material(), serverName)
	if err != nil {
		return nil, err
	}
	if serverName != "" {
		cfg.ServerName = serverName
	}
	k.Apply(cfg)
	return cfg, nil
}
