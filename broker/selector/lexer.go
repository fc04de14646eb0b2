package selector

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokInt   // exact numeric literal; text is the digits (0x.. or 0.. kept), no L suffix
	tokFloat // approximate numeric literal
	tokLParen
	tokRParen
	tokComma
	tokEq
	tokNe
	tokLt
	tokLe
	tokGt
	tokGe
	tokPlus
	tokMinus
	tokStar
	tokSlash
	// keywords, case-insensitive
	tokAnd
	tokOr
	tokNot
	tokBetween
	tokLike
	tokEscape
	tokIn
	tokIs
	tokNull
	tokTrue
	tokFalse
)

var keywords = map[string]tokKind{
	"AND":     tokAnd,
	"OR":      tokOr,
	"NOT":     tokNot,
	"BETWEEN": tokBetween,
	"LIKE":    tokLike,
	"ESCAPE":  tokEscape,
	"IN":      tokIn,
	"IS":      tokIs,
	"NULL":    tokNull,
	"TRUE":    tokTrue,
	"FALSE":   tokFalse,
}

var punct = [...]string{
	tokLParen: "'('", tokRParen: "')'", tokComma: "','",
	tokEq: "'='", tokNe: "'<>'", tokLt: "'<'", tokLe: "'<='", tokGt: "'>'", tokGe: "'>='",
	tokPlus: "'+'", tokMinus: "'-'", tokStar: "'*'", tokSlash: "'/'",
}

type token struct {
	kind tokKind
	pos  int    // byte offset of the token's first byte
	text string // identifier or number as written; string literal decoded
}

// String describes the token for error messages.
func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokIdent:
		return "identifier " + t.text
	case tokString:
		return "string " + quote(t.text)
	case tokInt, tokFloat:
		return "number " + t.text
	}
	if t.kind >= tokAnd {
		return "keyword " + strings.ToUpper(t.text)
	}
	return punct[t.kind]
}

// quote writes s as a selector string literal.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// isIdentStart reports whether r may begin an identifier: a Java identifier
// start character (letter, '_' or '$').
func isIdentStart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r)
}

// isIdentPart reports whether r may continue an identifier. '-' and '.'
// are handled separately: STOMP header names use them.
func isIdentPart(r rune) bool {
	return isIdentStart(r) || unicode.IsDigit(r)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// lex splits src into tokens, ending with tokEOF.
func lex(src string) ([]token, *SyntaxError) {
	var toks []token
	i := 0
	for {
		for i < len(src) && strings.IndexByte(" \t\r\n\f", src[i]) >= 0 {
			i++
		}
		if i == len(src) {
			return append(toks, token{kind: tokEOF, pos: i}), nil
		}
		start := i
		c := src[i]
		switch {
		case c == '\'':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, pos: start, text: s})
			i = n
			continue
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			t, n, err := lexNumber(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		}
		if r, w := utf8.DecodeRuneInString(src[i:]); isIdentStart(r) {
			i = lexIdent(src, i+w)
			t := token{kind: tokIdent, pos: start, text: src[start:i]}
			if k, ok := keywords[strings.ToUpper(t.text)]; ok {
				t.kind = k
			}
			toks = append(toks, t)
			continue
		}
		kind := tokEOF
		i++
		switch c {
		case '(':
			kind = tokLParen
		case ')':
			kind = tokRParen
		case ',':
			kind = tokComma
		case '=':
			kind = tokEq
		case '+':
			kind = tokPlus
		case '-':
			kind = tokMinus
		case '*':
			kind = tokStar
		case '/':
			kind = tokSlash
		case '<':
			kind = tokLt
			if i < len(src) && src[i] == '=' {
				kind, i = tokLe, i+1
			} else if i < len(src) && src[i] == '>' {
				kind, i = tokNe, i+1
			}
		case '>':
			kind = tokGt
			if i < len(src) && src[i] == '=' {
				kind, i = tokGe, i+1
			}
		case '!':
			return nil, errorf(start, "unexpected character '!' (use <> for not-equal and NOT for negation)")
		case '"':
			return nil, errorf(start, "unexpected character '\"' (string literals use single quotes)")
		default:
			r, _ := utf8.DecodeRuneInString(src[start:])
			return nil, errorf(start, "unexpected character %q", r)
		}
		toks = append(toks, token{kind: kind, pos: start, text: src[start:i]})
	}
}

// lexIdent returns the end of the identifier whose first character ends at
// i. A '-' or '.' belongs to the identifier only when an identifier
// character follows it, so "x-region" and "order.total" are single
// identifiers while "a - 1" and "a -1" are subtractions.
func lexIdent(src string, i int) int {
	for i < len(src) {
		j := i
		if src[j] == '-' || src[j] == '.' {
			j++
		}
		r, w := utf8.DecodeRuneInString(src[j:])
		if !isIdentPart(r) {
			break
		}
		i = j + w
	}
	return i
}

// lexString reads the string literal that starts with the quote at src[i].
// It returns the decoded value and the offset after the closing quote.
func lexString(src string, i int) (string, int, *SyntaxError) {
	start := i
	i++
	var b strings.Builder
	for {
		j := strings.IndexByte(src[i:], '\'')
		if j < 0 {
			return "", 0, errorf(start, "unterminated string literal (a quote inside a string is written '')")
		}
		b.WriteString(src[i : i+j])
		i += j + 1
		if i < len(src) && src[i] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i, nil
	}
}

// lexNumber reads a numeric literal: decimal, octal (leading 0) or hex
// (0x) integers with an optional L suffix, as Java and ActiveMQ accept
// them, or a decimal floating-point number (1.5, 7., .5, 2e3, -57.9E2
// without its sign). The sign is an operator; the parser folds it.
func lexNumber(src string, i int) (token, int, *SyntaxError) {
	start := i
	bad := func(why string) (token, int, *SyntaxError) {
		return token{}, 0, errorf(start, "malformed number %s: %s", numberText(src, start), why)
	}
	if src[i] == '0' && i+1 < len(src) && (src[i+1] == 'x' || src[i+1] == 'X') {
		i += 2
		for i < len(src) && isHex(src[i]) {
			i++
		}
		if i == start+2 {
			return bad("expected hex digits after 0x")
		}
		text := src[start:i]
		if i < len(src) && (src[i] == 'l' || src[i] == 'L') {
			i++
		}
		if followsNumber(src, i) {
			return bad("unexpected character after number")
		}
		return token{kind: tokInt, pos: start, text: text}, i, nil
	}
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	kind := tokInt
	if i < len(src) && src[i] == '.' {
		kind = tokFloat
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		kind = tokFloat
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		d := i
		for i < len(src) && isDigit(src[i]) {
			i++
		}
		if i == d {
			return bad("expected digits in exponent")
		}
	}
	text := src[start:i]
	if kind == tokInt {
		if len(text) > 1 && text[0] == '0' && strings.Trim(text, "01234567") != "" {
			return bad("octal literal with digits 8 or 9")
		}
		if i < len(src) && (src[i] == 'l' || src[i] == 'L') {
			i++
		}
	}
	if followsNumber(src, i) {
		return bad("unexpected character after number")
	}
	return token{kind: kind, pos: start, text: text}, i, nil
}

// followsNumber reports whether src[i:] starts with something that may not
// directly follow a number: a letter, digit, '_', '$', '.' or a quote.
func followsNumber(src string, i int) bool {
	if i >= len(src) {
		return false
	}
	if src[i] == '.' || src[i] == '\'' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	return isIdentPart(r)
}

// numberText returns the number-like run starting at src[start] for an
// error message.
func numberText(src string, start int) string {
	i := start
	for i < len(src) && i-start < 32 {
		r, w := utf8.DecodeRuneInString(src[i:])
		if !isIdentPart(r) && r != '.' && r != '+' && r != '-' {
			break
		}
		if (r == '+' || r == '-') && !(i > start && (src[i-1] == 'e' || src[i-1] == 'E')) {
			break
		}
		i += w
	}
	return strconv.Quote(src[start:i])
}
