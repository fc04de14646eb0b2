package stomp

import (
	"bytes"
	"io"
	"testing"
)

// benchFrame is a typical message as the broker delivers it: a handful of
// headers and a 1 KiB body.
func benchFrame() *Frame {
	f := New(MESSAGE,
		"subscription", "sub-0",
		"message-id", "ID:brokerlab-1-0:1:1:1:42",
		"destination", "/queue/bench",
		"content-type", "application/octet-stream",
		"ack", "ID:brokerlab-1-0:1:1:1:42",
	)
	f.Body = bytes.Repeat([]byte{'m'}, 1024)
	return f
}

// loopReader replays the same bytes forever, so the benchmark measures
// parsing rather than building input.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

func BenchmarkReadFrame1KiB(b *testing.B) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetVersion(V12)
	if err := w.WriteFrame(benchFrame()); err != nil {
		b.Fatal(err)
	}
	w.Flush()
	r := NewReader(&loopReader{data: buf.Bytes()}, DefaultLimits)
	r.SetVersion(V12)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		f, err := r.ReadFrame()
		if err != nil || len(f.Body) != 1024 {
			b.Fatal(f, err)
		}
	}
}

func BenchmarkWriteFrame1KiB(b *testing.B) {
	f := benchFrame()
	var buf bytes.Buffer
	{
		w := NewWriter(&buf)
		w.SetVersion(V12)
		w.WriteFrame(f)
		w.Flush()
	}
	w := NewWriter(io.Discard)
	w.SetVersion(V12)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFrame(f); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
}
