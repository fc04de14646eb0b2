package faults

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Log-only classes: authentication and authorization failures have no TLS
// class, but a person reading a broker's log for "why does my bridge not
// come up" needs them found as well.
const (
	ClassAuthFailed    tlsconf.Class = "auth-failed"    // wrong user name or password
	ClassNotAuthorized tlsconf.Class = "not-authorized" // logged in, but not allowed on that destination
)

var authPhrases = []struct {
	substr string
	class  tlsconf.Class
}{
	{"or password is invalid", ClassAuthFailed}, // ActiveMQ: User name [x] or password is invalid.
	{"Authentication failed", ClassAuthFailed},
	{"authentication failed", ClassAuthFailed},
	{"SaslAuthenticationException", ClassAuthFailed},
	{"is not authorized to", ClassNotAuthorized}, // ActiveMQ: User x is not authorized to write to: queue://a
	{"Not authorized to access", ClassNotAuthorized},
	{"TopicAuthorizationException", ClassNotAuthorized},
}

// LogFinding is one failure found in a log: a record (a line, with the
// stack trace under it) and what it says.
type LogFinding struct {
	Line    int    // the record's first line, counting from 1
	Excerpt string // the words around the deciding phrase, on one line
	tlsconf.LogMatch
}

// maxRecord bounds one record's text, so that a log with a runaway stack
// trace (or no line breaks at all) is read in bounded memory.
const maxRecord = 64 << 10

// continuation matches a line that belongs to the record above it: a stack
// frame, "Caused by:", "... 19 more", or a Java exception printed on its
// own line after the logger's line, as ActiveMQ and Kafka print them.
var continuation = regexp.MustCompile(`^(\s|Caused by:|Suppressed:|\.\.\. \d+ more|([a-z][a-z0-9_]*\.)+[A-Za-z0-9_$]*(Exception|Error)\b)`)

// ScanLog reads a log and returns every TLS or authentication failure in
// it, in order. It reads ActiveMQ's, Kafka's, Java's and brokerlab's own
// formats (human, text and JSON lines); a line it does not recognise is
// skipped, never an error. Only a failure to read is an error.
func ScanLog(r io.Reader) ([]LogFinding, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		out   []LogFinding
		rec   strings.Builder
		first int // line number of rec's first line; 0 when rec is empty
		n     int
	)
	flush := func() {
		if first > 0 {
			if f, ok := classifyRecord(rec.String()); ok {
				f.Line = first
				out = append(out, f)
			}
		}
		rec.Reset()
		first = 0
	}
	for {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return out, fmt.Errorf("faults: read log at line %d: %w", n+1, err)
		}
		if line == "" && errors.Is(err, io.EOF) {
			break
		}
		n++
		if first == 0 || !continuation.MatchString(line) {
			flush()
			first = n
		} else {
			rec.WriteByte('\n')
		}
		if rec.Len()+len(line) <= maxRecord {
			rec.WriteString(line)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	flush()
	return out, nil
}

// readLine returns the next line without its end (\n or \r\n). A line
// longer than maxRecord is cut there, and the rest of it skipped.
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		frag, isPrefix, err := br.ReadLine()
		if b.Len() < maxRecord {
			b.Write(frag[:min(len(frag), maxRecord-b.Len())])
		}
		if err != nil {
			if b.Len() > 0 && errors.Is(err, io.EOF) {
				return b.String(), nil
			}
			return b.String(), err
		}
		if !isPrefix {
			return b.String(), nil
		}
	}
}

func classifyRecord(text string) (LogFinding, bool) {
	if m, ok := tlsconf.ClassifyLogText(text); ok {
		return LogFinding{Excerpt: excerpt(text, m.Phrase), LogMatch: m}, true
	}
	for _, p := range authPhrases {
		if strings.Contains(text, p.substr) {
			m := tlsconf.LogMatch{Class: p.class, Phrase: p.substr}
			return LogFinding{Excerpt: excerpt(text, p.substr), LogMatch: m}, true
		}
	}
	return LogFinding{}, false
}

// excerptWidth is how much of a record explain shows: enough for the
// exception and its message, short enough for one terminal line or two.
const excerptWidth = 200

// excerpt is the line of text holding phrase, cut to excerptWidth around
// it, so that the words that decided are always shown.
func excerpt(text, phrase string) string {
	i := strings.Index(text, phrase)
	if i < 0 {
		i = 0
	}
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := len(text)
	if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
		end = i + j
	}
	line := strings.TrimSpace(text[start:end])
	if len(line) <= excerptWidth {
		return line
	}
	at := strings.Index(line, phrase)
	from := max(0, at-excerptWidth/3)
	to := min(len(line), from+excerptWidth)
	s := line[from:to]
	if from > 0 {
		s = "…" + s
	}
	if to < len(line) {
		s += "…"
	}
	return strings.ToValidUTF8(s, "")
}
