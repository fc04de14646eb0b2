package selector

import (
	"errors"
	"hash/fnv"
	"testing"
)

// fuzzHeaders are header sets as functions of the name, so they cover
// whatever identifiers the fuzzer invents.
var fuzzHeaders = []func(string) (string, bool){
	func(string) (string, bool) { return "", false },
	func(string) (string, bool) { return "1", true },
	func(string) (string, bool) { return "abc", true },
	func(string) (string, bool) { return "true", true },
	func(string) (string, bool) { return "", true },
	func(name string) (string, bool) {
		values := []string{"0", "-1", "2.5", "eu", "TRUE", "a%b", "", "1e3", "_"}
		h := fnv.New32a()
		h.Write([]byte(name))
		n := h.Sum32() % uint32(len(values)+1)
		if int(n) == len(values) {
			return "", false
		}
		return values[n], true
	},
}

// FuzzParse checks that Parse never panics, that its errors are
// *SyntaxError with a position inside the input, and that whatever parses
// prints to a selector that parses again, prints the same, and matches
// the same header sets.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"region = 'eu' AND priority > 4",
		"a BETWEEN 1 AND 2",
		"x LIKE '%a_' ESCAPE '!'",
		"NOT (a IN ('x', 'y')) OR b IS NULL",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T, want *SyntaxError", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) || se.Msg == "" {
				t.Fatalf("Parse(%q): bad error %+v", s, se)
			}
			_ = err.Error()
			return
		}
		out := sel.String()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", s, out, err)
		}
		if out2 := again.String(); out2 != out {
			t.Fatalf("String not stable: %q -> %q -> %q", s, out, out2)
		}
		for i, get := range fuzzHeaders {
			if a, b := sel.Match(get), again.Match(get); a != b {
				t.Fatalf("header set %d: %q matches %v but its String %q matches %v", i, s, a, out, b)
			}
		}
	})
}
