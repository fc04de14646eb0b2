package stomp

import (
	"bufio"
	"fmt"
	"io"
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
// larger than the free space spills to it as the buffer fills, so callers
// must not assume the peer has seen nothing before Flush, only that it has
// seen everything after it.
type Writer struct {
	dst io.Writer
	bw  *bufio.Writer // borrowed from writerPool while frames wait; nil when idle
	esc escaping
	num [20]byte // formats content-length without allocating
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
	for _, h := range f.Headers {
		if h.Key == "" {
			return fmt.Errorf("%w: %s frame has a header with an empty key", ErrInvalidFrame, f.Command)
		}
	}

	bw := w.buf()
	esc := frameEscaping(w.esc, f.Command)
	bw.WriteString(f.Command)
	bw.WriteByte('\n')
	wroteLength := false
	for _, h := range f.Headers {
		if h.Key == "content-length" {
			if !wroteLength && len(f.Body) > 0 {
				w.writeLength(len(f.Body))
				wroteLength = true
			}
			continue
		}
		writeEscaped(bw, h.Key, esc)
		bw.WriteByte(':')
		writeEscaped(bw, h.Value, esc)
		if esc != esc12 && len(h.Value) > 0 && h.Value[len(h.Value)-1] == '\r' {
			bw.WriteByte('\r')
		}
		bw.WriteByte('\n')
	}
	if !wroteLength && len(f.Body) > 0 {
		w.writeLength(len(f.Body))
	}
	bw.WriteByte('\n')
	bw.Write(f.Body)
	// bufio.Writer errors are sticky, so the last write reports any
	// failure of the ones before it.
	return bw.WriteByte(0)
}

func (w *Writer) writeLength(n int) {
	w.bw.WriteString("content-length:")
	w.bw.Write(strconv.AppendInt(w.num[:0], int64(n), 10))
	w.bw.WriteByte('\n')
}

// WriteHeartbeat buffers a heart-beat, a single LF. It does not flush.
func (w *Writer) WriteHeartbeat() error { return w.buf().WriteByte('\n') }

// Flush writes everything buffered to the underlying writer.
// An emptied buffer goes back to the pool: a broker with thousands of
// idle connections then holds no write buffer for them.
func (w *Writer) Flush() error {
	if w.bw == nil {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	w.bw.Reset(nil)
	writerPool.Put(w.bw)
	w.bw = nil
	return nil
}

var writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}

// buf returns the writer's buffer, borrowing one if it has none.
func (w *Writer) buf() *bufio.Writer {
	if w.bw == nil {
		w.bw = writerPool.Get().(*bufio.Writer)
		w.bw.Reset(w.dst)
	}
	return w.bw
}

// Buffered reports how many bytes are waiting for Flush, so that the broker
// can flush early when a batch grows large.
func (w *Writer) Buffered() int {
	if w.bw == nil {
		return 0
	}
	return w.bw.Buffered()
}
