package stomp

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// Limits bounds what a Reader accepts from a peer, so that one connection
// cannot make the broker allocate without bound. Zero means unlimited.
type Limits struct {
	MaxHeaderLine int // bytes in one command or header line, escaped, without its line ending
	MaxHeaders    int // header lines in one frame
	MaxBody       int // bytes of body, whether declared by content-length or read up to the NUL
}

// DefaultLimits are generous for real traffic and still cap a hostile frame
// at about 20 MiB.
var DefaultLimits = Limits{MaxHeaderLine: 16 << 10, MaxHeaders: 256, MaxBody: 16 << 20}

const (
	// bodyChunk is the most the Reader allocates on the strength of a
	// declared content-length alone; larger bodies grow as bytes actually
	// arrive, so a peer that lies about the length costs us little.
	bodyChunk = 64 << 10

	// maxQuoted bounds peer-supplied text quoted in error messages, which
	// end up in ERROR frames and logs.
	maxQuoted = 32
)

// Reader reads frames from a byte stream. It is not safe for concurrent use.
type Reader struct {
	br  *inbuf
	lim Limits
	esc escaping

	// err is sticky once the stream position inside a frame is lost.
	err error

	// Scratch space reused across frames so that parsing allocates only
	// what the returned Frame keeps.
	line  []byte // assembles lines longer than br's buffer
	text  []byte // unescaped header keys and values, back to back
	spans []span // where each header ends in text

	// last is the frame ReadFrame returned last; spare is it again once
	// the caller has said, with Recycle, that it keeps no reference to
	// it, and the next frame is read into it instead of a new allocation.
	last, spare *frameAndHeaders
}

// span marks one header in Reader.text: the key ends at k, the value at v,
// and the key starts where the previous value ended.
type span struct{ k, v int }

// NewReader returns a Reader that buffers r and enforces lim. It starts at
// STOMP 1.0 (no header escaping) until SetVersion is called.
func NewReader(r io.Reader, lim Limits) *Reader {
	return &Reader{br: newInbuf(r, readBufSize, busyBufSize), lim: lim}
}

// Release gives a busy read buffer back to its pool; call it once the
// stream is done with.
func (r *Reader) Release() { r.br.release() }

// newReaderSize exists so tests can force tiny buffers and thus exercise the
// paths for lines and bodies that do not fit.
func newReaderSize(r io.Reader, lim Limits, size int) *Reader {
	return &Reader{br: newInbuf(r, size, 0), lim: lim}
}

// SetVersion selects the header un-escaping of frames read from now on.
// Versions other than 1.1 and 1.2 mean 1.0.
func (r *Reader) SetVersion(v Version) { r.esc = escapingFor(v) }

// ReadFrame reads the next frame, skipping heart-beats (empty lines) before
// it. It returns io.EOF if the stream ends cleanly between frames and
// io.ErrUnexpectedEOF if it ends inside one. Malformed input and exceeded
// limits are reported as *ProtocolError.
//
// An error from the underlying reader that arrives between frames (such as
// a read timeout while waiting for the next frame) is returned as is and the
// Reader stays usable. Any error inside a frame is sticky: the rest of the
// stream can no longer be framed, so every later call returns it again.
func (r *Reader) ReadFrame() (*Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.br.resize()
	f, started, err := r.readFrame()
	if pe, ok := err.(*ProtocolError); ok {
		// The headers read so far are this frame's: they are reset
		// before its command line is read.
		if v, ok := r.spanLookup("receipt"); ok {
			pe.Receipt = string(v)
		}
	}
	if cap(r.line) > bodyChunk {
		r.line = nil // don't keep one huge line's buffer for the life of the connection
	}
	if cap(r.text) > bodyChunk {
		r.text = nil
	}
	if err != nil {
		if started {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
		}
		return nil, err
	}
	return f, nil
}

// readFrame reports started once any byte of the frame proper (not of a
// heart-beat) has been consumed, because from then on an error loses sync.
// frameAndHeaders lets a frame with few headers come in one allocation.
// The capacity of an inline Headers slice is its length, so appending to
// it copies rather than writing past it.
type frameAndHeaders struct {
	Frame
	inline [10]Header
}

func (r *Reader) readFrame() (f *Frame, started bool, err error) {
	// Reset here, not after the command line, so that a ProtocolError never
	// finds the previous frame's receipt header (see ReadFrame).
	r.text, r.spans = r.text[:0], r.spans[:0]
	var line []byte
	for {
		var n int
		line, n, err = r.readLine(r.lim.MaxHeaderLine, "command line")
		if err != nil {
			return nil, n > 0, err
		}
		if len(line) > 0 {
			break
		}
	}
	cmd, ok := parseCommand(line)
	if !ok {
		return nil, true, protoErrorf("invalid command %s", quoteTrunc(line))
	}
	esc := frameEscaping(r.esc, cmd)

	for {
		line, _, err = r.readLine(r.lim.MaxHeaderLine, "header line")
		if err != nil {
			return nil, true, err
		}
		if len(line) == 0 {
			break
		}
		if r.lim.MaxHeaders > 0 && len(r.spans) == r.lim.MaxHeaders {
			return nil, true, protoErrorf("frame exceeds %d headers", r.lim.MaxHeaders)
		}
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			return nil, true, protoErrorf("header line %s has no ':'", quoteTrunc(line))
		}
		if i == 0 {
			return nil, true, protoErrorf("header line %s has an empty name", quoteTrunc(line))
		}
		if r.text, err = appendUnescaped(r.text, line[:i], esc); err != nil {
			return nil, true, err
		}
		k := len(r.text)
		if r.text, err = appendUnescaped(r.text, line[i+1:], esc); err != nil {
			return nil, true, err
		}
		r.spans = append(r.spans, span{k: k, v: len(r.text)})
	}

	// content-length is looked up before the headers are built, so that a
	// body already in the buffer can share their allocation.
	n := -1
	if v, ok := r.spanLookup("content-length"); ok {
		var valid bool
		if n, valid = parseLength(v); !valid {
			return nil, true, protoErrorf("invalid content-length %s: want a non-negative decimal integer", quoteTrunc(v))
		}
		if r.lim.MaxBody > 0 && n > r.lim.MaxBody {
			return nil, true, protoErrorf("content-length %d exceeds the body limit of %d bytes", n, r.lim.MaxBody)
		}
	}
	text, body, err := r.bufferedBody(n)
	if err != nil {
		return nil, true, err
	}

	// The frame and, for the usual handful, its headers in one allocation,
	// or the last one's again (Recycle).
	fh := r.spare
	if fh != nil {
		r.spare = nil
		clear(fh.inline[:]) // no header text of an earlier frame stays reachable through it
		fh.Frame = Frame{Command: cmd}
	} else {
		fh = &frameAndHeaders{Frame: Frame{Command: cmd}}
	}
	r.last = fh
	f = &fh.Frame
	if len(r.spans) > 0 {
		// One string for all headers instead of two per header: the
		// headers of a frame live and die together anyway.
		if body == nil {
			text = string(r.text)
		}
		if len(r.spans) <= len(fh.inline) {
			f.Headers = fh.inline[:len(r.spans):len(r.spans)]
		} else {
			f.Headers = make([]Header, len(r.spans))
		}
		start := 0
		for i, s := range r.spans {
			f.Headers[i] = Header{Key: text[start:s.k], Value: text[s.k:s.v]}
			start = s.v
		}
	}
	if body != nil {
		f.Body = body
		return f, true, nil
	}

	if n >= 0 {
		f.Body, err = r.readBodyN(n)
	} else {
		f.Body, err = r.readBodyNUL()
	}
	if err != nil {
		return nil, true, err
	}
	return f, true, nil
}

// Recycle says the caller is done with f, the frame ReadFrame returned
// last, and keeps no reference to it or to its Headers slice (the header
// strings and the Body stay valid: they are never reused), so the next
// frame may be read into it. A busy connection then reads its frames
// without allocating one each. Any other frame is ignored.
func (r *Reader) Recycle(f *Frame) {
	if r.last != nil && f == &r.last.Frame {
		r.spare, r.last = r.last, nil
	}
}

// spanLookup is Frame.Lookup on the headers still in r.text: the value of
// the first header named key, unescaped, valid until the next frame.
func (r *Reader) spanLookup(key string) ([]byte, bool) {
	start := 0
	for _, s := range r.spans {
		if string(r.text[start:s.k]) == key {
			return r.text[s.k:s.v], true
		}
		start = s.v
	}
	return nil, false
}

// joinedBodyMax is the largest body read into the same allocation as its
// frame's header text. Bounded because a header string kept for long (a
// destination's name, say) keeps the body beside it alive too.
const joinedBodyMax = 8 << 10

// bufferedBody returns the header text and the body of a frame whose whole
// body, NUL included, is already buffered, in one allocation: the common
// case under load, and one allocation fewer per message. Otherwise, or for
// an empty body, it returns a nil body and the caller reads it. n is the
// content-length, or -1 for a body that ends at the first NUL.
func (r *Reader) bufferedBody(n int) (string, []byte, error) {
	avail := r.br.buffered()
	if n < 0 {
		n = bytes.IndexByte(avail, 0)
		if n < 0 || (r.lim.MaxBody > 0 && n > r.lim.MaxBody) {
			return "", nil, nil // not all here, or too long: readBodyNUL says so
		}
	} else if n >= len(avail) {
		return "", nil, nil
	} else if avail[n] != 0 {
		return "", nil, protoErrorf("frame body is longer than content-length %d", n)
	}
	if n == 0 || n > joinedBodyMax {
		return "", nil, nil
	}
	var sb strings.Builder
	sb.Grow(len(r.text) + n)
	sb.Write(r.text)
	sb.Write(avail[:n])
	r.br.discard(n + 1)
	all := sb.String()
	// The body's bytes are the tail of a string nothing else refers to,
	// so handing them out as a []byte breaks no string's immutability;
	// the Builder simply skips zeroing memory that is overwritten at once.
	return all[:len(r.text)], unsafe.Slice(unsafe.StringData(all[len(r.text):]), n), nil
}

// readLine returns the next line without its LF and without one CR before
// the LF. The line is only valid until the next read. n counts the bytes
// consumed, so that the caller can tell a clean end between frames from a
// torn one.
func (r *Reader) readLine(limit int, what string) (line []byte, n int, err error) {
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		b, err = r.readLongLine(b, limit, what)
	}
	if err != nil {
		// Report the limit rather than the I/O error when both apply, so
		// the outcome does not depend on how the stream was chunked.
		if limit > 0 && len(b) > limit+1 {
			err = protoErrorf("%s exceeds %d bytes", what, limit)
		}
		return nil, len(b), err
	}
	line = b[:len(b)-1]
	if k := len(line); k > 0 && line[k-1] == '\r' {
		line = line[:k-1]
	}
	if limit > 0 && len(line) > limit {
		return nil, len(b), protoErrorf("%s exceeds %d bytes", what, limit)
	}
	return line, len(b), nil
}

// readLongLine assembles a line that does not fit in the bufio buffer,
// checking the limit as it grows rather than after the peer has sent it all.
func (r *Reader) readLongLine(b []byte, limit int, what string) ([]byte, error) {
	r.line = append(r.line[:0], b...)
	for {
		// r.line has no LF yet, and at most its last byte can be a CR
		// that belongs to the line ending.
		if limit > 0 && len(r.line) > limit+1 {
			return r.line, protoErrorf("%s exceeds %d bytes", what, limit)
		}
		b, err := r.br.ReadSlice('\n')
		r.line = append(r.line, b...)
		if err != bufio.ErrBufferFull {
			return r.line, err
		}
	}
}

// readBodyN reads a body of n bytes, declared by content-length, and the NUL
// that must follow it.
func (r *Reader) readBodyN(n int) ([]byte, error) {
	var body []byte
	if n > 0 {
		body = make([]byte, min(n, bodyChunk))
		got := 0
		for {
			m, err := io.ReadFull(r.br, body[got:])
			got += m
			if err != nil {
				return nil, unexpected(err)
			}
			if got == n {
				break
			}
			body = append(body, make([]byte, min(n, 2*len(body))-len(body))...)
		}
	}
	c, err := r.br.ReadByte()
	if err != nil {
		return nil, unexpected(err)
	}
	if c != 0 {
		return nil, protoErrorf("frame body is longer than content-length %d", n)
	}
	return body, nil
}

// readBodyNUL reads a body without content-length: everything up to the
// first NUL.
func (r *Reader) readBodyNUL() ([]byte, error) {
	limit := r.lim.MaxBody
	b, err := r.br.ReadSlice(0)
	if err == nil {
		n := len(b) - 1
		if limit > 0 && n > limit {
			return nil, protoErrorf("frame body exceeds %d bytes", limit)
		}
		if n == 0 {
			return nil, nil
		}
		return bytes.Clone(b[:n]), nil
	}
	var body []byte
	for err == bufio.ErrBufferFull {
		body = append(body, b...)
		if limit > 0 && len(body) > limit {
			return nil, protoErrorf("frame body exceeds %d bytes", limit)
		}
		b, err = r.br.ReadSlice(0)
	}
	if err != nil {
		if limit > 0 && len(body)+len(b) > limit {
			return nil, protoErrorf("frame body exceeds %d bytes", limit)
		}
		return nil, unexpected(err)
	}
	body = append(body, b[:len(b)-1]...)
	if limit > 0 && len(body) > limit {
		return nil, protoErrorf("frame body exceeds %d bytes", limit)
	}
	if len(body) == 0 {
		return nil, nil
	}
	return body, nil
}

// unexpected maps the end of the stream inside a frame to
// io.ErrUnexpectedEOF; io.ReadFull already does so for partial reads.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseCommand returns the known commands as the package constants, without
// allocating, and accepts any other run of ASCII letters so the broker can
// answer unknown commands itself.
func parseCommand(b []byte) (string, bool) {
	switch string(b) {
	case CONNECT:
		return CONNECT, true
	case STOMP:
		return STOMP, true
	case CONNECTED:
		return CONNECTED, true
	case SEND:
		return SEND, true
	case SUBSCRIBE:
		return SUBSCRIBE, true
	case UNSUBSCRIBE:
		return UNSUBSCRIBE, true
	case ACK:
		return ACK, true
	case NACK:
		return NACK, true
	case BEGIN:
		return BEGIN, true
	case COMMIT:
		return COMMIT, true
	case ABORT:
		return ABORT, true
	case DISCONNECT:
		return DISCONNECT, true
	case MESSAGE:
		return MESSAGE, true
	case RECEIPT:
		return RECEIPT, true
	case ERROR:
		return ERROR, true
	}
	if !validCommand(b) {
		return "", false
	}
	return string(b), true
}

func validCommand[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// parseLength parses content-length strictly: digits only, no sign, no
// spaces, so that we and the peer cannot disagree on where the body ends.
func parseLength(s []byte) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if n > (math.MaxInt-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func quoteTrunc(b []byte) string {
	if len(b) > maxQuoted {
		return strconv.Quote(string(b[:maxQuoted])) + "..."
	}
	return strconv.Quote(string(b))
}
