package faults

import (
	"slices"
	"testing"

	"github.com/brokerlab/brokerlab/topology"
)

func TestKinds(t *testing.T) {
	if got, want := Kinds(), []string{"cut", "latency", "partition", "reset", "tls-close-after-certificate", "tls-corrupt-record", "tls-drop-record", "tls-stall-after-client-hello", "tls-truncate-record"}; !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	if got, want := MutationKinds(), []string{"client-eku", "clock-skew", "cn-only", "connector-tls", "expired", "hostname-mismatch", "key-mismatch", "listener-tls", "missing-intermediate", "no-client-cert", "no-ip-sans", "not-yet-valid", "revoked", "server-eku", "sha1-signature", "truststore-empty", "untrusted-peer", "weak-key", "wrong-ca", "wrong-key-password", "wrong-keystore-password"}; !slices.Equal(got, want) {
		t.Errorf("MutationKinds() = %v, want %v", got, want)
	}
}

func TestNewUnknownKind(t *testing.T) {
	_, err := New("x", testLink, nil)
	if want := `faults: unknown kind "x"; known: cut, latency, partition, reset, tls-close-after-certificate, tls-corrupt-record, tls-drop-record, tls-stall-after-client-hello, tls-truncate-record`; err == nil || err.Error() != want {
		t.Errorf("New(x) = %v, want %s", err, want)
	}
	_, err = NewMutation("x", nil)
	if want := `faults: unknown mutation kind "x"; known: client-eku, clock-skew, cn-only, connector-tls, expired, hostname-mismatch, key-mismatch, listener-tls, missing-intermediate, no-client-cert, no-ip-sans, not-yet-valid, revoked, server-eku, sha1-signature, truststore-empty, untrusted-peer, weak-key, wrong-ca, wrong-key-password, wrong-keystore-password`; err == nil || err.Error() != want {
		t.Errorf("NewMutation(x) = %v, want %s", err, want)
	}
}

func TestRegisterPanics(t *testing.T) {
	factory := func(topology.Link, Params) (Fault, error) { return nil, nil }
	mfactory := func(Params) (Mutation, error) { return nil, nil }
	for name, register := range map[string]func(){
		"duplicate":          func() { Register("latency", factory) },
		"empty kind":         func() { Register("", factory) },
		"nil factory":        func() { Register("new-kind", nil) },
		"duplicate mutation": func() { RegisterMutation("untrusted-peer", mfactory) },
		"nil mutation":       func() { RegisterMutation("new-kind", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			register()
		})
	}
}
