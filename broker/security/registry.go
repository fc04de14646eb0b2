package security

import (
	"fmt"
	"slices"
	"sync"
)

// Factory builds a login module from a node's configuration; it returns an
// error naming what the module needs and the configuration lacks.
type Factory func(c *Config) (LoginModule, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register adds a login module kind under a name; registering a name twice
// panics, as it is a programming error.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("security: login module registered twice: " + name)
	}
	registry[name] = f
}

func lookup(name string) (Factory, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	f, ok := registry[name]
	return f, ok
}

// Modules lists the registered login module names, sorted.
func Modules() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// BuildStack makes the login stack c.Login describes.
func BuildStack(c *Config) (Stack, error) { return buildStack(c, "Login", c.Login) }

func buildStack(c *Config, field string, mods []ModuleConfig) (Stack, error) {
	var s Stack
	for i, m := range mods {
		f, ok := lookup(m.Module)
		if !ok {
			return nil, fmt.Errorf("security: %s[%d]: unknown login module %q; registered: %v", field, i, m.Module, Modules())
		}
		mod, err := f(c)
		if err != nil {
			return nil, fmt.Errorf("security: %s[%d] (%s): %w", field, i, m.Module, err)
		}
		s = append(s, StackEntry{Name: m.Module, Flag: m.Flag, Module: mod})
	}
	return s, nil
}
