package stomp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestWriteFrame(t *testing.T) {
	tests := []struct {
		name string
		ver  Version
		f    *Frame
		want string
	}{
		{"minimal", V12, &Frame{Command: DISCONNECT}, "DISCONNECT\n\n\x00"},
		{"headers in order", V12, New(SEND, "destination", "/q/a", "receipt", "7"),
			"SEND\ndestination:/q/a\nreceipt:7\n\n\x00"},
		{"repeated headers kept", V12, New(MESSAGE, "k", "1", "k", "2"), "MESSAGE\nk:1\nk:2\n\n\x00"},
		{"body gets content-length", V12, &Frame{Command: SEND, Headers: hdr("d", "/q"), Body: []byte("hi\x00")},
			"SEND\nd:/q\ncontent-length:3\n\nhi\x00\x00"},
		{"wrong content-length replaced in place", V12,
			&Frame{Command: SEND, Headers: hdr("a", "1", "content-length", "99", "b", "2", "content-length", "1"), Body: []byte("xy")},
			"SEND\na:1\ncontent-length:2\nb:2\n\nxy\x00"},
		{"content-length dropped without body", V12, New(SEND, "content-length", "5", "a", "1"), "SEND\na:1\n\n\x00"},
		{"empty non-nil body has no content-length", V12, &Frame{Command: SEND, Body: []byte{}}, "SEND\n\n\x00"},
		{"1.0 writes raw", V10, New(SEND, `k\`, "a:b\\c\r"), "SEND\nk\\:a:b\\c\r\r\n\n\x00"},
		{"1.0 unrepresentable written as is", V10, New(SEND, "a:b", "c\nd"), "SEND\na:b:c\nd\n\n\x00"},
		{"1.1 escaping", V11, New(SEND, "k:1", "a\nb:c\\d\re"), "SEND\nk\\c1:a\\nb\\cc\\\\d\re\n\n\x00"},
		{"1.1 trailing CR gets CRLF", V11, New(SEND, "k", "v\r"), "SEND\nk:v\r\r\n\n\x00"},
		{"1.2 escaping", V12, New(SEND, "k:1", "a\nb:c\\d\re\r"), "SEND\nk\\c1:a\\nb\\cc\\\\d\\re\\r\n\n\x00"},
		{"CONNECT never escaped", V12, New(CONNECT, "login", "a:b", "passcode", `p\q`), "CONNECT\nlogin:a:b\npasscode:p\\q\n\n\x00"},
		{"STOMP never escaped", V11, New(STOMP, "host", `a\b`), "STOMP\nhost:a\\b\n\n\x00"},
		{"CONNECTED never escaped", V12, New(CONNECTED, "server", "x:y", "v", "\r"), "CONNECTED\nserver:x:y\nv:\r\r\n\n\x00"},
		{"ERROR escaped", V12, New(ERROR, "message", `header "\t" bad: x`), "ERROR\nmessage:header \"\\\\t\" bad\\c x\n\n\x00"},
		{"unknown version is 1.0", "9.9", New(SEND, "k", "a:b"), "SEND\nk:a:b\n\n\x00"},
		{"unknown command written", V12, New("FOO"), "FOO\n\n\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.SetVersion(tt.ver)
			before := tt.f.Clone()
			if err := w.WriteFrame(tt.f); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Fatalf("wrote\n %q\nwant\n %q", buf.String(), tt.want)
			}
			if !reflect.DeepEqual(tt.f, before) {
				t.Fatalf("WriteFrame changed the caller's frame: %v -> %v", before, tt.f)
			}
		})
	}
}

func TestWriterBuffers(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteFrame(New(SEND, "k", "v")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeartbeat(); err != nil {
		t.Fatal(err)
	}
	const want = "SEND\nk:v\n\n\x00\n"
	if buf.Len() != 0 {
		t.Fatalf("%d bytes reached the writer before Flush", buf.Len())
	}
	if w.Buffered() != len(want) {
		t.Fatalf("Buffered() = %d, want %d", w.Buffered(), len(want))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want || w.Buffered() != 0 {
		t.Fatalf("after Flush: %q, Buffered() = %d", buf.String(), w.Buffered())
	}
}

func TestWriteFrameInvalid(t *testing.T) {
	tests := []struct {
		name string
		f    *Frame
	}{
		{"nil", nil},
		{"empty command", &Frame{}},
		{"space in command", New("SE ND")},
		{"newline in command", New("SEND\nk:v")},
		{"empty key", New(SEND, "a", "1", "", "2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			err := w.WriteFrame(tt.f)
			if !errors.Is(err, ErrInvalidFrame) {
				t.Fatalf("WriteFrame = %v, want ErrInvalidFrame", err)
			}
			var pe *ProtocolError
			if errors.As(err, &pe) {
				t.Fatalf("a local mistake must not look like the peer's: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "stomp: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			if w.Buffered() != 0 {
				t.Fatalf("refused frame left %d bytes buffered", w.Buffered())
			}
		})
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriterErrors(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(failWriter{boom})
	if err := w.WriteFrame(New(SEND)); err != nil {
		t.Fatalf("small frame should only be buffered: %v", err)
	}
	if err := w.Flush(); err != boom {
		t.Fatalf("Flush = %v, want %v", err, boom)
	}

	w = NewWriter(failWriter{boom})
	big := &Frame{Command: SEND, Body: make([]byte, 3*writeBufSize)}
	if err := w.WriteFrame(big); err != boom {
		t.Fatalf("WriteFrame of a frame larger than the buffer = %v, want %v", err, boom)
	}
	if err := w.WriteHeartbeat(); err != boom {
		t.Fatalf("errors must stick: %v", err)
	}
}

// roundTripFrames exercise every escaping rule; each must come back from a
// Reader at the same version exactly as written (content-length aside).
var roundTripFrames = []*Frame{
	{Command: CONNECT, Headers: hdr("accept-version", "1.0,1.1,1.2", "host", "/", "login", "u", "passcode", `p\a:ss`)},
	{Command: STOMP, Headers: hdr("accept-version", "1.2", "heart-beat", "0,0", "x", "trail\r")},
	{Command: CONNECTED, Headers: hdr("version", "1.2", "server", "brokerlab/1:0")},
	{Command: SEND, Headers: hdr("destination", "/queue/a", "content-type", "text/plain"), Body: []byte("hello")},
	{Command: SEND, Headers: hdr("destination", "/queue/bin"), Body: []byte("\x00\x01\n\r\n\x00\xff")},
	{Command: SUBSCRIBE, Headers: hdr("id", "0", "destination", "/topic/t", "ack", "client-individual")},
	{Command: UNSUBSCRIBE, Headers: hdr("id", "0")},
	{Command: ACK, Headers: hdr("id", "m-1", "transaction", "tx1")},
	{Command: NACK, Headers: hdr("id", "m-2")},
	{Command: BEGIN, Headers: hdr("transaction", "tx1")},
	{Command: COMMIT, Headers: hdr("transaction", "tx1")},
	{Command: ABORT, Headers: hdr("transaction", "tx1")},
	{Command: DISCONNECT, Headers: hdr("receipt", "77")},
	{Command: MESSAGE, Headers: hdr("subscription", "0", "message-id", "1", "destination", "/q", "dup", "a", "dup", "b"), Body: []byte("x")},
	{Command: RECEIPT, Headers: hdr("receipt-id", "77")},
	{Command: ERROR, Headers: hdr("message", "bad: frame", "v", "a:b"), Body: []byte("details\n")},
	{Command: "CUSTOM", Headers: hdr("k", "v\r", "empty", "")},
}

// escapedFrames need escaping, so they only round-trip at 1.1 and 1.2.
var escapedFrames = []*Frame{
	{Command: SEND, Headers: hdr("a:b", "c\nd", `back\slash`, `\\`, "colon", ":::", "cr", "x\ry\r")},
	{Command: MESSAGE, Headers: hdr("k\n", "\n", "\\n", "\\c")},
}

func TestRoundTrip(t *testing.T) {
	for _, v := range []Version{V10, V11, V12} {
		t.Run(string(v), func(t *testing.T) {
			frames := roundTripFrames
			if v != V10 {
				frames = append(frames[:len(frames):len(frames)], escapedFrames...)
			}
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.SetVersion(v)
			for _, f := range frames {
				if err := w.WriteFrame(f); err != nil {
					t.Fatal(err)
				}
				if err := w.WriteHeartbeat(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			r := NewReader(&buf, DefaultLimits)
			r.SetVersion(v)
			for _, want := range frames {
				got, err := r.ReadFrame()
				if err != nil {
					t.Fatalf("reading back %v: %v", want, err)
				}
				if msg := diffFrames(want, got); msg != "" {
					t.Fatalf("round trip of %v: %s", want, msg)
				}
			}
			if _, err := r.ReadFrame(); err != io.EOF {
				t.Fatalf("after last frame: %v", err)
			}
		})
	}
}

// diffFrames compares a frame as written with the frame read back. The
// Writer owns content-length, so those headers are compared against the
// body rather than against what the caller put in.
func diffFrames(written, read *Frame) string {
	if written.Command != read.Command {
		return "command " + read.Command
	}
	if !bytes.Equal(written.Body, read.Body) {
		return "body differs"
	}
	var cls []string
	for _, h := range read.Headers {
		if h.Key == "content-length" {
			cls = append(cls, h.Value)
		}
	}
	switch {
	case len(written.Body) == 0 && len(cls) != 0:
		return "content-length on an empty body"
	case len(written.Body) > 0 && (len(cls) != 1 || cls[0] != strconv.Itoa(len(written.Body))):
		return "content-length headers " + strings.Join(cls, ",")
	}
	a, b := withoutLength(written.Headers), withoutLength(read.Headers)
	if !reflect.DeepEqual(a, b) {
		return "headers differ"
	}
	return ""
}

func withoutLength(hs []Header) []Header {
	var out []Header
	for _, h := range hs {
		if h.Key != "content-length" {
			out = append(out, h)
		}
	}
	return out
}

// TestWriterSpillsLargeBody: a body larger than the buffer goes out at
// once behind the frames buffered before it, over a real TCP connection
// (where it is one gathered write), and the stream reads back in order.
func TestWriterSpillsLargeBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []*Frame, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		frames, _ := readAll(NewReader(c, DefaultLimits))
		got <- frames
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(c)
	w.SetVersion(V12)
	big := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160 KB, well over the buffer
	want := []*Frame{
		New(MESSAGE, "destination", "/queue/a", "n", "1"),
		New(MESSAGE, "destination", "/queue/a", "n", "2"),
		New(MESSAGE, "destination", "/queue/a", "n", "3"),
	}
	want[0].Body, want[1].Body, want[2].Body = []byte("small"), big, []byte("after")
	for _, f := range want {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if w.Buffered() > writeBufSize/2 {
		t.Fatalf("%d bytes still buffered: the large body went through the buffer", w.Buffered())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	frames := <-got
	if len(frames) != 3 {
		t.Fatalf("read %d frames, want 3", len(frames))
	}
	for i, f := range frames {
		if f.Get("n") != want[i].Get("n") || !bytes.Equal(f.Body, want[i].Body) {
			t.Fatalf("frame %d: n=%s, %d body bytes; want n=%s, %d", i, f.Get("n"), len(f.Body), want[i].Get("n"), len(want[i].Body))
		}
	}
}

// recordingWriter keeps what is written and the size of each write.
type recordingWriter struct {
	bytes.Buffer
	sizes []int
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	return r.Buffer.Write(p)
}

// TestWriterFullBufferStartsNext: frames that overflow the buffer send
// what came before them in one buffer-sized write and start the next
// buffer, so a TLS connection writes full records, and nothing is lost or
// reordered.
func TestWriterFullBufferStartsNext(t *testing.T) {
	rw := &recordingWriter{}
	w := NewWriter(rw)
	w.SetVersion(V12)
	const n = 300
	for i := range n {
		f := New(MESSAGE, "destination", "/queue/a", "n", strconv.Itoa(i))
		f.Body = bytes.Repeat([]byte{byte('a' + i%26)}, 1000)
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for i, size := range rw.sizes {
		if size > writeBufSize || (i < len(rw.sizes)-1 && size < writeBufSize-1100) {
			t.Fatalf("write %d of %d is %d bytes: want each but the last within a frame of %d", i, len(rw.sizes), size, writeBufSize)
		}
	}
	frames, err := readAll(NewReader(&rw.Buffer, DefaultLimits))
	if err != nil || len(frames) != n {
		t.Fatalf("read back %d frames, %v; want %d", len(frames), err, n)
	}
	for i, f := range frames {
		if f.Get("n") != strconv.Itoa(i) || len(f.Body) != 1000 || f.Body[0] != byte('a'+i%26) {
			t.Fatalf("frame %d: n=%s body %d bytes", i, f.Get("n"), len(f.Body))
		}
	}
}
