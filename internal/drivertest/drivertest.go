// Package drivertest holds what the node drivers' tests share: the
// tutorial network with its PKI, building the brokerlab binary, waiting
// for a bridge in an event stream, and delivering messages with an
// independent STOMP client (go-stomp).
package drivertest

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Tutorial is the hub-and-spokes example with its PKI generated in a test
// directory, and each node's PEM files.
func Tutorial(t testing.TB) (*topology.Spec, map[string]tlsconf.Files) {
	t.Helper()
	spec, err := topology.Example("hub-and-spokes")
	if err != nil {
		t.Fatal(err)
	}
	return spec, PEMFiles(t, spec)
}

// PEMFiles generates a spec's PKI in a test directory and returns each
// node's PEM identity and truststore.
func PEMFiles(t testing.TB, spec *topology.Spec) map[string]tlsconf.Files {
	t.Helper()
	mat, err := pki.Generate(spec, t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]tlsconf.Files{}
	for name, nf := range mat.Nodes {
		files[name] = tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile}
	}
	return files
}

// Fataler is the part of testing.TB (and of Ginkgo's GinkgoT) that
// Brokerlab needs.
type Fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

var (
	buildMu sync.Mutex
	built   = map[bool]string{}
)

// Brokerlab builds cmd/brokerlab once per test binary and returns its
// path. static builds with CGO_ENABLED=0, for images FROM scratch.
func Brokerlab(t Fataler, static bool) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[static]; ok {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir, err := os.MkdirTemp("", "brokerlab-bin-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "brokerlab")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/brokerlab")
	cmd.Dir = root
	cmd.Env = os.Environ()
	if static {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("drivertest: build brokerlab: %v\n%s", err, out)
	}
	built[static] = bin
	return bin
}

// AwaitBridge waits until the dialling end of link reports it up.
func AwaitBridge(t testing.TB, rec *events.Recorder, from int, link string, within time.Duration) {
	t.Helper()
	dialler := strings.SplitN(link, "->", 2)[0]
	_, ok, last := rec.Wait(from, time.Now().Add(within), func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.Link == link && e.State == events.StateUp && e.Node == dialler
	}, func(e events.Event) bool { return e.Link == link })
	if !ok {
		t.Fatalf("bridge %s not up within %v; last seen: %v", link, within, last)
	}
}

// Conn connects a go-stomp client to addr; cfg non-nil means TLS.
func Conn(addr string, cfg *tls.Config) (*stomp.Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		tc := tls.Client(nc, cfg)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return nil, err
		}
		tc.SetDeadline(time.Time{})
		nc = tc
	}
	c, err := stomp.Connect(nc, stomp.ConnOpt.HeartBeat(0, 0))
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Deliver subscribes on recv, then sends n messages on send (with
// receipts) and reads them back on recv, all within the bound (a guard
// against hanging, not a timing assertion). Each must arrive exactly once.
func Deliver(t testing.TB, send, recv *stomp.Conn, dest string, n int, within time.Duration) {
	t.Helper()
	sub, err := recv.Subscribe(dest, stomp.AckAuto, stomp.SubscribeOpt.Header("activemq.prefetchSize", "8"))
	if err != nil {
		t.Fatalf("subscribe %s: %v", dest, err)
	}
	defer sub.Unsubscribe()
	deadline := time.Now().Add(within)
	// Until the consumer's demand has crossed the network, a message sent
	// to the queue waits where it was sent, and moves once demand arrives.
	got := map[string]bool{}
	for i := range n {
		body := fmt.Sprintf("m-%d", i)
		if err := send.Send(dest, "text/plain", []byte(body), stomp.SendOpt.Receipt); err != nil {
			t.Fatalf("send %s #%d: %v", dest, i, err)
		}
	}
	for len(got) < n {
		select {
		case m := <-sub.C:
			if m.Err != nil {
				t.Fatalf("receive on %s: %v", dest, m.Err)
			}
			if got[string(m.Body)] {
				t.Fatalf("duplicate %q on %s", m.Body, dest)
			}
			got[string(m.Body)] = true
		case <-time.After(time.Until(deadline)):
			t.Fatalf("received %d of %d messages on %s within %v", len(got), n, dest, within)
		}
	}
}
