package bench

import (
	"errors"
	"net"
	"sync"
)

// writeBehind is the connection the generator gives go-stomp. go-stomp
// flushes every frame it writes, which costs a system call (and over TLS a
// record) per message: the largest part of the generator's CPU time at
// high rates. writeBehind takes each flush into a buffer and returns; a
// goroutine of its own writes whatever has gathered while its previous
// write was in the kernel. Under light load that is one frame per write,
// as before, a goroutine hand-off later; under heavy load many frames per
// write, as a client with a write-behind flusher sends them. Reads pass
// through.
type writeBehind struct {
	net.Conn
	mu     sync.Mutex
	cond   sync.Cond // a write finished, or failed
	buf    []byte    // waiting to be written
	spare  []byte    // the buffer being written, reused
	err    error     // the first write error; every later Write returns it
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
}

// writeBehindMax bounds what may wait: past it Write blocks, so a broker
// that stops reading pushes back on the producer through TCP as before.
const writeBehindMax = 256 << 10

var errWriteBehindClosed = errors.New("connection closed")

func newWriteBehind(c net.Conn) *writeBehind {
	w := &writeBehind{Conn: c, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	w.cond.L = &w.mu
	go w.loop()
	return w
}

func (w *writeBehind) Write(p []byte) (int, error) {
	w.mu.Lock()
	for w.err == nil && len(w.buf) >= writeBehindMax {
		w.cond.Wait()
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return 0, err
	}
	w.buf = append(w.buf, p...)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *writeBehind) loop() {
	for {
		select {
		case <-w.wake:
		case <-w.closed:
			return
		}
		for {
			w.mu.Lock()
			if len(w.buf) == 0 || w.err != nil {
				w.mu.Unlock()
				break
			}
			b := w.buf
			w.buf = w.spare[:0]
			w.cond.Broadcast() // room again
			w.mu.Unlock()
			_, err := w.Conn.Write(b)
			w.mu.Lock()
			w.spare = b
			if err != nil && w.err == nil {
				w.err = err
				w.cond.Broadcast()
			}
			w.mu.Unlock()
		}
	}
}

// Close ends the writer and closes the connection; what was still waiting
// is dropped (go-stomp's DISCONNECT waits for its RECEIPT, so nothing that
// matters is).
func (w *writeBehind) Close() error {
	w.once.Do(func() {
		w.mu.Lock()
		if w.err == nil {
			w.err = errWriteBehindClosed
		}
		w.cond.Broadcast()
		w.mu.Unlock()
		close(w.closed)
	})
	return w.Conn.Close()
}
