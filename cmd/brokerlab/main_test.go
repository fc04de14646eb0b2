package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
)

// The tests run the real binary as a child process, as a user or a CI job
// would: flags, exit codes, stdout and stderr are the contract under test.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "brokerlab-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bin = filepath.Join(dir, "brokerlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build brokerlab: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// bound is how long a test waits for a child to do something before it
// gives up. It is a guard against hanging, not a timing assertion.
const bound = 60 * time.Second

// result is a finished short-lived command.
type result struct {
	code           int
	stdout, stderr string
}

// brokerlab runs the binary to completion (killed after bound) in dir.
func brokerlab(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("brokerlab %s did not finish within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), 3*bound, &stdout, &stderr)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("brokerlab %s: %v", strings.Join(args, " "), err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// syncBuffer collects a child's output while the child runs; exec's copying
// goroutine writes, the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a long-running child: `brokerlab broker` or `brokerlab up`.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{} // closed when the child has exited
}

// start runs the binary in the background. Cleanup kills the child (by its
// own PID, nothing else) if the test did not stop it.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s stdout:\n%s\n%s stderr:\n%s", name, p.stdout.String(), name, p.stderr.String())
		}
	})
	return p
}

// readyLines waits for n ready lines on the child's stdout.
func (p *proc) readyLines(t *testing.T, n int) []readyLine {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		text := p.stdout.String()
		complete := text[:strings.LastIndex(text, "\n")+1] // a line still being written is not read
		lines := strings.Split(strings.TrimSuffix(complete, "\n"), "\n")
		if complete != "" && len(lines) >= n {
			var out []readyLine
			for _, l := range lines[:n] {
				var r readyLine
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatalf("%s: stdout line %q is not JSON: %v", p.name, l, err)
				}
				if r.Event != "ready" || len(r.Listeners) == 0 {
					t.Fatalf("%s: unexpected ready line %q", p.name, l)
				}
				out = append(out, r)
			}
			return out
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited (status %d) before printing %d ready lines", p.name, p.cmd.ProcessState.ExitCode(), n)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s printed no %d ready lines within %s", p.name, n, bound)
		}
	}
}

// terminate sends SIGTERM and returns the exit status.
func (p *proc) terminate(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(bound):
		t.Fatalf("%s did not exit within %s of SIGTERM", p.name, bound)
	}
	return p.cmd.ProcessState.ExitCode()
}

// dialSTOMP connects a go-stomp client, over TLS when cfg is set.
func dialSTOMP(t *testing.T, addr string, cfg *tls.Config) *stomp.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		tc := tls.Client(nc, cfg)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			nc.Close()
			t.Fatalf("tls handshake with %s: %v", addr, err)
		}
		tc.SetDeadline(time.Time{})
		nc = tc
	}
	c, err := stomp.Connect(nc, stomp.ConnOpt.HeartBeat(0, 0))
	if err != nil {
		nc.Close()
		t.Fatalf("stomp connect %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return c
}

// sendUntilReceived sends on one node until a message arrives on the
// subscription on another: network demand takes a moment to cross the
// bridges, and messages sent before wait in the sender's queue.
func sendUntilReceived(t *testing.T, sender *stomp.Conn, dest string, sub *stomp.Subscription) *stomp.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		if err := sender.Send(dest, "text/plain", []byte(fmt.Sprintf("hello %d", i))); err != nil {
			t.Fatalf("send: %v", err)
		}
		select {
		case m, ok := <-sub.C:
			if !ok || m.Err != nil {
				t.Fatalf("subscription ended: %v", m)
			}
			return m
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing sent to %s arrived within 10s", dest)
		}
	}
}
