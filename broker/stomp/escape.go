package stomp

import (
	"bufio"
	"bytes"
)

// escaping is the header escaping scheme in force for one frame.
type escaping uint8

const (
	escNone escaping = iota // 1.0, and CONNECT/STOMP/CONNECTED in every version
	esc11                   // \n \c \\
	esc12                   // \r \n \c \\
)

// escapingFor maps a version to its scheme. Anything that is not 1.1 or 1.2
// is treated as 1.0: that is the version a peer gets when it negotiates
// nothing, and the scheme that changes the bytes least.
func escapingFor(v Version) escaping {
	switch v {
	case V11:
		return esc11
	case V12:
		return esc12
	}
	return escNone
}

// frameEscaping returns the scheme for a frame with the given command. The
// connection frames travel before the version is agreed, so the
// specification exempts them from escaping in every version.
func frameEscaping(e escaping, command string) escaping {
	switch command {
	case CONNECT, STOMP, CONNECTED:
		return escNone
	}
	return e
}

func (e escaping) String() string {
	switch e {
	case esc11:
		return "1.1"
	case esc12:
		return "1.2"
	}
	return "1.0"
}

// appendUnescaped appends src to dst with the escape sequences of e decoded.
// Any backslash not starting a sequence defined for e is an error: the
// specification makes undefined sequences fatal so that peers never disagree
// on what a header says.
func appendUnescaped(dst, src []byte, e escaping) ([]byte, error) {
	if e == escNone {
		return append(dst, src...), nil
	}
	for {
		i := bytes.IndexByte(src, '\\')
		if i < 0 {
			return append(dst, src...), nil
		}
		dst = append(dst, src[:i]...)
		if i+1 == len(src) {
			return dst, protoErrorf("header ends with a lone backslash (STOMP %s)", e)
		}
		switch c := src[i+1]; c {
		case 'n':
			dst = append(dst, '\n')
		case 'c':
			dst = append(dst, ':')
		case '\\':
			dst = append(dst, '\\')
		case 'r':
			if e != esc12 {
				return dst, protoErrorf(`undefined escape sequence "\r" in header (STOMP %s)`, e)
			}
			dst = append(dst, '\r')
		default:
			if c > ' ' && c < 0x7f {
				return dst, protoErrorf(`undefined escape sequence "\%c" in header (STOMP %s)`, c, e)
			}
			return dst, protoErrorf("undefined escape sequence: backslash followed by byte 0x%02x in header (STOMP %s)", c, e)
		}
		src = src[i+2:]
	}
}

// special marks the bytes that 1.1 and 1.2 escape in header values.
var special = [256]bool{'\\': true, '\n': true, ':': true, '\r': true}

// writeEscaped writes s to w with the escaping of e. It writes runs of plain
// bytes with WriteString so that the common case, a header with nothing to
// escape, costs one copy and no allocation.
func writeEscaped(w *bufio.Writer, s string, e escaping) {
	if e == escNone {
		w.WriteString(s)
		return
	}
	start := 0
	for i := 0; i < len(s); i++ {
		if !special[s[i]] {
			continue // nearly every byte: one table load instead of four compares
		}
		var seq string
		switch s[i] {
		case '\\':
			seq = `\\`
		case '\n':
			seq = `\n`
		case ':':
			seq = `\c`
		case '\r':
			if e != esc12 {
				continue
			}
			seq = `\r`
		}
		w.WriteString(s[start:i])
		w.WriteString(seq)
		start = i + 1
	}
	w.WriteString(s[start:])
}
