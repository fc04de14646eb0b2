package stomp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads frames until an error and returns io.EOF as nil.
func readAll(r *Reader) ([]*Frame, error) {
	var frames []*Frame
	for {
		f, err := r.ReadFrame()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, f)
	}
}

// sources are the ways a stream can arrive; every parse must come out the
// same whichever is used, since TCP may split frames anywhere.
var sources = []struct {
	name string
	open func(data string, lim Limits) *Reader
}{
	{"whole", func(d string, lim Limits) *Reader { return NewReader(strings.NewReader(d), lim) }},
	{"OneByteReader", func(d string, lim Limits) *Reader {
		return NewReader(iotest.OneByteReader(strings.NewReader(d)), lim)
	}},
	{"HalfReader", func(d string, lim Limits) *Reader { return NewReader(iotest.HalfReader(strings.NewReader(d)), lim) }},
	{"DataErrReader", func(d string, lim Limits) *Reader {
		return NewReader(iotest.DataErrReader(strings.NewReader(d)), lim)
	}},
	{"tinyBuffer", func(d string, lim Limits) *Reader { return newReaderSize(strings.NewReader(d), lim, 16) }},
	{"tinyBufferOneByte", func(d string, lim Limits) *Reader {
		return newReaderSize(iotest.OneByteReader(strings.NewReader(d)), lim, 16)
	}},
	{"tinyResizing", func(d string, lim Limits) *Reader { return newResizingReader(strings.NewReader(d), lim) }},
}

// newResizingReader has a 16-byte buffer that grows to 64 bytes and back
// as its source alternates between full reads and one-byte reads, so the
// buffer changes size in the middle of frames.
func newResizingReader(r io.Reader, lim Limits) *Reader {
	return &Reader{br: newInbuf(&burstyReader{r: r}, 16, 64), lim: lim}
}

type burstyReader struct {
	r io.Reader
	n int
}

func (b *burstyReader) Read(p []byte) (int, error) {
	b.n++
	if b.n%7 >= 4 && len(p) > 1 {
		p = p[:1]
	}
	return b.r.Read(p)
}

func hdr(kv ...string) []Header { return New("", kv...).Headers }

func TestReadFrame(t *testing.T) {
	binary := "\x00\x01\x00\xff\n\r\n\x00"
	tests := []struct {
		name string
		ver  Version
		in   string
		want []*Frame
	}{
		{"empty stream", V12, "", nil},
		{"only heart-beats", V12, "\n\r\n\n", nil},
		{"minimal", V10, "DISCONNECT\n\n\x00", []*Frame{{Command: DISCONNECT}}},
		{"connect 1.0", V10, "CONNECT\nlogin:guest\npasscode:guest\n\n\x00",
			[]*Frame{{Command: CONNECT, Headers: hdr("login", "guest", "passcode", "guest")}}},
		{"stomp frame", V10, "STOMP\naccept-version:1.0,1.1,1.2\nhost:/\n\n\x00",
			[]*Frame{{Command: STOMP, Headers: hdr("accept-version", "1.0,1.1,1.2", "host", "/")}}},
		{"connect never unescaped in 1.2", V12, "CONNECT\npass\\ccode:a\\cb\\t\\\n\n\x00",
			[]*Frame{{Command: CONNECT, Headers: hdr(`pass\ccode`, `a\cb\t\`)}}},
		{"connected never unescaped in 1.1", V11, "CONNECTED\nserver:x\\y\n\n\x00",
			[]*Frame{{Command: CONNECTED, Headers: hdr("server", `x\y`)}}},
		{"send 1.0 no unescaping", V10, "SEND\ndestination:/q/a\\n\\c\n\nhello\x00",
			[]*Frame{{Command: SEND, Headers: hdr("destination", `/q/a\n\c`), Body: []byte("hello")}}},
		{"send 1.1 unescaped", V11, "SEND\nk\\c1:a\\nb\\cc\\\\d\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k:1", "a\nb:c\\d")}}},
		{"send 1.2 unescaped incl CR", V12, "SEND\nk:\\r\\n\\c\\\\\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", "\r\n:\\")}}},
		{"value keeps later colons", V10, "SEND\nk:a:b::\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", "a:b::")}}},
		{"value keeps later colons 1.2", V12, "SEND\nk:a:b\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", "a:b")}}},
		{"empty value", V12, "SEND\nk:\n\n\x00", []*Frame{{Command: SEND, Headers: hdr("k", "")}}},
		{"repeated headers kept in order", V12, "MESSAGE\nk:1\nk:2\n\n\x00",
			[]*Frame{{Command: MESSAGE, Headers: hdr("k", "1", "k", "2")}}},
		{"binary body via content-length", V12, "SEND\ncontent-length:8\n\n" + binary + "\x00",
			[]*Frame{{Command: SEND, Headers: hdr("content-length", "8"), Body: []byte(binary)}}},
		{"first content-length wins", V12, "SEND\ncontent-length:3\ncontent-length:1\n\na\x00b\x00",
			[]*Frame{{Command: SEND, Headers: hdr("content-length", "3", "content-length", "1"), Body: []byte("a\x00b")}}},
		{"content-length zero", V12, "SEND\ncontent-length:0\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("content-length", "0")}}},
		{"content-length leading zeros", V12, "SEND\ncontent-length:002\n\nab\x00",
			[]*Frame{{Command: SEND, Headers: hdr("content-length", "002"), Body: []byte("ab")}}},
		{"body up to first NUL", V12, "SEND\n\nab\ncd\x00", []*Frame{{Command: SEND, Body: []byte("ab\ncd")}}},
		{"CRLF lines", V12, "SEND\r\ndestination:/q\r\n\r\nbody\x00",
			[]*Frame{{Command: SEND, Headers: hdr("destination", "/q"), Body: []byte("body")}}},
		{"CRLF lines tolerated in 1.0", V10, "SEND\r\nk:v\r\n\r\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", "v")}}},
		{"only one CR stripped", V10, "SEND\nk:v\r\r\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", "v\r")}}},
		{"raw CR inside value", V11, "SEND\nk:a\rb\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", "a\rb")}}},
		{"NUL inside header", V12, "SEND\nk:a\x00b\n\n\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", "a\x00b")}}},
		{"heart-beats between frames", V12, "\n\r\nSEND\n\na\x00\n\n\r\nMESSAGE\n\nb\x00\r\n\n",
			[]*Frame{{Command: SEND, Body: []byte("a")}, {Command: MESSAGE, Body: []byte("b")}}},
		{"back to back", V12, "ACK\nid:1\n\n\x00NACK\nid:2\n\n\x00",
			[]*Frame{{Command: ACK, Headers: hdr("id", "1")}, {Command: NACK, Headers: hdr("id", "2")}}},
		{"unknown command returned", V12, "FOO\n\n\x00", []*Frame{{Command: "FOO"}}},
		{"lower case command is just unknown", V12, "send\n\n\x00", []*Frame{{Command: "send"}}},
		{"every command", V12, func() string {
			var b strings.Builder
			for _, c := range allCommands {
				b.WriteString(c + "\n\n\x00")
			}
			return b.String()
		}(), func() []*Frame {
			var fs []*Frame
			for _, c := range allCommands {
				fs = append(fs, &Frame{Command: c})
			}
			return fs
		}()},
		{"long lines and bodies", V12, "SEND\nk:" + strings.Repeat("v", 3000) + "\n\n" + strings.Repeat("b", 20000) + "\x00",
			[]*Frame{{Command: SEND, Headers: hdr("k", strings.Repeat("v", 3000)), Body: []byte(strings.Repeat("b", 20000))}}},
		{"body longer than chunk via content-length", V12,
			fmt.Sprintf("SEND\ncontent-length:%d\n\n%s\x00", 3*bodyChunk+5, strings.Repeat("z", 3*bodyChunk+5)),
			[]*Frame{{Command: SEND, Headers: hdr("content-length", fmt.Sprint(3*bodyChunk+5)), Body: []byte(strings.Repeat("z", 3*bodyChunk+5))}}},
	}
	for _, tt := range tests {
		for _, src := range sources {
			t.Run(tt.name+"/"+src.name, func(t *testing.T) {
				lim := DefaultLimits
				r := src.open(tt.in, lim)
				r.SetVersion(tt.ver)
				got, err := readAll(r)
				if err != nil {
					t.Fatalf("error after %d frames: %v", len(got), err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("frames:\n got %v\nwant %v", got, tt.want)
				}
				// EOF between frames is not sticky-by-accident: asking again
				// still says EOF.
				if _, err := r.ReadFrame(); err != io.EOF {
					t.Fatalf("after EOF: %v", err)
				}
			})
		}
	}
}

var allCommands = []string{CONNECT, STOMP, CONNECTED, SEND, SUBSCRIBE, UNSUBSCRIBE, ACK, NACK,
	BEGIN, COMMIT, ABORT, DISCONNECT, MESSAGE, RECEIPT, ERROR}

func TestReadFrameKnownCommandsAreConstants(t *testing.T) {
	// Known commands come back without allocating a string per frame.
	for _, c := range allCommands {
		got, ok := parseCommand([]byte(c))
		if !ok || got != c {
			t.Errorf("parseCommand(%q) = %q, %v", c, got, ok)
		}
	}
	allocs := testing.AllocsPerRun(100, func() { parseCommand([]byte("MESSAGE")) })
	if allocs > 0 {
		t.Errorf("parseCommand(MESSAGE) allocates %v times", allocs)
	}
}

func TestReadFrameErrors(t *testing.T) {
	small := Limits{MaxHeaderLine: 10, MaxHeaders: 2, MaxBody: 5}
	tests := []struct {
		name    string
		ver     Version
		lim     Limits
		in      string
		frames  int    // frames read successfully before the error
		wantMsg string // ProtocolError.Msg; "" means io.ErrUnexpectedEOF
	}{
		{"header without colon", V12, DefaultLimits, "SEND\nfoo\n\n\x00", 0, `header line "foo" has no ':'`},
		{"no blank line before body", V12, DefaultLimits, "SEND\n\x00\nSEND\n\n\x00", 0, `header line "\x00" has no ':'`},
		{"empty header name", V12, DefaultLimits, "SEND\n:v\n\n\x00", 0, `header line ":v" has an empty name`},
		{"empty header name 1.0", V10, DefaultLimits, "SEND\n:v\n\n\x00", 0, `header line ":v" has an empty name`},
		{"space in command", V12, DefaultLimits, "SE ND\n\n\x00", 0, `invalid command "SE ND"`},
		{"digit in command", V12, DefaultLimits, "SEND1\n\n\x00", 0, `invalid command "SEND1"`},
		{"non-ASCII command", V12, DefaultLimits, "SÉND\n\n\x00", 0, `invalid command "SÉND"`},
		{"stray CR line", V12, DefaultLimits, "\r\r\nSEND\n\n\x00", 0, `invalid command "\r"`},
		{"long bad command quoted short", V12, DefaultLimits, strings.Repeat("-", 100) + "\n", 0,
			`invalid command "` + strings.Repeat("-", maxQuoted) + `"...`},
		{"undefined escape 1.2", V12, DefaultLimits, "SEND\nk:a\\tb\n\n\x00", 0, `undefined escape sequence "\t" in header (STOMP 1.2)`},
		{"undefined escape in key", V12, DefaultLimits, "SEND\nk\\x:v\n\n\x00", 0, `undefined escape sequence "\x" in header (STOMP 1.2)`},
		{"CR escape in 1.1", V11, DefaultLimits, "SEND\nk:a\\rb\n\n\x00", 0, `undefined escape sequence "\r" in header (STOMP 1.1)`},
		{"lone backslash", V11, DefaultLimits, "MESSAGE\nk:ab\\\n\n\x00", 0, `header ends with a lone backslash (STOMP 1.1)`},
		{"error after good frame", V12, DefaultLimits, "ACK\n\n\x00SEND\nk:\\q\n\n\x00", 1, `undefined escape sequence "\q" in header (STOMP 1.2)`},
		{"negative content-length", V12, DefaultLimits, "SEND\ncontent-length:-1\n\n\x00", 0,
			`invalid content-length "-1": want a non-negative decimal integer`},
		{"signed content-length", V12, DefaultLimits, "SEND\ncontent-length:+1\n\na\x00", 0,
			`invalid content-length "+1": want a non-negative decimal integer`},
		{"spaced content-length", V12, DefaultLimits, "SEND\ncontent-length: 1\n\na\x00", 0,
			`invalid content-length " 1": want a non-negative decimal integer`},
		{"empty content-length", V12, DefaultLimits, "SEND\ncontent-length:\n\n\x00", 0,
			`invalid content-length "": want a non-negative decimal integer`},
		{"text content-length", V12, DefaultLimits, "SEND\ncontent-length:abc\n\n\x00", 0,
			`invalid content-length "abc": want a non-negative decimal integer`},
		{"overflowing content-length", V12, Limits{}, "SEND\ncontent-length:99999999999999999999\n\n\x00", 0,
			`invalid content-length "99999999999999999999": want a non-negative decimal integer`},
		{"body longer than content-length", V12, DefaultLimits, "SEND\ncontent-length:2\n\nabc\x00", 0,
			"frame body is longer than content-length 2"},
		{"header line limit", V12, small, "SEND\nk:123456789\n\n\x00", 0, "header line exceeds 10 bytes"},
		{"header line limit counts escaped bytes", V12, small, "SEND\nk:\\\\\\\\\\\\\\\\\\\\\n\n\x00", 0, "header line exceeds 10 bytes"},
		{"long header line limit", V12, small, "SEND\nk:" + strings.Repeat("x", 100) + "\n\n\x00", 0, "header line exceeds 10 bytes"},
		{"endless header line", V12, small, "SEND\nk:" + strings.Repeat("x", 100), 0, "header line exceeds 10 bytes"},
		{"command line limit", V12, small, "UNSUBSCRIBE\n\n\x00", 0, "command line exceeds 10 bytes"},
		{"header count limit", V12, small, "SEND\na:1\nb:2\nc:3\n\n\x00", 0, "frame exceeds 2 headers"},
		{"content-length over body limit", V12, Limits{MaxBody: 5}, "SEND\ncontent-length:6\n\n123456\x00", 0,
			"content-length 6 exceeds the body limit of 5 bytes"},
		{"huge content-length over default limit", V12, DefaultLimits, "SEND\ncontent-length:9223372036854775807\n\n", 0,
			"content-length 9223372036854775807 exceeds the body limit of 16777216 bytes"},
		{"body over limit", V12, small, "SEND\n\n123456\x00", 0, "frame body exceeds 5 bytes"},
		{"long body over limit", V12, small, "SEND\n\n" + strings.Repeat("b", 100) + "\x00", 0, "frame body exceeds 5 bytes"},
		{"endless body over limit", V12, small, "SEND\n\n" + strings.Repeat("b", 100), 0, "frame body exceeds 5 bytes"},

		{"EOF in command", V12, DefaultLimits, "SEN", 0, ""},
		{"EOF in stray CR", V12, DefaultLimits, "\r", 0, ""},
		{"EOF after command", V12, DefaultLimits, "SEND\n", 0, ""},
		{"EOF in header", V12, DefaultLimits, "SEND\nk:v", 0, ""},
		{"EOF before body", V12, DefaultLimits, "SEND\nk:v\n\n", 0, ""},
		{"EOF in body", V12, DefaultLimits, "SEND\n\nabc", 0, ""},
		{"EOF in counted body", V12, DefaultLimits, "SEND\ncontent-length:5\n\nab", 0, ""},
		{"EOF in large counted body", V12, Limits{}, "SEND\ncontent-length:1000000\n\nab", 0, ""},
		{"EOF before NUL of counted body", V12, DefaultLimits, "SEND\ncontent-length:2\n\nab", 0, ""},
		{"EOF in second frame", V12, DefaultLimits, "ACK\n\n\x00\nACK\n", 1, ""},
	}
	for _, tt := range tests {
		for _, src := range sources {
			t.Run(tt.name+"/"+src.name, func(t *testing.T) {
				r := src.open(tt.in, tt.lim)
				r.SetVersion(tt.ver)
				got, err := readAll(r)
				if len(got) != tt.frames {
					t.Fatalf("read %d frames before the error, want %d", len(got), tt.frames)
				}
				checkErr := func(err error) {
					t.Helper()
					if tt.wantMsg == "" {
						if err != io.ErrUnexpectedEOF {
							t.Fatalf("error = %v, want io.ErrUnexpectedEOF", err)
						}
						return
					}
					var pe *ProtocolError
					if !errors.As(err, &pe) {
						t.Fatalf("error = %v (%T), want *ProtocolError", err, err)
					}
					if pe.Msg != tt.wantMsg {
						t.Fatalf("Msg = %q, want %q", pe.Msg, tt.wantMsg)
					}
					if err.Error() != "stomp: "+tt.wantMsg {
						t.Fatalf("Error() = %q", err.Error())
					}
				}
				checkErr(err)
				// Inside a frame the stream is lost for good.
				_, err = r.ReadFrame()
				checkErr(err)
			})
		}
	}
}

// TestProtocolErrorReceipt: an error found once a frame's receipt header
// has been read carries its value, so the ERROR can say which frame failed;
// never the receipt of an earlier, good frame.
func TestProtocolErrorReceipt(t *testing.T) {
	small := Limits{MaxHeaderLine: 64, MaxHeaders: 3, MaxBody: 5}
	tests := []struct {
		name, in, want string
	}{
		{"body longer than content-length", "SEND\nreceipt:L5\ncontent-length:2\n\nabc\x00", "L5"},
		{"content-length over the limit", "SEND\nreceipt:L6\ncontent-length:6\n\n123456\x00", "L6"},
		{"body over the limit", "SEND\nreceipt:L7\n\n123456\x00", "L7"},
		{"escaped receipt", "SEND\nreceipt:a\\cb\n\n123456\x00", "a:b"},
		{"too many headers after receipt", "SEND\nreceipt:L8\na:1\nb:2\nc:3\n\n\x00", "L8"},
		{"bad escape before receipt", "SEND\nk:\\q\nreceipt:L9\n\n\x00", ""},
		{"no receipt", "SEND\n\n123456\x00", ""},
		{"earlier frame's receipt", "SEND\nreceipt:ok\n\nx\x00SEND\n\n123456\x00", ""},
		{"bad command after a receipt", "SEND\nreceipt:ok\n\nx\x00S-ND\n\n\x00", ""},
	}
	for _, tt := range tests {
		for _, src := range sources {
			t.Run(tt.name+"/"+src.name, func(t *testing.T) {
				r := src.open(tt.in, small)
				r.SetVersion(V12)
				_, err := readAll(r)
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("error = %v, want *ProtocolError", err)
				}
				if pe.Receipt != tt.want {
					t.Fatalf("Receipt = %q, want %q (%s)", pe.Receipt, tt.want, pe.Msg)
				}
			})
		}
	}
}

// TestReadFrameLimitBoundaries checks that the limits are inclusive: a value
// exactly at the limit passes, one more fails.
func TestReadFrameLimitBoundaries(t *testing.T) {
	lim := Limits{MaxHeaderLine: 10, MaxHeaders: 2, MaxBody: 5}
	ok := []string{
		"SEND\nk:12345678\n\n\x00",   // header line of 10
		"SEND\nk:12345678\r\n\n\x00", // CR does not count
		"SUBSCRIBE\n\n\x00",          // command line of 9
		"DISCONNECT\n\n\x00",         // command line of 10
		"SEND\na:1\nb:2\n\n\x00",     // 2 headers
		"SEND\n\n12345\x00",          // body of 5
	}
	for _, in := range append(ok, "SEND\ncontent-length:5\n\n12345\x00") { // declared body of 5
		for _, src := range sources {
			lim := lim
			if strings.Contains(in, "content-length") {
				lim.MaxHeaderLine = 0
			}
			r := src.open(in, lim)
			if _, err := r.ReadFrame(); err != nil {
				t.Errorf("%s: %q: %v", src.name, in, err)
			}
		}
	}
	unlimited := "SEND\n" + strings.Repeat("k:v\n", 1000) + "x:" + strings.Repeat("y", 100000) + "\n\n" + strings.Repeat("b", 100000) + "\x00"
	for _, src := range sources {
		r := src.open(unlimited, Limits{})
		f, err := r.ReadFrame()
		if err != nil || len(f.Headers) != 1001 || len(f.Body) != 100000 {
			t.Errorf("%s: unlimited reader failed: %v", src.name, err)
		}
	}
}

func TestReadFrameTimeout(t *testing.T) {
	// A timeout while waiting between frames (how the broker notices missing
	// heart-beats) leaves the Reader usable.
	data := "SEND\n\na\x00\nSEND\n\nb\x00"
	r := NewReader(iotest.TimeoutReader(strings.NewReader(data)), DefaultLimits)
	for _, want := range []string{"a", "b"} {
		f, err := r.ReadFrame()
		if err != nil || string(f.Body) != want {
			t.Fatalf("ReadFrame = %v, %v; want body %q", f, err, want)
		}
	}
	if _, err := r.ReadFrame(); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("ReadFrame = %v, want timeout", err)
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("ReadFrame after timeout between frames = %v, want io.EOF", err)
	}

	// Inside a frame a timeout loses bytes, so it sticks.
	r = NewReader(iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(data))), DefaultLimits)
	for range 2 {
		if _, err := r.ReadFrame(); !errors.Is(err, iotest.ErrTimeout) {
			t.Fatalf("ReadFrame = %v, want sticky timeout", err)
		}
	}
}

func TestReadFrameUnderlyingError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("SEND\nk:v\n\n\x00\n\nSEND\n"), iotest.ErrReader(boom)), DefaultLimits)
	if f, err := r.ReadFrame(); err != nil || f.Get("k") != "v" {
		t.Fatalf("first frame: %v, %v", f, err)
	}
	for range 2 {
		if _, err := r.ReadFrame(); err != boom {
			t.Fatalf("ReadFrame = %v, want the reader's own error", err)
		}
	}

	r = NewReader(iotest.ErrReader(boom), DefaultLimits)
	if _, err := r.ReadFrame(); err != boom {
		t.Fatalf("ReadFrame = %v, want the reader's own error", err)
	}
}

func TestReadFrameVersionSwitch(t *testing.T) {
	// The broker reads CONNECT at 1.0 and switches once it has answered.
	in := "CONNECT\naccept-version:1.2\nk:a\\b\n\n\x00SEND\nk:a\\cb\n\n\x00"
	r := NewReader(strings.NewReader(in), DefaultLimits)
	f, err := r.ReadFrame()
	if err != nil || f.Get("k") != `a\b` {
		t.Fatalf("CONNECT: %v, %v", f, err)
	}
	r.SetVersion(V12)
	f, err = r.ReadFrame()
	if err != nil || f.Get("k") != "a:b" {
		t.Fatalf("SEND: %v, %v", f, err)
	}
}

func TestReadFrameDoesNotAlias(t *testing.T) {
	// Returned frames must not point into the Reader's buffers, which the
	// next ReadFrame overwrites.
	in := "SEND\nk:one\n\nbody1\x00SEND\nk:two\n\nbody2\x00"
	r := NewReader(bytes.NewReader([]byte(in)), DefaultLimits)
	f1, _ := r.ReadFrame()
	f2, _ := r.ReadFrame()
	if f1.Get("k") != "one" || string(f1.Body) != "body1" || f2.Get("k") != "two" || string(f2.Body) != "body2" {
		t.Fatalf("frames alias: %v %q / %v %q", f1, f1.Body, f2, f2.Body)
	}
}

// TestReadFrameAllocations: a frame whose body is already buffered costs
// two allocations, the frame (headers inline) and one for its header text
// and body together; with the body's NUL still to come, three.
func TestReadFrameAllocations(t *testing.T) {
	body := strings.Repeat("x", 1000)
	for _, c := range []struct {
		name  string
		frame string
		want  float64
	}{
		{"content-length", "SEND\ndestination:/queue/a\nbench-ts:1\ncontent-length:1000\n\n" + body + "\x00", 2},
		{"up to NUL", "SEND\ndestination:/queue/a\nbench-ts:1\n\n" + body + "\x00", 2},
		{"no body", "SUBSCRIBE\ndestination:/queue/a\nid:1\n\n\x00", 2},
	} {
		r := NewReader(strings.NewReader(strings.Repeat(c.frame, 200)), DefaultLimits)
		var f *Frame
		got := testing.AllocsPerRun(100, func() {
			var err error
			if f, err = r.ReadFrame(); err != nil {
				t.Fatal(err)
			}
		})
		if got > c.want {
			t.Errorf("%s: %.1f allocations per frame, want %.0f", c.name, got, c.want)
		}
		if f.Get("destination") != "/queue/a" || (c.name != "no body" && string(f.Body) != body) {
			t.Errorf("%s: read %v", c.name, f)
		}
	}
}

// TestReadFrameBodyBeyondHeadersIsItsOwn: appending to a body read beside
// its headers must not write over them.
func TestReadFrameBodyBeyondHeadersIsItsOwn(t *testing.T) {
	r := NewReader(strings.NewReader("SEND\ndestination:/queue/a\ncontent-length:3\n\nabc\x00SEND\ndestination:/queue/b\n\nxyz\x00"), DefaultLimits)
	for _, want := range []string{"/queue/a", "/queue/b"} {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if cap(f.Body) != len(f.Body) {
			t.Fatalf("body has capacity %d beyond its %d bytes", cap(f.Body), len(f.Body))
		}
		_ = append(f.Body, "more"...)
		if f.Get("destination") != want {
			t.Fatalf("destination %q, want %q", f.Get("destination"), want)
		}
	}
}

// Recycle lets the next frame be read into the last one's allocation,
// and only that: the earlier frame's header strings and body stay as
// they were, and a frame that is not the last one read is ignored.
func TestRecycle(t *testing.T) {
	r := NewReader(strings.NewReader("SEND\ndestination:/queue/a\nk:1\n\none\x00SEND\ndestination:/queue/b\n\ntwo\x00SEND\ndestination:/queue/c\n\nthree\x00"), DefaultLimits)
	r.SetVersion(V12)
	first, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	dest, k, body := first.Get("destination"), first.Get("k"), first.Body
	r.Recycle(first)
	second, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Errorf("the recycled frame was not reused")
	}
	if dest != "/queue/a" || k != "1" || string(body) != "one" {
		t.Errorf("the first frame's text changed under its holder: %q %q %q", dest, k, body)
	}
	if len(second.Headers) != 1 || second.Get("destination") != "/queue/b" || string(second.Body) != "two" {
		t.Errorf("second frame: %v", second)
	}
	r.Recycle(first) // the same pointer, but now the second frame: fine
	r.Recycle(&Frame{})
	third, err := r.ReadFrame()
	if err != nil || third != second || third.Get("destination") != "/queue/c" {
		t.Fatalf("third frame: %v, %v", third, err)
	}
	r.Recycle(&Frame{}) // not the last frame: ignored
	fresh, err := r.ReadFrame()
	if err != io.EOF || fresh != nil {
		t.Fatalf("after the last frame: %v, %v", fresh, err)
	}
}
