package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ReadyTimeout bounds the wait for a child broker's ready line.
const ReadyTimeout = 15 * time.Second

// Child is a broker running as a child process, so that its CPU time is
// its own and not mixed with the load generator's.
type Child struct {
	PID       int
	Node      string
	Listeners []ChildListener
	Admin     string // HOST:PORT of its /stats, /healthz...; "" when it serves none

	cmd    *exec.Cmd
	stderr *tail
	done   chan struct{} // closed when the process has been waited for
	err    error         // Wait's result, valid after done
	once   sync.Once
}

// ChildListener is one bound listener from the ready line.
type ChildListener struct {
	URI  string `json:"uri"`
	Addr string `json:"addr"`
}

// StartChild runs argv (e.g. [/path/to/brokerlab broker --name b --listen
// stomp://127.0.0.1:0]) and waits, at most ReadyTimeout, for the one JSON
// line `brokerlab broker` prints on stdout once its listeners are bound:
//
//	{"event":"ready","node":"b","listeners":[{"uri":"stomp://127.0.0.1:40001","addr":"127.0.0.1:40001"}]}
//
// The child dies with this process (Pdeathsig), so an interrupted bench
// leaves no broker behind; Stop ends it earlier.
func StartChild(ctx context.Context, argv []string) (*Child, error) {
	if len(argv) == 0 {
		return nil, errors.New("bench: no command to start the broker with")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second // stderr is copied by a goroutine: never wait on it forever
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: start broker: %w", err)
	}
	c := &Child{cmd: cmd, stderr: &tail{max: 4096}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	// Pdeathsig is sent when the thread that forked the child ends, not the
	// process, and Go ends threads when it likes (golang/go#27505): fork
	// from a goroutine locked to its thread, and keep that goroutine (and
	// so the thread) until the child has exited.
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		err := cmd.Start()
		started <- err
		if err == nil {
			<-c.done
		}
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("bench: start broker %s: %w", argv[0], err)
	}
	c.PID = cmd.Process.Pid

	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, br) // a full pipe must never block the broker
		c.err = cmd.Wait()
		close(c.done)
	}()

	timer := time.NewTimer(ReadyTimeout)
	defer timer.Stop()
	var line string
	select {
	case line = <-lines:
	case <-timer.C:
		c.Stop()
		return nil, fmt.Errorf("bench: broker (pid %d) printed no ready line within %s%s", c.PID, ReadyTimeout, c.stderr.say())
	case <-ctx.Done():
		c.Stop()
		return nil, fmt.Errorf("bench: start broker: %w", ctx.Err())
	}
	var ready struct {
		Event     string          `json:"event"`
		Node      string          `json:"node"`
		Listeners []ChildListener `json:"listeners"`
		Admin     string          `json:"admin"`
	}
	if err := json.Unmarshal([]byte(line), &ready); err != nil || ready.Event != "ready" {
		c.Stop()
		<-c.done
		if strings.TrimSpace(line) == "" {
			return nil, fmt.Errorf("bench: broker (pid %d) exited before it was ready (%v)%s", c.PID, c.err, c.stderr.say())
		}
		return nil, fmt.Errorf("bench: broker (pid %d): want a ready line, got %.200q%s", c.PID, line, c.stderr.say())
	}
	c.Node, c.Listeners, c.Admin = ready.Node, ready.Listeners, ready.Admin
	return c, nil
}

// Stop asks the child to shut down (SIGTERM, to its own PID), and kills it
// if it has not exited within 6 s (a broker's graceful shutdown takes at
// most 5). It returns once the process has been reaped. Safe to call more
// than once.
func (c *Child) Stop() {
	c.once.Do(func() {
		select {
		case <-c.done:
			return
		default:
		}
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(6 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	<-c.done
}

// Exited says whether the child has ended, and if so why (with the end of
// its stderr): a broker that dies mid-run explains a failed run.
func (c *Child) Exited() (bool, string) {
	select {
	case <-c.done:
		return true, fmt.Sprintf("broker (pid %d) exited: %v%s", c.PID, c.err, c.stderr.say())
	default:
		return false, ""
	}
}

// tail keeps the last max bytes written to it: the end of a child's stderr,
// for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// say is the tail as the end of an error message, or "" when empty.
func (t *tail) say() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	return "; its stderr ends:\n" + s
}
