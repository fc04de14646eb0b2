package broker

import "sync"

// audit remembers the ids of the last n messages received over bridges, so
// a copy sent again after a lost ACK is recognised and dropped. It grows as
// ids arrive rather than reserving room for n up front: a broker that never
// receives over a bridge (most spokes of a big hub) pays nothing for it.
type audit struct {
	mu   sync.Mutex
	n    int
	seen map[string]struct{}
	ring []string
	next int
}

func newAudit(n int) *audit {
	return &audit{n: n, seen: map[string]struct{}{}}
}

// add records id and reports whether it is new.
func (a *audit) add(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.seen[id]; dup {
		return false
	}
	if len(a.ring) < a.n {
		a.ring = append(a.ring, id)
	} else {
		delete(a.seen, a.ring[a.next])
		a.ring[a.next] = id
		a.next = (a.next + 1) % a.n
	}
	a.seen[id] = struct{}{}
	return true
}
