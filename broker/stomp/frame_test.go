package stomp

import (
	"reflect"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		want []Header
	}{
		{"none", nil, nil},
		{"pairs", []string{"a", "1", "b", "2"}, []Header{{"a", "1"}, {"b", "2"}}},
		{"odd count gives empty value", []string{"a", "1", "b"}, []Header{{"a", "1"}, {"b", ""}}},
		{"repeats kept", []string{"a", "1", "a", "2"}, []Header{{"a", "1"}, {"a", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(SEND, tt.kv...)
			if f.Command != SEND || !reflect.DeepEqual(f.Headers, tt.want) || f.Body != nil {
				t.Fatalf("New = %#v, want headers %#v", f, tt.want)
			}
		})
	}
}

func TestHeaderAccessors(t *testing.T) {
	f := New(SEND, "k", "1", "x", "", "k", "2")
	if got := f.Get("k"); got != "1" {
		t.Errorf("Get(k) = %q, want first occurrence %q", got, "1")
	}
	if v, ok := f.Lookup("x"); !ok || v != "" {
		t.Errorf("Lookup(x) = %q, %v; want \"\", true", v, ok)
	}
	if v, ok := f.Lookup("missing"); ok || v != "" {
		t.Errorf("Lookup(missing) = %q, %v; want \"\", false", v, ok)
	}
	if got := f.Get("missing"); got != "" {
		t.Errorf("Get(missing) = %q", got)
	}
}

func TestSetAddDel(t *testing.T) {
	tests := []struct {
		name string
		op   func(f *Frame)
		want []Header
	}{
		{"set replaces first in place and drops repeats",
			func(f *Frame) { f.Set("k", "new") },
			[]Header{{"a", "1"}, {"k", "new"}, {"b", "2"}}},
		{"set appends when absent",
			func(f *Frame) { f.Set("z", "9") },
			[]Header{{"a", "1"}, {"k", "x"}, {"b", "2"}, {"k", "y"}, {"z", "9"}}},
		{"add appends even when present",
			func(f *Frame) { f.Add("a", "3") },
			[]Header{{"a", "1"}, {"k", "x"}, {"b", "2"}, {"k", "y"}, {"a", "3"}}},
		{"del removes all",
			func(f *Frame) { f.Del("k") },
			[]Header{{"a", "1"}, {"b", "2"}}},
		{"del absent is a no-op",
			func(f *Frame) { f.Del("nope") },
			[]Header{{"a", "1"}, {"k", "x"}, {"b", "2"}, {"k", "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(SEND, "a", "1", "k", "x", "b", "2", "k", "y")
			tt.op(f)
			if !reflect.DeepEqual(f.Headers, tt.want) {
				t.Fatalf("headers = %v, want %v", f.Headers, tt.want)
			}
		})
	}
	var f Frame
	f.Set("k", "v")
	if f.Get("k") != "v" {
		t.Fatalf("Set on empty frame: %v", f.Headers)
	}
}

func TestClone(t *testing.T) {
	if (*Frame)(nil).Clone() != nil {
		t.Fatal("nil.Clone() != nil")
	}
	orig := New(MESSAGE, "destination", "/q/a", "message-id", "1")
	orig.Body = []byte("hello")
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("clone %v != original %v", c, orig)
	}
	c.Headers[0].Value = "/q/b"
	c.Set("message-id", "2")
	c.Add("subscription", "s")
	c.Body[0] = 'J'
	if orig.Get("destination") != "/q/a" || orig.Get("message-id") != "1" || len(orig.Headers) != 2 || string(orig.Body) != "hello" {
		t.Fatalf("editing the clone changed the original: %v %q", orig, orig.Body)
	}
	empty := (&Frame{Command: ACK}).Clone()
	if empty.Headers != nil || empty.Body != nil {
		t.Fatalf("clone of empty frame grew fields: %#v", empty)
	}
}

func TestString(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name string
		f    *Frame
		want string
	}{
		{"nil", nil, "<nil>"},
		{"plain", &Frame{Command: SEND, Headers: []Header{{"destination", "/queue/a"}}, Body: make([]byte, 1024)},
			"SEND [destination:/queue/a] body=1024B"},
		{"passcode masked", New(CONNECT, "login", "guest", "passcode", "s3cret", "PassCode", "s3cret"),
			"CONNECT [login:guest passcode:*** PassCode:***] body=0B"},
		{"odd characters quoted", New(SEND, "k", "a b\nc"),
			`SEND [k:"a b\nc"] body=0B`},
		{"long value truncated", New(SEND, "k", long),
			"SEND [k:" + strings.Repeat("x", maxLogValue) + "...] body=0B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.f.String()
			if got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Fatalf("String() leaks passcode: %q", got)
			}
		})
	}
}
