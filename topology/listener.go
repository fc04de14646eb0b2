package topology

import (
	"slices"

	"github.com/brokerlab/brokerlab/broker/tlsconf"

	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Schemes of listener URIs. ActiveMQ's ssl:// and tcp:// speak OpenWire;
// brokerlab's broker speaks STOMP only, so only the stomp schemes exist.
const (
	SchemeSTOMP    = "stomp"
	SchemeSTOMPSSL = "stomp+ssl"
)

// listenerOptions are the query keys a listener URI may carry, as on an
// ActiveMQ transportConnector. Anything else is refused rather than
// ignored, so that a misspelt needClientAuth does not quietly turn mTLS off.
var listenerOptions = []string{"needClientAuth", "wantClientAuth"}

// listener is a listener URI read for validation.
type listener struct {
	uri      string
	scheme   string
	host     string
	port     int
	problems []string // each completes `listener "uri" …`
}

func (l listener) ssl() bool { return l.scheme == SchemeSTOMPSSL }

// parseListener reads a listener URI such as
// "stomp+ssl://127.0.0.1:0?needClientAuth=true" and says what is wrong
// with it, if anything.
func parseListener(uri string) listener {
	l := listener{uri: uri}
	bad := func(format string, args ...any) { l.problems = append(l.problems, fmt.Sprintf(format, args...)) }
	u, err := url.Parse(uri)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		bad("is not a valid URI (%v); write it as stomp://host:port", err)
		return l
	}
	l.scheme = u.Scheme
	if u.Scheme != SchemeSTOMP && u.Scheme != SchemeSTOMPSSL {
		got := u.Scheme
		if got == "" {
			got = "none"
		}
		bad("has scheme %q; use stomp:// or stomp+ssl:// (ActiveMQ's tcp:// and ssl:// are OpenWire, not STOMP)", got)
		l.scheme = ""
	}
	if u.Opaque != "" || u.Host == "" {
		bad("has no host; write it as %s://127.0.0.1:0 (port 0 picks a free port)", schemeOr(u.Scheme))
		return l
	}
	if u.User != nil {
		bad("must not carry user information before the host")
	}
	if u.Path != "" && u.Path != "/" {
		bad("must not have a path (%q)", u.Path)
	}
	if u.Fragment != "" {
		bad("must not have a fragment (#%s)", u.Fragment)
	}
	l.host = u.Hostname()
	if l.host == "" {
		bad("has no host; write it as %s://127.0.0.1:0", schemeOr(u.Scheme))
	}
	switch p := u.Port(); {
	case p == "":
		bad("has no port; add one, or :0 to pick a free port")
	default:
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			bad("has port %s, outside 0–65535 (0 picks a free port)", p)
		} else {
			l.port = n
		}
	}
	l.options(u.RawQuery, bad)
	return l
}

func (l *listener) options(raw string, bad func(string, ...any)) {
	if raw == "" {
		return
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		bad("has a malformed query (%v)", err)
		return
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := q[k]
		if contains(tlsconf.KnobParams(false), k) {
			if _, err := tlsconf.ParseKnobs(map[string]string{k: vs[0]}, false); err != nil {
				bad("%s", strings.TrimPrefix(err.Error(), "tlsconf: "))
			}
			if l.scheme == SchemeSTOMP {
				bad("sets %s, which only applies to stomp+ssl listeners; use stomp+ssl:// or drop it", k)
			}
			continue
		}
		switch {
		case !contains(listenerOptions, k):
			bad("has unknown option %q; allowed: %s", k, strings.Join(append(slices.Clone(listenerOptions), tlsconf.KnobParams(false)...), ", "))
			continue
		case len(vs) > 1:
			bad("gives %s %d times; give it once", k, len(vs))
		case vs[0] != "true" && vs[0] != "false":
			bad("has %s=%s; it must be true or false", k, vs[0])
		}
		if l.scheme == SchemeSTOMP {
			bad("sets %s, which only applies to stomp+ssl listeners; use stomp+ssl:// or drop it", k)
		}
	}
}

func schemeOr(s string) string {
	if s == SchemeSTOMP || s == SchemeSTOMPSSL {
		return s
	}
	return SchemeSTOMP
}
