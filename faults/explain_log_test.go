package faults

import (
	"testing"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Every class has advice of its own: a class added to tlsconf without
// advice here would be explained with the generic text.
func TestLogAdviceForEveryClass(t *testing.T) {
	generic := LogAdvice(tlsconf.LogMatch{Class: tlsconf.ClassOther})
	for _, c := range append(tlsconf.Classes(), ClassAuthFailed, ClassNotAuthorized) {
		if c == tlsconf.ClassOther {
			continue
		}
		a := LogAdvice(tlsconf.LogMatch{Class: c})
		if a == generic || a.Meaning == "" || a.Fix == "" {
			t.Errorf("class %s has no advice of its own", c)
		}
	}
}
