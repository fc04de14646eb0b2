package stomp

import (
	"bytes"
	"errors"
	"testing"
)

func TestEscapingFor(t *testing.T) {
	tests := []struct {
		v    Version
		cmd  string
		want escaping
	}{
		{V10, SEND, escNone},
		{V11, SEND, esc11},
		{V12, SEND, esc12},
		{"", SEND, escNone},
		{"2.0", MESSAGE, escNone},
		{V11, CONNECT, escNone},
		{V12, CONNECT, escNone},
		{V12, STOMP, escNone},
		{V12, CONNECTED, escNone},
		{V12, ERROR, esc12},
		{V12, "FOO", esc12},
	}
	for _, tt := range tests {
		if got := frameEscaping(escapingFor(tt.v), tt.cmd); got != tt.want {
			t.Errorf("escaping(%q, %s) = %v, want %v", tt.v, tt.cmd, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		esc     escaping
		in      string
		want    string
		wantErr string
	}{
		{escNone, `a\b\c\n\r\\:`, `a\b\c\n\r\\:`, ""},
		{esc11, `plain`, `plain`, ""},
		{esc11, `a\nb\cc\\d`, "a\nb:c\\d", ""},
		{esc11, `\\n`, `\n`, ""},
		{esc11, `\r`, "", `undefined escape sequence "\r" in header (STOMP 1.1)`},
		{esc11, `\t`, "", `undefined escape sequence "\t" in header (STOMP 1.1)`},
		{esc11, `abc\`, "", `header ends with a lone backslash (STOMP 1.1)`},
		{esc11, "\\\x00", "", `undefined escape sequence: backslash followed by byte 0x00 in header (STOMP 1.1)`},
		{esc12, `a\r\n\c\\`, "a\r\n:\\", ""},
		{esc12, `\C`, "", `undefined escape sequence "\C" in header (STOMP 1.2)`},
		{esc12, `\`, "", `header ends with a lone backslash (STOMP 1.2)`},
		{esc12, "\\\r", "", `undefined escape sequence: backslash followed by byte 0x0d in header (STOMP 1.2)`},
	}
	for _, tt := range tests {
		got, err := appendUnescaped([]byte("prefix"), []byte(tt.in), tt.esc)
		if tt.wantErr != "" {
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Msg != tt.wantErr {
				t.Errorf("unescape(%v, %q) error = %v, want ProtocolError %q", tt.esc, tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(got) != "prefix"+tt.want {
			t.Errorf("unescape(%v, %q) = %q, %v; want %q", tt.esc, tt.in, got, err, "prefix"+tt.want)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		esc  escaping
		in   string
		want string
	}{
		{escNone, "a:b\n\r\\", "a:b\n\r\\"},
		{esc11, "plain", "plain"},
		{esc11, "a:b\nc\\d\re", `a\cb\nc\\d` + "\re"},
		{esc12, "a:b\nc\\d\re", `a\cb\nc\\d\re`},
		{esc12, ":", `\c`},
		{esc12, "", ""},
	}
	for _, tt := range tests {
		got := appendEscaped([]byte("prefix"), tt.in, tt.esc)
		if string(got) != "prefix"+tt.want {
			t.Errorf("escape(%v, %q) = %q, want %q", tt.esc, tt.in, got, "prefix"+tt.want)
		}
		back, err := appendUnescaped(nil, got[len("prefix"):], tt.esc)
		if err != nil || string(back) != tt.in {
			t.Errorf("unescape(escape(%v, %q)) = %q, %v", tt.esc, tt.in, back, err)
		}
	}
}

// TestNeedsEscape checks the word-at-a-time scan against the byte-wise
// definition: every special byte at every offset of strings of every
// length up to three words, among neighbours one bit away from it.
func TestNeedsEscape(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for at := 0; at < n; at++ {
			for _, c := range []byte{'\\', '\n', ':', '\r', '\\' ^ 1, '\n' ^ 1, ':' ^ 1, '\r' ^ 1, 0, 0x80, 0xff, 'a'} {
				b := bytes.Repeat([]byte{'a'}, n)
				b[at] = c
				want := c == '\\' || c == '\n' || c == ':' || c == '\r'
				if got := needsEscape(string(b)); got != want {
					t.Fatalf("needsEscape(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	if needsEscape("") {
		t.Fatal(`needsEscape("") = true`)
	}
}
