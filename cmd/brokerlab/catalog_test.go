package main

import (
	"context"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/scenarios"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// checkedUpTo is the last catalogue entry this test reproduces. Entries
// after it may depend on settings (listener protocols, keystores, clock
// offsets) diagnose does not take from a topology yet; they are skipped,
// loudly, until they are added here.
const checkedUpTo = 20

// Every certificate mistake of the catalogue, reproduced outside a
// scenario: the listening node runs as a real broker with the mutated
// files, `diagnose` dials it as the dialling node would (its trust, its
// certificate, its CRLs, verifying the node name), and must find the class
// the scenario expects on the client side; the broker's own log lines of
// the same handshake, read by `explain`'s scanner, must give the class
// expected on the server side.
func TestDiagnoseAndExplainEveryCatalogueCase(t *testing.T) {
	catalog, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range catalog {
		if len(sc.Mutations) == 0 || len(sc.Expect.TLS) == 0 {
			continue
		}
		t.Run(path.Base(sc.File), func(t *testing.T) {
			if n, err := strconv.Atoi(strings.SplitN(path.Base(sc.File), "-", 2)[0]); err != nil || n > checkedUpTo {
				t.Skipf("CATALOGUE ENTRY %s NOT CHECKED against diagnose/explain: add it to this test once diagnose mirrors its settings", sc.File)
			}
			reproduce(t, sc)
		})
	}
}

func reproduce(t *testing.T, sc *scenarios.Scenario) {
	spec := sc.Spec.Clone()
	var plan pki.Options
	if err := faults.ApplyMutations(spec, &plan, sc.Mutations); err != nil {
		t.Fatal(err)
	}
	mat, err := pki.Generate(spec, t.TempDir(), plan)
	if err != nil {
		t.Fatal(err)
	}
	files := faults.NodeFiles(mat)
	if err := faults.ApplyMaterialMutations(mat, files, spec, sc.Mutations); err != nil {
		t.Fatal(err)
	}
	link := sc.Expect.TLS[0].Link
	addrs, err := driver.ResolvePorts(spec)
	if err != nil {
		t.Fatal(err)
	}
	o, err := driver.Render(spec, link.To, addrs, files[link.To], func(_ topology.Link, a string) (string, error) { return a, nil })
	if err != nil {
		t.Fatal(err)
	}
	o.Connect = nil // the listener is under test, not its own bridges
	b := brokertest.NewBroker(t, o)
	addr, _, err := driver.Target(spec, spec.Node(link.From), link.To, addrs)
	if err != nil {
		t.Fatal(err)
	}
	from := files[link.From]
	d, err := faults.Diagnose(context.Background(), faults.DiagnoseOptions{
		Addr: addr, ServerName: link.To,
		CAFile: from.TrustFile, CertFile: from.CertFile, KeyFile: from.KeyFile, CRLFile: from.CRLFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range sc.Expect.TLS {
		if want.Link != link {
			continue
		}
		switch want.Side {
		case events.SideClient:
			t.Logf("%s: diagnose as %s: %s (at %s)", link, link.From, d.Class, d.Stage)
			if string(d.Class) != want.Failure {
				t.Errorf("diagnose as %s: class %s (at %s: %v), the scenario expects %s", link.From, d.Class, d.Stage, d.Err, want.Failure)
			}
		case events.SideServer:
			got := serverClass(t, b)
			t.Logf("%s: explain on %s's log: %s", link, link.To, got)
			if got != want.Failure {
				t.Errorf("explain on %s's log: class %q, the scenario expects %s", link.To, got, want.Failure)
			}
		}
	}
}

// serverClass waits for the broker's TLS failure and reads its log line
// (the events.log format) with the scanner `brokerlab explain` uses.
func serverClass(t *testing.T, b *brokertest.Broker) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var log strings.Builder
		for _, e := range b.Events.Events() {
			log.WriteString(e.String() + "\n")
		}
		fs, err := faults.ScanLog(strings.NewReader(log.String()))
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) > 0 || time.Now().After(deadline) {
			if len(fs) == 0 {
				return ""
			}
			return string(fs[0].Class)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
