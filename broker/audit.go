package broker

import "sync"

// audit remembers the ids of the last n messages received over bridges, so
// a copy sent again after a lost ACK is recognised and dropped.
type audit struct {
	mu   sync.Mutex
	seen map[string]struct{}
	ring []string
	next int
}

func newAudit(n int) *audit {
	return &audit{seen: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records id and reports whether it is new.
func (a *audit) add(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.seen[id]; dup {
		return false
	}
	if old := a.ring[a.next]; old != "" {
		delete(a.seen, old)
	}
	a.ring[a.next] = id
	a.next = (a.next + 1) % len(a.ring)
	a.seen[id] = struct{}{}
	return true
}
