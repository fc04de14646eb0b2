package selector

import (
	"strings"
	"unicode/utf8"
)

// likeMatcher is a compiled LIKE pattern: a sequence of literal runs, '_'
// (exactly one character) and '%' (any run of characters, empty too).
type likeMatcher []likeElem

type likeElem struct {
	kind byte   // 'L' literal, '_' one character, '%' any run
	lit  string // for 'L'
}

// compileLike compiles pattern. With an escape character, the escape
// followed by any character (usually %, _ or the escape itself) stands for
// that character; an escape at the end of the pattern is an error, the
// message of which is returned.
func compileLike(pattern, escape string) (likeMatcher, string) {
	var m likeMatcher
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			m = append(m, likeElem{kind: 'L', lit: lit.String()})
			lit.Reset()
		}
	}
	esc, _ := utf8.DecodeRuneInString(escape)
	for i := 0; i < len(pattern); {
		r, w := utf8.DecodeRuneInString(pattern[i:])
		c := pattern[i : i+w]
		i += w
		switch {
		case escape != "" && r == esc && c == escape:
			if i == len(pattern) {
				return nil, "the ESCAPE character ends the pattern, with nothing to escape"
			}
			_, w := utf8.DecodeRuneInString(pattern[i:])
			lit.WriteString(pattern[i : i+w])
			i += w
		case r == '%':
			flush()
			if len(m) == 0 || m[len(m)-1].kind != '%' {
				m = append(m, likeElem{kind: '%'})
			}
		case r == '_':
			flush()
			m = append(m, likeElem{kind: '_'})
		default:
			lit.WriteString(c)
		}
	}
	flush()
	return m, ""
}

// match reports whether the whole of s matches. It backtracks only to the
// last '%', so it runs in O(len(s) * len(pattern)) at worst.
func (m likeMatcher) match(s string) bool {
	ei, si := 0, 0
	starE, starS := -1, 0 // element after the last '%', and where it was tried
	for {
		if ei < len(m) {
			switch e := m[ei]; e.kind {
			case '%':
				ei++
				starE, starS = ei, si
				continue
			case '_':
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ei++
					continue
				}
			default:
				if strings.HasPrefix(s[si:], e.lit) {
					si += len(e.lit)
					ei++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last '%' absorb one more character.
		if starE < 0 || starS >= len(s) {
			return false
		}
		if starE == len(m) { // pattern ends with '%'
			return true
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		ei, si = starE, starS
	}
}
