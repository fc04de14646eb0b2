package stomp

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// writeBufSize lets a burst of up to ~60 messages of 1 KiB to one
// subscriber go out in one system call (a CPU profile under `brokerlab
// bench` showed write(2) at 14% of the broker's time with 16 KiB). Buffers
// are pooled and held only while frames wait, so idle connections do not
// pay for the size.
const writeBufSize = 64 << 10

// Writer writes frames to a byte stream. It is not safe for concurrent use.
//
// Output is buffered: WriteFrame and WriteHeartbeat never flush, so that the
// broker can write a batch of frames and pay for one system call. Frames
// that fit in the buffer reach the underlying writer only on Flush; a frame
// whose body does not fit goes out at once, with everything buffered before
// it, so callers must not assume the peer has seen nothing before Flush,
// only that it has seen everything after it. Errors are sticky.
type Writer struct {
	dst io.Writer
	buf *[]byte // borrowed from writeBufs while frames wait; nil when idle
	err error   // sticky: the first failed write to dst
	esc escaping
}

// NewWriter returns a Writer buffering w. It starts at STOMP 1.0 (no header
// escaping) until SetVersion is called.
func NewWriter(w io.Writer) *Writer {
	return &Writer{dst: w}
}

// SetVersion selects the header escaping of frames written from now on.
// Versions other than 1.1 and 1.2 mean 1.0.
func (w *Writer) SetVersion(v Version) { w.esc = escapingFor(v) }

// WriteFrame buffers f. It does not flush and does not modify f.
//
// The content-length header is always computed by the Writer: a frame with
// a body gets one holding the body's real length (in place of the first
// content-length the caller set, if any; later ones are dropped), and a
// frame without a body gets none. A wrong content-length would desynchronise
// the peer, and the caller cannot know the length better than the Writer.
//
// STOMP 1.0 (and CONNECT, STOMP, CONNECTED in every version) has no
// escaping, so a header key containing ':' or a key or value containing LF
// cannot be represented; such headers are written as they are and the peer
// will misread them. Checking every byte on the hot path to refuse them is
// not worth it for frames the broker builds itself. A value ending in CR is
// written with a CRLF line ending, so that readers which strip one CR before
// LF (all 1.2 readers, and this package's Reader in every version) get the
// value back intact.
//
// The frame is refused, before anything is buffered, with an error wrapping
// ErrInvalidFrame if its command is not a non-empty run of ASCII letters or a
// header key is empty: no reader could parse it.
func (w *Writer) WriteFrame(f *Frame) error {
	if f == nil {
		return fmt.Errorf("%w: nil frame", ErrInvalidFrame)
	}
	if !validCommand(f.Command) {
		return fmt.Errorf("%w: command %q is not a non-empty run of ASCII letters", ErrInvalidFrame, f.Command)
	}
	b := w.borrow()
	start := len(b)
	esc := frameEscaping(w.esc, f.Command)
	b = append(b, f.Command...)
	b = append(b, '\n')
	wroteLength := false
	for _, h := range f.Headers {
		if h.Key == "content-length" {
			if !wroteLength && len(f.Body) > 0 {
				b = appendLength(b, len(f.Body))
				wroteLength = true
			}
			continue
		}
		if h.Key == "" {
			// Checked here rather than in a pass of its own over every
			// frame's headers; what this frame had appended is taken back.
			*w.buf = b[:start]
			return fmt.Errorf("%w: %s frame has a header with an empty key", ErrInvalidFrame, f.Command)
		}
		b = appendEscaped(b, h.Key, esc)
		b = append(b, ':')
		b = appendEscaped(b, h.Value, esc)
		if esc != esc12 && len(h.Value) > 0 && h.Value[len(h.Value)-1] == '\r' {
			b = append(b, '\r')
		}
		b = append(b, '\n')
	}
	if w.err != nil {
		// After the header loop, so an invalid frame is refused as such
		// even on a failed writer.
		*w.buf = b[:start]
		return w.err
	}
	if !wroteLength && len(f.Body) > 0 {
		b = appendLength(b, len(f.Body))
	}
	b = append(b, '\n')
	if len(b)+len(f.Body)+1 <= writeBufSize {
		b = append(b, f.Body...)
		*w.buf = append(b, 0)
		return nil
	}
	if len(b)-start+len(f.Body)+1 <= writeBufSize {
		// The buffer is full: what came before this frame goes out now, in
		// one write (on TLS, full-size records), and the frame starts the
		// next buffer.
		if err := w.write(b[:start]); err != nil {
			return err
		}
		b = b[:copy(b, b[start:])]
		b = append(b, f.Body...)
		*w.buf = append(b, 0)
		return nil
	}
	// A body larger than the buffer goes out now, behind what is
	// buffered, in one gathered write (writev on TCP) rather than through
	// the buffer; its NUL waits in the buffer for the next write.
	bufs := net.Buffers{b, f.Body}
	if _, err := bufs.WriteTo(w.dst); err != nil {
		w.err = err
		return err
	}
	*w.buf = append(b[:0], 0)
	return nil
}

func appendLength(b []byte, n int) []byte {
	b = append(b, "content-length:"...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\n')
}

// WriteHeartbeat buffers a heart-beat, a single LF. It does not flush.
func (w *Writer) WriteHeartbeat() error {
	if w.err != nil {
		return w.err
	}
	*w.buf = append(w.borrow(), '\n')
	return nil
}

// Flush writes everything buffered to the underlying writer.
// An emptied buffer goes back to the pool: a broker with thousands of
// idle connections then holds no write buffer for them.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.buf == nil {
		return nil
	}
	if err := w.write(*w.buf); err != nil {
		return err
	}
	if cap(*w.buf) <= writeBufSize {
		*w.buf = (*w.buf)[:0]
		writeBufs.Put(w.buf) // one grown by huge headers is let go
	}
	w.buf = nil
	return nil
}

func (w *Writer) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := w.dst.Write(b); err != nil {
		w.err = err
		return err
	}
	return nil
}

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, writeBufSize); return &b }}

// borrow returns the buffer to append to, borrowing one if the writer has
// none.
func (w *Writer) borrow() []byte {
	if w.buf == nil {
		w.buf = writeBufs.Get().(*[]byte)
	}
	return *w.buf
}

// Buffered reports how many bytes are waiting for Flush, so that the broker
// can flush early when a batch grows large.
func (w *Writer) Buffered() int {
	if w.buf == nil {
		return 0
	}
	return len(*w.buf)
}
