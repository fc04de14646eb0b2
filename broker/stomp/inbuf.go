package stomp

import (
	"bufio"
	"bytes"
	"io"
	"sync"
)

// inbuf is the Reader's input buffer: bufio.Reader's ReadSlice, Read and
// ReadByte, plus what bufio cannot do, change its size with bytes still in
// it. Frames rarely end exactly where a read did, so a buffer that could
// only be swapped when empty would almost never be swapped.
//
// A connection reads through a small buffer until two reads in a row come
// back nearly full, meaning more was waiting in the socket, then through a
// busy buffer borrowed from a pool: eight times fewer read system calls,
// the largest per-message cost left at 1 KiB. A read that brings less than
// a quarter of the busy buffer (as the last one before a connection goes
// quiet does) gives it back, so idle connections cost only the small one.
type inbuf struct {
	src  io.Reader
	buf  []byte
	r, w int
	err  error

	small    []byte // owned; buf is small or a pooled busy buffer
	adaptive bool
	busySize int // busyBufSize, except in tests
	last     int // bytes the latest read from src brought
	fills    int // consecutive nearly full reads through small
}

const (
	// readBufSize is large enough that a typical 1 KiB message frame is
	// parsed straight out of the buffer without copying lines.
	readBufSize = 8 << 10
	busyBufSize = 64 << 10
)

var busyBufs = sync.Pool{New: func() any { b := make([]byte, busyBufSize); return &b }}

// newInbuf returns a buffer of size bytes that, when busy > 0, grows to
// busy bytes while reads come back full.
func newInbuf(src io.Reader, size, busy int) *inbuf {
	small := make([]byte, size)
	return &inbuf{src: src, buf: small, small: small, adaptive: busy > 0, busySize: busy}
}

func (b *inbuf) Buffered() int { return b.w - b.r }

// buffered returns the unread bytes, valid until the next read.
func (b *inbuf) buffered() []byte { return b.buf[b.r:b.w] }

// discard consumes n buffered bytes.
func (b *inbuf) discard(n int) { b.r += n }

func (b *inbuf) readErr() error {
	err := b.err
	b.err = nil
	return err
}

// fill reads once from src into the free space at the end of buf, first
// sliding unread bytes to the front.
func (b *inbuf) fill() {
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	for i := 0; i < 100; i++ {
		n, err := b.src.Read(b.buf[b.w:])
		b.last = n
		b.w += n
		if err != nil {
			b.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	b.err = io.ErrNoProgress
}

// ReadSlice is bufio.Reader's: the bytes up to and including delim, valid
// until the next read, or bufio.ErrBufferFull with the whole buffer.
func (b *inbuf) ReadSlice(delim byte) ([]byte, error) {
	searched := 0
	for {
		if i := bytes.IndexByte(b.buf[b.r+searched:b.w], delim); i >= 0 {
			line := b.buf[b.r : b.r+searched+i+1]
			b.r += searched + i + 1
			return line, nil
		}
		if b.err != nil {
			line := b.buf[b.r:b.w]
			b.r = b.w
			return line, b.readErr()
		}
		if b.Buffered() == len(b.buf) {
			b.r = b.w
			return b.buf, bufio.ErrBufferFull
		}
		searched = b.w - b.r
		b.fill()
	}
}

// Read is bufio.Reader's: buffered bytes first; a read at least as large as
// the buffer goes straight from src into p.
func (b *inbuf) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if b.Buffered() > 0 {
			return 0, nil
		}
		return 0, b.readErr()
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.readErr()
		}
		if len(p) >= len(b.buf) {
			n, err := b.src.Read(p)
			b.last = n
			return n, err
		}
		b.r, b.w = 0, 0
		b.fill()
		if b.r == b.w {
			return 0, b.readErr()
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

func (b *inbuf) ReadByte() (byte, error) {
	for b.r == b.w {
		if b.err != nil {
			return 0, b.readErr()
		}
		b.fill()
	}
	c := b.buf[b.r]
	b.r++
	return c, nil
}

// resize moves to the busy buffer or back, keeping what is buffered. It is
// called between frames, when nothing refers into buf.
func (b *inbuf) resize() {
	if !b.adaptive {
		return
	}
	if &b.buf[0] == &b.small[0] {
		if b.last >= len(b.small)*3/4 {
			b.fills++
		} else {
			b.fills = 0
		}
		if b.fills >= 2 {
			b.fills = 0
			if b.busySize == busyBufSize {
				b.move(*busyBufs.Get().(*[]byte))
			} else {
				b.move(make([]byte, b.busySize))
			}
		}
		return
	}
	if b.last < b.busySize/4 && b.Buffered() <= len(b.small) {
		b.release()
	}
}

func (b *inbuf) move(to []byte) {
	b.w = copy(to, b.buf[b.r:b.w])
	b.r = 0
	b.buf = to
}

// release returns a busy buffer to the pool, keeping what it held.
func (b *inbuf) release() {
	if !b.adaptive || &b.buf[0] == &b.small[0] || b.Buffered() > len(b.small) {
		return // more buffered than the small buffer holds: keep the busy one rather than lose bytes
	}
	busy := b.buf
	b.move(b.small)
	if len(busy) == busyBufSize {
		busyBufs.Put(&busy)
	}
}
