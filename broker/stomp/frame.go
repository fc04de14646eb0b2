package stomp

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// Commands defined by the specification. The Reader returns these constants
// (not fresh strings) for known commands, so comparing with == is cheap.
const (
	CONNECT     = "CONNECT"
	STOMP       = "STOMP"
	CONNECTED   = "CONNECTED"
	SEND        = "SEND"
	SUBSCRIBE   = "SUBSCRIBE"
	UNSUBSCRIBE = "UNSUBSCRIBE"
	ACK         = "ACK"
	NACK        = "NACK"
	BEGIN       = "BEGIN"
	COMMIT      = "COMMIT"
	ABORT       = "ABORT"
	DISCONNECT  = "DISCONNECT"
	MESSAGE     = "MESSAGE"
	RECEIPT     = "RECEIPT"
	ERROR       = "ERROR"
)

// Version is a STOMP protocol version as it appears in the accept-version
// and version headers.
type Version string

const (
	V10 Version = "1.0"
	V11 Version = "1.1"
	V12 Version = "1.2"
)

// Header is one header entry. Frames keep headers as an ordered slice, not a
// map, because STOMP allows repeated headers (the first one wins) and the
// order must survive forwarding.
type Header struct {
	Key, Value string
}

// Frame is one STOMP frame. Header keys and values are held unescaped; the
// Reader and Writer apply the escaping of the negotiated version.
type Frame struct {
	Command string
	Headers []Header
	Body    []byte
}

// New builds a frame from alternating keys and values. A trailing key
// without a value gets the empty value rather than a panic, because frames
// are often built from computed data inside the broker.
func New(command string, kv ...string) *Frame {
	f := &Frame{Command: command}
	if len(kv) > 0 {
		f.Headers = make([]Header, 0, (len(kv)+1)/2)
		for i := 0; i < len(kv); i += 2 {
			h := Header{Key: kv[i]}
			if i+1 < len(kv) {
				h.Value = kv[i+1]
			}
			f.Headers = append(f.Headers, h)
		}
	}
	return f
}

// Get returns the value of the first header named key, or "" if there is
// none. The specification says that of repeated headers only the first is
// meaningful.
func (f *Frame) Get(key string) string {
	v, _ := f.Lookup(key)
	return v
}

// Lookup is Get that also reports whether the header is present, for headers
// whose empty value means something different from their absence.
func (f *Frame) Lookup(key string) (string, bool) {
	for _, h := range f.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return "", false
}

// Set gives key the value, keeping the header's position if it exists and
// dropping any repetitions, so that Get returns value afterwards however the
// frame was built.
func (f *Frame) Set(key, value string) {
	i := slices.IndexFunc(f.Headers, func(h Header) bool { return h.Key == key })
	if i < 0 {
		f.Headers = append(f.Headers, Header{Key: key, Value: value})
		return
	}
	f.Headers[i].Value = value
	f.Headers = append(f.Headers[:i+1], deleteKey(f.Headers[i+1:], key)...)
}

// Add appends a header even if key is already present; a repetition is
// ignored by Get, which is what forwarding brokers rely on to let the
// original value win.
func (f *Frame) Add(key, value string) {
	f.Headers = append(f.Headers, Header{Key: key, Value: value})
}

// Del removes every header named key.
func (f *Frame) Del(key string) {
	f.Headers = deleteKey(f.Headers, key)
}

func deleteKey(hs []Header, key string) []Header {
	return slices.DeleteFunc(hs, func(h Header) bool { return h.Key == key })
}

// Clone returns a deep copy, so that one frame can be fanned out to several
// subscribers and each copy edited (message-id, subscription) on its own.
func (f *Frame) Clone() *Frame {
	if f == nil {
		return nil
	}
	return &Frame{
		Command: f.Command,
		Headers: slices.Clone(f.Headers),
		Body:    bytes.Clone(f.Body),
	}
}

// maxLogValue bounds each header value in String so that one hostile header
// cannot flood a log line.
const maxLogValue = 64

// String renders the frame on one line for logs: the command, the headers
// and only the length of the body (bodies can be large and binary). The
// value of any passcode header is masked, whatever its case, so credentials
// never reach logs.
func (f *Frame) String() string {
	if f == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString(logString(f.Command))
	b.WriteString(" [")
	for i, h := range f.Headers {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(logString(h.Key))
		b.WriteByte(':')
		if strings.EqualFold(h.Key, "passcode") {
			b.WriteString("***")
			continue
		}
		v := h.Value
		if len(v) > maxLogValue {
			v = v[:maxLogValue] + "..."
		}
		b.WriteString(logString(v))
	}
	b.WriteString("] body=")
	b.WriteString(strconv.Itoa(len(f.Body)))
	b.WriteString("B")
	return b.String()
}

// logString quotes s only when it contains something that would break the
// single-line, space-separated log form.
func logString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == ']' || c == '"' || c >= 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}
