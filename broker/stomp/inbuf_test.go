package stomp

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// chunkReader serves its data in reads of at most size bytes and counts
// the reads, as a socket with that much waiting would.
type chunkReader struct {
	data  []byte
	size  int
	reads int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	c.reads++
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func streamOf(n, bodySize int) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetVersion(V12)
	body := []byte(strings.Repeat("x", bodySize))
	for i := 0; i < n; i++ {
		if err := w.WriteFrame(&Frame{Command: SEND, Headers: []Header{{"destination", "/queue/a"}}, Body: body}); err != nil {
			panic(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

func TestReaderBorrowsBusyBufferWhileStreaming(t *testing.T) {
	const frames = 400
	src := &chunkReader{data: streamOf(frames, 1000), size: 1 << 20}
	r := NewReader(src, DefaultLimits)
	grown := false
	for i := 0; i < frames; i++ {
		f, err := r.ReadFrame()
		if err != nil || len(f.Body) != 1000 {
			t.Fatalf("frame %d: %v, body %d bytes", i, err, len(f.Body))
		}
		grown = grown || len(r.br.buf) == busyBufSize
	}
	if !grown {
		t.Fatalf("reads came back full but the reader kept its %d-byte buffer", readBufSize)
	}
	// ~420 KB through 64 KiB reads, not 8 KiB ones.
	if max := len(streamOf(frames, 1000))/busyBufSize + 4; src.reads > max {
		t.Fatalf("%d reads for %d frames, want at most %d", src.reads, frames, max)
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

func TestReaderGivesBusyBufferBackWhenTrafficSlows(t *testing.T) {
	data := streamOf(200, 1000)
	src := &chunkReader{data: data, size: 1 << 20}
	r := NewReader(src, DefaultLimits)
	for i := 0; i < 100; i++ {
		if _, err := r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.br.buf) != busyBufSize {
		t.Fatalf("buffer %d bytes while streaming, want %d", len(r.br.buf), busyBufSize)
	}
	src.size = 100 // the peer slows to a trickle
	for i := 100; i < 200; i++ {
		f, err := r.ReadFrame()
		if err != nil || len(f.Body) != 1000 {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if len(r.br.buf) != readBufSize {
		t.Fatalf("buffer %d bytes after the trickle, want the small %d back", len(r.br.buf), readBufSize)
	}
}

func TestReleaseKeepsBufferedBytes(t *testing.T) {
	data := streamOf(100, 1000)
	r := NewReader(&chunkReader{data: data, size: 1 << 20}, DefaultLimits)
	// Read until the busy buffer holds a few frames, with part of the
	// next: what a connection has when it closes mid-stream.
	i := 0
	for ; i < 100 && (len(r.br.buf) != busyBufSize || r.br.Buffered() > readBufSize); i++ {
		if _, err := r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	buffered := r.br.Buffered()
	if len(r.br.buf) != busyBufSize || buffered == 0 {
		t.Fatalf("after %d frames: buffer %d bytes, %d buffered; the test needs the busy buffer part full", i, len(r.br.buf), buffered)
	}
	r.Release()
	if len(r.br.buf) != readBufSize || r.br.Buffered() != buffered {
		t.Fatalf("after Release: buffer %d bytes with %d buffered, want %d with %d", len(r.br.buf), r.br.Buffered(), readBufSize, buffered)
	}
	for ; i < 100; i++ {
		if _, err := r.ReadFrame(); err != nil {
			t.Fatalf("frame %d after Release: %v", i, err)
		}
	}
}
