package faults

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Each sample log, and the failures in it as "line:class", in order. The
// stack traces under a line belong to it: the keystore failure is one
// finding however many lines its trace has.
func TestScanLog(t *testing.T) {
	want := map[string][]string{
		"activemq-spoke.log":   {"6:unknown-authority", "8:connection-reset", "10:unknown-authority", "12:connection-reset"},
		"activemq-hub.log":     {"3:bad-certificate", "4:client-cert-required", "5:not-tls", "6:protocol-version", "7:bad-key-usage"},
		"activemq-startup.log": {"2:bad-keystore-password"},
		"kafka-broker.log":     {"2:hostname-mismatch", "10:expired"},
		"brokerlab.log":        {"2:unknown-authority", "3:bad-certificate", "5:client-cert-required", "6:bad-record-mac"},
		"auth.log":             {"2:auth-failed", "3:not-authorized"},
		// Captured from a real ActiveMQ 5.17.2 (see testdata/logs/README.md).
		"activemq-5.17.2-connector-real.log": {"7:unknown-authority", "12:connection-reset", "16:connection-reset", "21:hostname-mismatch", "26:connection-reset", "30:expired", "37:client-cert-required"},
		"activemq-5.17.2-real.log":           {"9:unknown-authority", "10:client-cert-required", "11:client-cert-required", "12:connection-reset", "13:bad-certificate", "14:protocol-version", "15:not-tls"},
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "logs", name))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []struct {
				name string
				data []byte
			}{{"as is", data}, {"crlf", bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))}} {
				fs, err := ScanLog(iotest.OneByteReader(bytes.NewReader(r.data)))
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, f := range fs {
					got = append(got, fmt.Sprintf("%d:%s", f.Line, f.Class))
					if !strings.Contains(f.Excerpt, f.Phrase) {
						t.Errorf("%s line %d: excerpt %q lacks the phrase %q", r.name, f.Line, f.Excerpt, f.Phrase)
					}
				}
				if strings.Join(got, " ") != strings.Join(w, " ") {
					t.Errorf("%s: found %v, want %v", r.name, got, w)
				}
			}
		})
	}
}

func TestScanLogLongLine(t *testing.T) {
	long := strings.Repeat("x", 3*maxRecord) + " javax.net.ssl.SSLHandshakeException: Empty client certificate chain"
	fs, err := ScanLog(strings.NewReader("first\n" + long + "\nPKIX path building failed\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The cut-off tail of the long line is not read; the next line is.
	if len(fs) != 1 || fs[0].Line != 3 || fs[0].Class != tlsconf.ClassUnknownAuthority {
		t.Fatalf("findings %+v", fs)
	}
}

func TestScanLogReadError(t *testing.T) {
	_, err := ScanLog(io.MultiReader(strings.NewReader("one\ntwo\n"), iotest.ErrReader(errors.New("disk gone"))))
	if err == nil || !strings.Contains(err.Error(), "faults: read log at line 3: disk gone") {
		t.Fatalf("err = %v", err)
	}
}

// No input makes ScanLog panic, loop or report a line it did not read.
func FuzzScanLog(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "logs", "*.log"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\n\n\tat x\nCaused by: y\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := ScanLog(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		last := 0
		for _, f := range fs {
			if f.Line <= last || f.Line > lines {
				t.Fatalf("finding at line %d after %d, of %d lines", f.Line, last, lines)
			}
			last = f.Line
			if f.Class == "" || f.Phrase == "" {
				t.Fatalf("empty finding %+v", f)
			}
			if a := LogAdvice(f.LogMatch); a.Meaning == "" || a.Fix == "" {
				t.Fatalf("no advice for %+v", f)
			}
		}
	})
}
