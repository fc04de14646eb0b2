package security

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
)

// Secret is a passcode. It prints as *** under every fmt verb, in slog and
// in JSON, so a secret that strays into a message or an event stays hidden;
// Reveal is the one way to read it.
type Secret string

func (Secret) String() string                  { return "***" }
func (Secret) GoString() string                { return "***" }
func (Secret) LogValue() slog.Value            { return slog.StringValue("***") }
func (Secret) MarshalText() ([]byte, error)    { return []byte("***"), nil }
func (s Secret) Reveal() string                { return string(s) }
func (s Secret) Format(f fmt.State, verb rune) { f.Write([]byte("***")) }

// ConnView is what a login module may know of a connection: the CONNECT
// frame's login and passcode, where it comes from, and its TLS state (nil
// on a plaintext listener).
type ConnView struct {
	Login    string
	Passcode Secret
	Remote   netip.AddrPort
	TLS      *tls.ConnectionState
	// PeerDN is the verified client certificate's subject DN (RFC 2253,
	// as tlsconf.Principal gives it), "" when none was presented.
	PeerDN string
}

// Principal is who a connection proved to be.
type Principal struct {
	User   string
	Groups []string
	// Via names the modules that vouched for it, for events and reports.
	Via []string
}

// In reports whether the principal belongs to any of groups; "*" is
// every principal.
func (p *Principal) In(groups []string) bool {
	for _, g := range groups {
		if g == "*" || slices.Contains(p.Groups, g) {
			return true
		}
	}
	return false
}

// LoginModule checks one kind of credential.
type LoginModule interface {
	// Login returns the principal the credentials prove, or an error
	// saying why not (without saying which of login or passcode was wrong).
	Login(v ConnView) (*Principal, error)
}

// Flag is a module's JAAS control flag.
type Flag string

const (
	Required   Flag = "required"   // must succeed; the stack goes on either way
	Requisite  Flag = "requisite"  // must succeed; a failure ends the stack at once
	Sufficient Flag = "sufficient" // a success ends the stack (if nothing required failed before it)
	Optional   Flag = "optional"   // need not succeed
)

// Flags lists the flags in the order JAAS documents them.
func Flags() []Flag { return []Flag{Required, Requisite, Sufficient, Optional} }

// ParseFlag reads a flag name.
func ParseFlag(s string) (Flag, error) {
	for _, f := range Flags() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("security: unknown login flag %q; use required, requisite, sufficient or optional", s)
}

// StackEntry is one module of a stack with its flag and name.
type StackEntry struct {
	Name   string
	Flag   Flag
	Module LoginModule
}

// Stack is an ordered list of login modules, evaluated as JAAS's
// LoginContext does.
type Stack []StackEntry

// ModuleError is one module's refusal.
type ModuleError struct {
	Module string
	Flag   Flag
	Err    error
}

// Error names the module and its flag after the reason, so an ERROR frame
// says which part of the stack refused: "no client certificate was
// presented (certificate, requisite)".
func (e *ModuleError) Error() string {
	return e.Err.Error() + " (" + e.Module + ", " + string(e.Flag) + ")"
}
func (e *ModuleError) Unwrap() error { return e.Err }

// Result says what a stack did: the principal (nil on failure), the error
// JAAS would throw, and the names of the modules it called, in order.
type Result struct {
	Principal *Principal
	Err       error
	Called    []string
}

// errAllIgnored is JAAS's "Login Failure: all modules ignored": an empty
// stack proves nothing.
var errAllIgnored = errors.New("no login module accepted the connection")

// Login runs the stack over v with JAAS's rules (javax.security.auth.login.
// LoginContext):
//   - a requisite failure ends the stack at once; the error is the first
//     required failure before it, else its own;
//   - a sufficient success ends the stack, unless a required module has
//     already failed;
//   - the login succeeds when no required or requisite module failed and at
//     least one module succeeded; otherwise the error is the first required
//     failure, else the first failure of any module.
//
// Every module that succeeded before the end contributes its groups (JAAS's
// commit); the user is the first successful module's.
func (s Stack) Login(v ConnView) Result {
	var res Result
	var firstRequired, first error
	var ok []*Principal
	var via []string
	finish := func() Result {
		switch {
		case firstRequired != nil:
			res.Err = firstRequired
		case len(ok) == 0 && first != nil:
			res.Err = first
		case len(ok) == 0:
			res.Err = errAllIgnored
		default:
			res.Principal = merge(ok, via)
		}
		return res
	}
	for _, e := range s {
		res.Called = append(res.Called, e.Name)
		p, err := e.Module.Login(v)
		if err == nil && p == nil {
			err = errors.New("proved no user")
		}
		if err == nil {
			ok = append(ok, p)
			via = append(via, e.Name)
			if e.Flag == Sufficient && firstRequired == nil {
				return finish()
			}
			continue
		}
		me := &ModuleError{Module: e.Name, Flag: e.Flag, Err: err}
		switch e.Flag {
		case Requisite:
			if firstRequired == nil {
				firstRequired = me
			}
			ok = nil // the login has failed; nothing commits
			return finish()
		case Required:
			if firstRequired == nil {
				firstRequired = me
			}
		default:
			if first == nil {
				first = me
			}
		}
	}
	return finish()
}

func merge(ps []*Principal, via []string) *Principal {
	out := &Principal{User: ps[0].User, Via: via}
	for _, p := range ps {
		for _, g := range p.Groups {
			if !slices.Contains(out.Groups, g) {
				out.Groups = append(out.Groups, g)
			}
		}
	}
	return out
}

// String describes a stack as a JAAS login.config would list it.
func (s Stack) String() string {
	parts := make([]string, len(s))
	for i, e := range s {
		parts[i] = e.Name + " " + string(e.Flag)
	}
	return strings.Join(parts, ", ")
}
