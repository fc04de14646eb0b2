package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestJUnitGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit", buf.Bytes())
}

// The shape CI parsers read, decoded independently of the writer's types.
type parsedSuites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Time       string `xml:"time,attr"`
		Timestamp  string `xml:"timestamp,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) parsedSuites {
	t.Helper()
	// Walk every token first: Unmarshal into a struct skips what it does
	// not map, but a CI parser reads the whole file.
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output is not well-formed XML: %v\n%s", err, data)
		}
	}
	var p parsedSuites
	if err := xml.Unmarshal(data, &p); err != nil {
		t.Fatalf("unmarshal junit: %v", err)
	}
	return p
}

func TestJUnitParsesWithCounts(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	p := parseJUnit(t, buf.Bytes())
	if p.Tests != 4 || p.Failures != 1 || p.Errors != 1 || p.Skipped != 1 {
		t.Errorf("testsuites tests=%d failures=%d errors=%d skipped=%d; want 4 1 1 1", p.Tests, p.Failures, p.Errors, p.Skipped)
	}
	if len(p.Suites) != 1 {
		t.Fatalf("got %d testsuites, want 1", len(p.Suites))
	}
	s := p.Suites[0]
	if s.Name != "nightly TLS catalogue" || s.Tests != 4 || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 {
		t.Errorf("testsuite %q tests=%d failures=%d errors=%d skipped=%d; want nightly TLS catalogue 4 1 1 1",
			s.Name, s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	if s.Time != "13.400" || s.Timestamp != "2026-03-01T12:00:00" {
		t.Errorf("time=%q timestamp=%q", s.Time, s.Timestamp)
	}
	if len(s.Properties) == 0 || s.Properties[0].Name != "seed" || s.Properties[0].Value != "42" {
		t.Errorf("first property = %+v, want seed=42", s.Properties)
	}
	if len(s.Cases) != 4 {
		t.Fatalf("got %d testcases, want 4", len(s.Cases))
	}
	wantClass := []string{"brokerlab.partition", "brokerlab.mtls_hub", "brokerlab.location", "brokerlab.catalog"}
	for i, c := range s.Cases {
		if c.Classname != wantClass[i] {
			t.Errorf("case %d classname = %q, want %q", i, c.Classname, wantClass[i])
		}
	}
	pass, fail, errc, skip := s.Cases[0], s.Cases[1], s.Cases[2], s.Cases[3]
	if pass.Failure != nil || pass.Error != nil || pass.Skipped != nil {
		t.Errorf("passed case has an outcome element: %+v", pass)
	}
	if pass.Time != "7.200" || !strings.Contains(pass.SystemOut, "produce server-a /queue/orders ×500") {
		t.Errorf("passed case time=%q system-out=%q", pass.Time, pass.SystemOut)
	}
	if fail.Failure == nil || fail.Failure.Type != "assertion" || fail.Failure.Message != failed.Failures[0] {
		t.Fatalf("failed case failure = %+v", fail.Failure)
	}
	for _, want := range append(failed.Failures, "Fix: reissue server-b's certificate") {
		if !strings.Contains(fail.Failure.Body, want) {
			t.Errorf("failure body lacks %q:\n%s", want, fail.Failure.Body)
		}
	}
	if errc.Error == nil || errc.Error.Message != errored.Failures[0] {
		t.Errorf("errored case error = %+v", errc.Error)
	}
	if skip.Skipped == nil || skip.Failure != nil || skip.Error != nil {
		t.Errorf("skipped case = %+v", skip)
	}
}

func TestJUnitEscaping(t *testing.T) {
	nasty := "a <b> & \"c\" 'd' ]]> \x1b[31mred\x1b[0m \x00 \xff done"
	r := &Report{Title: nasty, Environment: map[string]string{"k<": nasty}, Scenarios: []Scenario{{
		Name:         nasty,
		File:         "dir/" + nasty + ".yaml",
		Status:       StatusFailed,
		Failures:     []string{nasty + "\nsecond line"},
		Explanations: []string{nasty},
		Events:       []string{nasty, "]]>]]>"},
		Steps:        []Step{{Name: nasty, Status: StatusFailed, Detail: nasty}},
	}}}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	p := parseJUnit(t, buf.Bytes())
	c := p.Suites[0].Cases[0]
	want := sanitize(nasty)
	if c.Name != want {
		t.Errorf("name = %q, want %q", c.Name, want)
	}
	if c.Failure == nil || c.Failure.Message != want {
		t.Errorf("failure message = %+v, want first line %q", c.Failure, want)
	}
	if !strings.Contains(c.SystemOut, "]]>]]>") {
		t.Errorf("system-out lost the CDATA terminator text:\n%s", c.SystemOut)
	}
	if !strings.Contains(c.Name, `\x1b[31m`) {
		t.Errorf("control character not shown as an escape: %q", c.Name)
	}
}

func TestClassname(t *testing.T) {
	tests := []struct{ file, want string }{
		{"", "brokerlab.catalog"},
		{"untrusted-peer.yaml", "brokerlab.untrusted-peer"},
		{"scenarios/catalog/partition.yaml", "brokerlab.partition"},
		{`C:\work\scenarios\location.yml`, "brokerlab.location"},
		{"a/mtls.hub.yaml", "brokerlab.mtls_hub"},
		{"a/", "brokerlab.a"},
	}
	for _, tt := range tests {
		if got := classname(tt.file); got != tt.want {
			t.Errorf("classname(%q) = %q, want %q", tt.file, got, tt.want)
		}
	}
}

func TestJUnitNilReport(t *testing.T) {
	if err := WriteJUnit(io.Discard, nil); err == nil || !strings.HasPrefix(err.Error(), "reports: ") {
		t.Errorf("WriteJUnit(nil) = %v, want a reports: error", err)
	}
}

// Whatever a scenario's text holds, the output must stay well-formed XML.
func FuzzJUnitWellFormed(f *testing.F) {
	f.Add("name", "failure", "event")
	f.Add("<&>\"'", "]]>", "\x1b\x00\xff\ufffe")
	f.Add("\r\n\r", "\xed\xa0\x80", "\u0085\u2028")
	f.Fuzz(func(t *testing.T, name, failure, event string) {
		r := &Report{Title: name, Scenarios: []Scenario{
			{Name: name, File: name, Status: StatusFailed, Failures: []string{failure}, Events: []string{event}},
			{Name: failure, Status: StatusError, Failures: []string{event}},
			{Name: event, Status: StatusSkipped, Failures: []string{name}},
		}}
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, r); err != nil {
			t.Fatal(err)
		}
		p := parseJUnit(t, buf.Bytes())
		if got := len(p.Suites[0].Cases); got != 3 {
			t.Fatalf("got %d cases, want 3", got)
		}
	})
}
