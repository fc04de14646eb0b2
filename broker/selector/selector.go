package selector

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits enforced by Parse. Both are reported as a *SyntaxError.
const (
	// MaxLength is the longest selector, in bytes, that Parse accepts.
	MaxLength = 4096
	// MaxDepth is the deepest nesting of parentheses, NOT and unary signs
	// that Parse accepts.
	MaxDepth = 64
)

// Selector is a parsed message selector. It is immutable and safe for
// concurrent use. A nil *Selector, like the one parsed from an empty
// selector, matches every message.
type Selector struct {
	root node // nil: no selector, matches everything
}

// SyntaxError reports a selector that Parse rejects: bad syntax, a
// type error the parser can see (such as 5 AND x), or a limit exceeded.
type SyntaxError struct {
	Pos int    // 0-based byte offset in the selector of the offending token
	Msg string // what was wrong, and what was expected instead

	input string // the selector, for Error
}

// Error reports the column as Pos+1 (columns count from 1) and quotes the
// selector, or the part of it around Pos when it is long.
func (e *SyntaxError) Error() string {
	s := "selector: at column " + strconv.Itoa(e.Pos+1) + ": " + e.Msg
	if e.input != "" {
		s += " (in " + excerpt(e.input, e.Pos) + ")"
	}
	return s
}

// excerpt quotes src, or a window of it around pos when src is long.
func excerpt(src string, pos int) string {
	const window = 32
	if len(src) <= 2*window {
		return strconv.Quote(src)
	}
	lo, hi := pos-window, pos+window
	pre, post := "...", "..."
	if lo <= 0 {
		lo, pre = 0, ""
	}
	if hi >= len(src) {
		hi, post = len(src), ""
	}
	if lo > hi { // pos past the end
		lo = hi
	}
	return strconv.Quote(pre + src[lo:hi] + post)
}

func errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses a JMS 1.1 message selector (see the package documentation
// for the grammar). An empty or blank selector is no selector: the result
// matches every message, as JMS specifies. Errors are *SyntaxError.
func Parse(s string) (*Selector, error) {
	if len(s) > MaxLength {
		return nil, &SyntaxError{
			Pos:   MaxLength,
			Msg:   fmt.Sprintf("selector is too long: %d bytes (limit %d)", len(s), MaxLength),
			input: s,
		}
	}
	root, err := parse(s)
	if err != nil {
		err.input = s
		return nil, err
	}
	return &Selector{root: root}, nil
}

// Match reports whether the message whose headers get returns is selected:
// whether the selector evaluates to TRUE (FALSE and UNKNOWN do not match).
// get returns a header's value and whether the message has that header; it
// may be called several times for one name. A nil get means no headers.
func (s *Selector) Match(get func(name string) (string, bool)) bool {
	if s == nil || s.root == nil {
		return true
	}
	if get == nil {
		get = noHeaders
	}
	return truth(s.root.eval(get)) == isTrue
}

func noHeaders(string) (string, bool) { return "", false }

// String returns the selector in canonical form: keywords in upper case,
// single spaces, only the parentheses that precedence needs, numbers in
// decimal. Parsing it again gives a selector that matches the same
// messages. A nil or empty selector's String is "".
func (s *Selector) String() string {
	if s == nil || s.root == nil {
		return ""
	}
	var b strings.Builder
	s.root.format(&b)
	return b.String()
}
