package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>.golden, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (go test ./reports/ -update creates it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s: first difference at line %d:\n got: %q\nwant: %q\n(go test ./reports/ -update rewrites it)\nfull output:\n%s",
				path, i+1, g, w, got)
			return
		}
	}
}

var (
	fixtureStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	passed       = Scenario{
		Name:     "duplex bridge survives a partition without losing persistent messages",
		File:     "scenarios/catalog/partition.yaml",
		Labels:   []string{"network", "duplex", "tls"},
		Status:   StatusPassed,
		Duration: 7200 * time.Millisecond,
		Seed:     7,
		Steps: []Step{
			{Name: "start all", Status: StatusPassed, Duration: 1200 * time.Millisecond},
			{Name: "await bridge server-a->hub up", Status: StatusPassed, Started: 1200 * time.Millisecond, Duration: 300 * time.Millisecond},
			{Name: "produce server-a /queue/orders ×500", Status: StatusPassed, Started: 1500 * time.Millisecond, Duration: 800 * time.Millisecond, Detail: "500 sent, persistent"},
			{Name: "fault partition server-a->hub for 3s", Status: StatusPassed, Started: 1600 * time.Millisecond, Duration: 3 * time.Second},
			{Name: "consume server-b /queue/orders ×500", Status: StatusPassed, Started: 4700 * time.Millisecond, Duration: 2500 * time.Millisecond},
		},
		Delivery: &Delivery{Sent: 500, Received: 500},
		Events: []string{
			"12:00:01.200 server-a bridge server-a->hub up",
			"12:00:01.600 fault partition server-a->hub applied",
			"12:00:01.610 server-a bridge server-a->hub down: EOF",
			"12:00:04.600 fault partition server-a->hub undone",
			"12:00:05.620 server-a bridge server-a->hub up",
		},
		ArtifactsDir: "out/artifacts/001-duplex-bridge",
	}
	failed = Scenario{
		Name:     "mTLS hub accepts spokes with certificates from the shared CA",
		File:     "scenarios/catalog/mtls.hub.yaml",
		Labels:   []string{"tls", "auth"},
		Status:   StatusFailed,
		Duration: 5100 * time.Millisecond,
		Seed:     8,
		Steps: []Step{
			{Name: "start all", Status: StatusPassed, Duration: 900 * time.Millisecond},
			{Name: "await bridge server-b->hub up within 5s", Status: StatusFailed, Started: 900 * time.Millisecond, Duration: 4200 * time.Millisecond,
				Detail: "last seen retrying: remote error: tls: expired certificate"},
		},
		Failures: []string{
			"bridge server-b->hub did not reach state up within 5s; last seen retrying: remote error: tls: expired certificate",
			"expected lost 0, got 80 of 200 messages sent on server-b",
		},
		Explanations: []string{
			"hub refused the client certificate of server-b because it expired on 2026-01-01 00:00:00 UTC.\nFix: reissue server-b's certificate, or set its not_after in the topology's pki section.",
		},
		Delivery: &Delivery{Sent: 200, Received: 120, Lost: 80, OutOfOrder: 3},
		Events: []string{
			"12:00:08.100 hub tls-failed server side peer=server-b class=expired: x509: certificate has expired",
			"12:00:08.101 server-b bridge server-b->hub retrying in 1s: remote error: tls: expired certificate",
		},
		ArtifactsDir: "out/artifacts/002-mtls-hub",
	}
	errored = Scenario{
		Name:     "location rules restrict the admin user",
		File:     "scenarios/location.yml",
		Status:   StatusError,
		Seed:     9,
		Failures: []string{`scenarios/location.yml:12:5: unknown step kind "produec" (did you mean "produce"?)`},
	}
	skipped = Scenario{
		Name:     "real ActiveMQ 5.17 interop",
		Status:   StatusSkipped,
		Seed:     10,
		Failures: []string{"the activemq driver needs docker, which is not available"},
	}
)

func fixture() *Report {
	return &Report{
		Title:     "nightly TLS catalogue",
		Seed:      42,
		Started:   fixtureStart,
		Duration:  13*time.Second + 400*time.Millisecond,
		Scenarios: []Scenario{passed, failed, errored, skipped},
		Environment: map[string]string{
			"go":     "go1.26.8",
			"os":     "linux/amd64",
			"driver": "inproc",
		},
	}
}

func TestCountsAndOK(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []Status
		p, f, e, s int
		ok         bool
	}{
		{"empty run is not OK", nil, 0, 0, 0, 0, false},
		{"all passed", []Status{StatusPassed, StatusPassed}, 2, 0, 0, 0, true},
		{"skipped does not fail", []Status{StatusPassed, StatusSkipped}, 1, 0, 0, 1, true},
		{"one failure", []Status{StatusPassed, StatusFailed}, 1, 1, 0, 0, false},
		{"one error", []Status{StatusPassed, StatusError}, 1, 0, 1, 0, false},
		{"unknown status counts as error", []Status{"", "flaky"}, 0, 0, 2, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{}
			for _, st := range tt.statuses {
				r.Scenarios = append(r.Scenarios, Scenario{Status: st})
			}
			p, f, e, s := r.Counts()
			if p != tt.p || f != tt.f || e != tt.e || s != tt.s {
				t.Errorf("Counts() = %d, %d, %d, %d; want %d, %d, %d, %d", p, f, e, s, tt.p, tt.f, tt.e, tt.s)
			}
			if got := r.OK(); got != tt.ok {
				t.Errorf("OK() = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{3 * time.Millisecond, "3ms"},
		{850*time.Millisecond + 400*time.Microsecond, "850ms"},
		{7213 * time.Millisecond, "7.2s"},
		{59940 * time.Millisecond, "59.9s"},
		{59970 * time.Millisecond, "1m0s"},
		{999700 * time.Microsecond, "1.0s"},
		{125 * time.Second, "2m5s"},
		{-2 * time.Second, "-2.0s"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain ×500 server-a->hub", "plain ×500 server-a->hub"},
		{"tab\tand\nnewline", "tab\tand\nnewline"},
		{"crlf\r\nline", "crlf\nline"},
		{"lone\rcr", `lone\x0dcr`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"nul\x00", `nul\x00`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"c1 \u0085 del \x7f", `c1 \u0085 del \x7f`},
		{"not a char \uffff", `not a char \uffff`},
		{"replacement \ufffd kept", "replacement \ufffd kept"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
