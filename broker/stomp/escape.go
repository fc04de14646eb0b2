package stomp

import "bytes"

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

// appendEscaped appends s to dst with the escaping of e. Header values
// almost never hold a byte to escape, so a word-at-a-time scan decides
// first and the common case is one copy.
func appendEscaped(dst []byte, s string, e escaping) []byte {
	if e == escNone || !needsEscape(s) {
		return append(dst, s...)
	}
	// Runs between escapes are copied whole: message ids ("ID:…") carry a
	// colon, so every MESSAGE frame comes this way once.
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '\n':
			esc = 'n'
		case ':':
			esc = 'c'
		case '\r':
			if e == esc12 {
				esc = 'r'
			}
		}
		if esc != 0 {
			dst = append(append(dst, s[start:i]...), '\\', esc)
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// needsEscape reports whether s holds a byte that 1.1 or 1.2 escapes
// (\\, LF, ':', CR), eight bytes at a time: a word has a byte equal to c
// exactly when x^c·ones has a zero byte.
func needsEscape(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if hasZeroByte(x^('\\'*ones)) || hasZeroByte(x^('\n'*ones)) || hasZeroByte(x^(':'*ones)) || hasZeroByte(x^('\r'*ones)) {
			return true
		}
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\', '\n', ':', '\r':
			return true
		}
	}
	return false
}

func hasZeroByte(x uint64) bool { return (x-ones)&^x&highs != 0 }
