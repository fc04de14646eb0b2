package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The JUnit dialect below is the one Jenkins, GitLab and the GitHub test
// reporters all read: the Ant schema, plus the skipped count and the
// <skipped/> element that every consumer accepts. Element and attribute
// names are fixed by those readers, not by us.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

// Bodies are CDATA so that the raw file keeps its line breaks: as character
// data, encoding/xml writes every newline as &#xA;, which is correct but
// unreadable when someone opens junit.xml by hand. encoding/xml splits any
// "]]>" in the text, and sanitize has removed what XML cannot hold.
type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// WriteJUnit writes r as JUnit XML: one <testsuite> named after the report,
// one <testcase> per scenario. A failed scenario gets a <failure> whose
// message is its first failure and whose body holds all failures and
// explanations; an errored one gets an <error>; a skipped one <skipped/>.
// Steps and events go to <system-out>, where CI shows them next to the case.
func WriteJUnit(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("reports: write junit: nil report")
	}
	doc := junitFromReport(r)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	return nil
}

func junitFromReport(r *Report) junitSuites {
	_, failed, errored, skipped := r.Counts()
	title := r.Title
	if title == "" {
		title = "brokerlab"
	}
	suite := junitSuite{
		Name:       sanitize(title),
		Tests:      len(r.Scenarios),
		Failures:   failed,
		Errors:     errored,
		Skipped:    skipped,
		Time:       seconds(r.Duration.Seconds()),
		Properties: junitProperties(r),
	}
	if !r.Started.IsZero() {
		// The Ant schema's timestamp has no zone; UTC makes it unambiguous.
		suite.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for _, s := range r.Scenarios {
		suite.Cases = append(suite.Cases, junitCaseFor(s))
	}
	return junitSuites{
		Name:     suite.Name,
		Tests:    suite.Tests,
		Failures: failed,
		Errors:   errored,
		Skipped:  skipped,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
}

// junitProperties puts the seed first, since replaying a failure starts
// from it, then the environment in key order so the output is stable.
func junitProperties(r *Report) []junitProperty {
	props := []junitProperty{{Name: "seed", Value: strconv.FormatInt(r.Seed, 10)}}
	for _, k := range slices.Sorted(maps.Keys(r.Environment)) {
		props = append(props, junitProperty{Name: sanitize(k), Value: sanitize(r.Environment[k])})
	}
	return props
}

func junitCaseFor(s Scenario) junitCase {
	c := junitCase{
		Classname: classname(s.File),
		Name:      sanitize(s.Name),
		Time:      seconds(s.Duration.Seconds()),
	}
	switch normalize(s.Status) {
	case StatusFailed:
		c.Failure = &junitOutcome{
			Message: firstLine(s.Failures, "scenario failed"),
			Type:    "assertion",
			Body:    outcomeBody(s),
		}
	case StatusError:
		msg := "scenario could not run"
		if s.Status != StatusError {
			msg = fmt.Sprintf("scenario has unknown status %q", s.Status)
		}
		c.Error = &junitOutcome{
			Message: firstLine(s.Failures, msg),
			Type:    "error",
			Body:    outcomeBody(s),
		}
	case StatusSkipped:
		c.Skipped = &junitSkipped{Message: firstLine(s.Failures, "")}
	}
	if out := systemOut(s); out != "" {
		c.SystemOut = &junitText{Text: out}
	}
	return c
}

// classname groups test cases by scenario file, as CI trees show them:
// "brokerlab.untrusted-peer" for .../untrusted-peer.yaml, and
// "brokerlab.catalog" for built-in scenarios that have no file. Dots in the
// base name become underscores because Jenkins splits the class name at
// dots into packages, which would scatter one file over several folders.
func classname(file string) string {
	base := path.Base(strings.ReplaceAll(file, `\`, "/"))
	for _, ext := range []string{".yaml", ".yml"} {
		base = strings.TrimSuffix(base, ext)
	}
	if file == "" || base == "" || base == "." || base == "/" {
		base = "catalog"
	}
	return "brokerlab." + strings.ReplaceAll(sanitize(base), ".", "_")
}

// outcomeBody is what a CI page shows under a red test: every failure, then
// every explanation with its fix.
func outcomeBody(s Scenario) string {
	var b strings.Builder
	writeList(&b, "Failures:", s.Failures)
	writeList(&b, "Explanations:", s.Explanations)
	return b.String()
}

func writeList(b *strings.Builder, heading string, items []string) {
	if len(items) == 0 {
		return
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	b.WriteString(heading + "\n")
	for _, item := range items {
		for i, line := range lines(item) {
			if i == 0 {
				b.WriteString("  - " + line + "\n")
			} else {
				b.WriteString("    " + line + "\n")
			}
		}
	}
}

// systemOut carries what the case needs to be understood or replayed away
// from the run: where it came from, its seed, the steps with timings and
// the event log.
func systemOut(s Scenario) string {
	var b strings.Builder
	if s.File != "" {
		fmt.Fprintf(&b, "file: %s\n", sanitize(s.File))
	}
	if len(s.Labels) > 0 {
		fmt.Fprintf(&b, "labels: %s\n", sanitize(strings.Join(s.Labels, ", ")))
	}
	fmt.Fprintf(&b, "seed: %d\n", s.Seed)
	if s.Delivery != nil {
		fmt.Fprintf(&b, "delivery: %s\n", formatDelivery(s.Delivery))
	}
	if s.ArtifactsDir != "" {
		fmt.Fprintf(&b, "artifacts: %s\n", sanitize(s.ArtifactsDir))
	}
	if len(s.Steps) > 0 {
		b.WriteString("\nsteps:\n")
		for _, st := range s.Steps {
			for _, line := range formatStep(st) {
				b.WriteString("  " + line + "\n")
			}
		}
	}
	if len(s.Events) > 0 {
		b.WriteString("\nevents:\n")
		for _, ev := range s.Events {
			for _, line := range lines(ev) {
				b.WriteString("  " + line + "\n")
			}
		}
	}
	return b.String()
}

// seconds is the JUnit time format: seconds with millisecond precision.
func seconds(s float64) string {
	return strconv.FormatFloat(s, 'f', 3, 64)
}

// firstLine returns the first line of the first item, or def. Attributes
// are shown on one line by every CI, so the rest belongs in the body.
func firstLine(items []string, def string) string {
	if len(items) == 0 {
		return def
	}
	return lines(items[0])[0]
}
