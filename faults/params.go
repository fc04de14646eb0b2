package faults

import (
	"fmt"
	"strings"
	"time"
)

// Params are a fault's or mutation's settings from the scenario step,
// already decoded from YAML: values are string, int, bool, float64,
// time.Duration, or duration strings like "3s". The methods below read them
// with errors in one style, `faults: <kind>: field "<name>": …`, so that
// every kind reports mistakes the same way.
type Params map[string]any

// Check reports the first field (in sorted order, so the message is stable)
// that is not among allowed, listing the allowed ones: a misspelt
// "jiter" must not silently become "no jitter".
func (p Params) Check(kind string, allowed ...string) error {
	ok := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		ok[a] = true
	}
	for _, k := range sortedKeys(p) {
		if !ok[k] && len(allowed) == 0 {
			return fmt.Errorf("faults: %s: unknown field %q; %s takes none", kind, k, kind)
		}
		if !ok[k] {
			return fmt.Errorf("faults: %s: unknown field %q; allowed: %s", kind, k, strings.Join(sortedKeys(ok), ", "))
		}
	}
	return nil
}

// Require reports the first of fields that is missing.
func (p Params) Require(kind string, fields ...string) error {
	for _, f := range fields {
		if _, ok := p[f]; !ok {
			return fmt.Errorf("faults: %s: field %q is required", kind, f)
		}
	}
	return nil
}

// Duration reads a duration field, def when absent. Bare numbers are
// refused: "latency: 200" could mean milliseconds or seconds, and guessing
// wrong by a factor of a thousand is worse than asking for a unit.
func (p Params) Duration(kind, field string, def time.Duration) (time.Duration, error) {
	v, ok := p[field]
	if !ok {
		return def, nil
	}
	switch v := v.(type) {
	case time.Duration:
		return v, nil
	case string:
		d, err := time.ParseDuration(v)
		if err == nil {
			return d, nil
		}
	}
	return 0, fmt.Errorf("faults: %s: field %q: %s is not a duration (e.g. 200ms)", kind, field, quote(v))
}

// String reads a string field, def when absent.
func (p Params) String(kind, field, def string) (string, error) {
	v, ok := p[field]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("faults: %s: field %q: %s is not a string", kind, field, quote(v))
	}
	return s, nil
}

// OneOf reads a string field that must be one of options, def when absent.
func (p Params) OneOf(kind, field, def string, options ...string) (string, error) {
	s, err := p.String(kind, field, def)
	if err != nil {
		return "", err
	}
	for _, o := range options {
		if s == o {
			return s, nil
		}
	}
	return "", fmt.Errorf("faults: %s: field %q: %q is not one of %s", kind, field, s, strings.Join(options, ", "))
}

// quote shows strings quoted and everything else as Go prints it, so that
// `"200"` (a string without a unit) and `200` (a number) read differently.
func quote(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}
