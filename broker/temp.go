package broker

import (
	"strings"
	"sync"
)

// Temporary destinations are private, as in ActiveMQ: only the connection
// that made one may consume from it ("Cannot subscribe to remote temporary
// destination"), anyone may send to it while it exists, and once its owner
// has gone a SEND to it is refused rather than creating it again, where a
// message would wait for a consumer that can never come
// (allowTempAutoCreationOnSend=false, ActiveMQ's default). A temporary
// destination whose owner is on another broker exists here while the
// owner's demand does: its network consumers stand for the owner.

// tempRegistry maps each temporary destination made on this broker to the
// connection that owns it. Its own lock, so that it can be consulted from
// handlers holding neither the broker's nor a connection's.
type tempRegistry struct {
	mu     sync.Mutex
	owners map[string]*conn
}

func (r *tempRegistry) add(c *conn, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-c.closed:
		return // release has run or is running: it would never remove this entry
	default:
	}
	if r.owners == nil {
		r.owners = map[string]*conn{}
	}
	if _, ok := r.owners[name]; !ok {
		r.owners[strings.Clone(name)] = c
	}
}

func (r *tempRegistry) forget(c *conn, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.owners[name] == c {
		delete(r.owners, name)
	}
}

func (r *tempRegistry) owned(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.owners[name]
	return ok
}

func isRemoteTemp(name string) bool {
	return strings.HasPrefix(name, remoteTempQueuePrefix) || strings.HasPrefix(name, remoteTempTopicPrefix)
}

// ownTemp resolves a client's destination name: /temp-queue/x and
// /temp-topic/x become this connection's own temporary destination, made
// and registered on first use. owned says whether the result is a temporary
// destination of this connection, also when the client named it by its
// real /remote-temp-… name.
func (c *conn) ownTemp(dest string) (real string, owned bool) {
	var created bool
	switch {
	case isTemp(dest):
		real, created = c.resolveTemp(dest)
	case isRemoteTemp(dest) && !isPattern(dest):
		_, name := splitDest(dest)
		if !strings.HasPrefix(name, c.session+".") {
			return dest, false
		}
		// Its own, by its real name: kept with the others so that it is
		// deleted with the connection too.
		real = dest
		c.mu.Lock()
		if _, ok := c.temps[real]; !ok {
			real = strings.Clone(real) // the frame's text must not live as long as the connection
			c.temps[real], created = real, true
		}
		c.mu.Unlock()
	default:
		return dest, false
	}
	if created {
		// Registered once, when first named: every SEND with a
		// temporary reply-to comes this way.
		c.b.temps.add(c, real)
	}
	return real, true
}

// tempGone says whether name is a temporary destination that no longer
// exists (tempAlive).
func (b *Broker) tempGone(name string) bool { return isRemoteTemp(name) && !b.tempAlive(name) }

// dropGoneTemp deletes name if it is a temporary destination whose owner
// has gone: made (again) here, it would hold messages for a consumer that
// cannot come.
func (b *Broker) dropGoneTemp(name string) {
	if b.tempGone(name) {
		b.deleteDest(name)
	}
}

// tempAlive says whether a temporary destination exists: its owner is
// connected here, or a peer broker's network consumer stands for an owner
// there.
func (b *Broker) tempAlive(name string) bool {
	if b.temps.owned(name) {
		return true
	}
	b.mu.Lock()
	d := b.dests[name]
	b.mu.Unlock()
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.subs {
		if s.network {
			return true
		}
	}
	return false
}
