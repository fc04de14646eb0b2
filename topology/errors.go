package topology

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a topology, at the place in the file where the
// offending value is written. File and Pos are empty for specs built in code.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

// Error formats the problem the way compilers do, "file:line:col: msg", so
// that editors and CI logs can jump to it. Parts that are unknown are left
// out; with no file at all the package prefix stands in for it.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("topology")
	}
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Pos.Line)
		if e.Pos.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Pos.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in one topology, in file order. Parse and
// Validate return all of them at once so that a user fixes a file in one
// round instead of one error per run.
type ErrorList []*Error

// Error joins the problems, one per line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// err returns the list sorted by position with exact repeats dropped (a value
// reached through two YAML aliases is reported once), or nil when empty, so
// that callers never see a non-nil error interface holding an empty list.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	out := l[:0]
	seen := make(map[Error]bool, len(l))
	for _, e := range l {
		if seen[*e] {
			continue
		}
		seen[*e] = true
		out = append(out, e)
	}
	return out
}
