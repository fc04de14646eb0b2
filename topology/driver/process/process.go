// Package process runs every node of a topology as a `brokerlab broker`
// child process on loopback. Each node is rendered exactly as the
// in-process driver renders it, then passed as command-line flags; its
// events come back through its admin endpoint into the same sink.
//
//	Network.Start(node) ──exec──▶ brokerlab broker --name … --listen … --connect … --admin 127.0.0.1:0
//	        ◀── stdout: {"event":"ready",…,"admin":"127.0.0.1:N"}
//	driver.FollowEvents(admin /events?follow=1) ──▶ Options.Events
//
// A node's stderr goes to DIR/<node>/stderr.log, its persistent messages
// to DIR/<node>/data, so a restarted node recovers them. Options.Tune is
// not applied: a child process takes only what its flags say.
package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
)

// ReadyTimeout bounds how long a node may take to print its ready line.
const ReadyTimeout = 15 * time.Second

// Options configure a Network.
type Options struct {
	driver.Options
	// Binary is the brokerlab executable; "" means this process's own.
	Binary string
	// Dir holds each node's data directory and stderr log. Required.
	Dir string
}

// Network is a topology's nodes as child processes.
type Network struct {
	spec  *topology.Spec
	o     Options
	addrs driver.Addresses
	args  map[string][]string

	mu      sync.Mutex
	running map[string]*node
}

var _ driver.Nodes = (*Network)(nil)

// node is one running child.
type node struct {
	cmd    *exec.Cmd
	admin  string
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done
	follow *driver.Follower
}

// New renders every node into its command line; nothing runs until Start.
func New(spec *topology.Spec, o Options) (*Network, error) {
	if o.Dir == "" {
		return nil, errors.New("process: Options.Dir is required (nodes' data and logs go there)")
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("process: Options.Binary is empty and this executable cannot be found: %w", err)
		}
		o.Binary = exe
	}
	if _, err := os.Stat(o.Binary); err != nil {
		return nil, fmt.Errorf("process: Options.Binary: %w", err)
	}
	addrs, err := driver.ResolvePorts(spec)
	if err != nil {
		return nil, err
	}
	dial := o.Dial
	if dial == nil {
		dial = driver.DirectDial
	}
	n := &Network{spec: spec, o: o, addrs: addrs, args: map[string][]string{}, running: map[string]*node{}}
	for _, nd := range spec.Nodes {
		bo, err := driver.Render(spec, nd.Name, addrs, o.Files[nd.Name], dial)
		if err != nil {
			return nil, err
		}
		bo.DataDir = filepath.Join(o.Dir, nd.Name, "data")
		bo.AdminAddr = "127.0.0.1:0"
		n.args[nd.Name] = Args(bo)
		if nd.Security != nil {
			// The child reads the node's security block from a file only
			// its user can read: it may hold passwords.
			path, err := writeSecurity(filepath.Join(o.Dir, nd.Name), nd.Security)
			if err != nil {
				return nil, fmt.Errorf("process: node %s: %w", nd.Name, err)
			}
			n.args[nd.Name] = append(n.args[nd.Name], "--security", path)
		}
	}
	return n, nil
}

// Args is the `brokerlab broker` command line for the options the CLI
// can carry: name, listeners, connectors, TLS files, data and admin.
func Args(o broker.Options) []string {
	args := []string{"broker", "--name", o.Name, "--log", "json", "--admin", o.AdminAddr}
	for _, l := range o.Listen {
		args = append(args, "--listen", l)
	}
	for _, c := range o.Connect {
		args = append(args, "--connect", c)
	}
	for _, f := range [][2]string{{"--tls-cert", o.TLS.CertFile}, {"--tls-key", o.TLS.KeyFile}, {"--tls-ca", o.TLS.TrustFile}, {"--tls-crl", o.TLS.CRLFile}, {"--data", o.DataDir}} {
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	return args
}

// Names lists the nodes in file order.
func (n *Network) Names() []string { return n.spec.NodeNames() }

// Addrs returns a node's listener addresses, whether or not it runs.
func (n *Network) Addrs(name string) []string { return n.addrs[name] }

// Args returns the command line a node runs with (after the binary).
func (n *Network) Args(name string) []string { return n.args[name] }

// Start starts one node and waits for its ready line.
func (n *Network) Start(name string) error {
	args, ok := n.args[name]
	if !ok {
		return fmt.Errorf("process: no node %q; nodes: %v", name, n.Names())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running[name] != nil {
		return fmt.Errorf("process: node %s is already running", name)
	}
	dir := filepath.Join(n.o.Dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("process: node %s: %w", name, err)
	}
	logPath := filepath.Join(dir, "stderr.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("process: node %s: %w", name, err)
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(n.o.Binary, args...)
	cmd.Stderr = logf
	// The child dies with us, so a crashed test leaves no broker behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("process: node %s: start %s: %w", name, n.o.Binary, err)
	}
	nd := &node{cmd: cmd, done: make(chan struct{})}
	ready := make(chan readyLine, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var r readyLine
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.Event == "ready" {
				select { // the first one counts; keep draining stdout either way
				case ready <- r:
				default:
				}
			}
		}
	}()
	go func() {
		nd.err = cmd.Wait()
		close(nd.done)
	}()
	select {
	case r := <-ready:
		nd.admin = r.Admin
	case <-nd.done:
		return fmt.Errorf("process: node %s exited before it was ready (%v); its stderr: %s", name, nd.err, tail(logPath))
	case <-time.After(ReadyTimeout):
		cmd.Process.Kill()
		<-nd.done
		return fmt.Errorf("process: node %s printed no ready line within %v; its stderr: %s", name, ReadyTimeout, tail(logPath))
	}
	if n.o.Events != nil && nd.admin != "" {
		nd.follow = driver.Follow(nd.admin, nd.done, n.o.Events)
	}
	n.running[name] = nd
	return nil
}

type readyLine struct {
	Event string `json:"event"`
	Admin string `json:"admin"`
}

// tail is the end of a log, for an error message.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	if len(data) == 0 {
		return "(empty; " + path + ")"
	}
	return string(data)
}

// StartAll starts every node that is not running, in file order.
func (n *Network) StartAll() error {
	return driver.StartAll(n.Names(), n.Running, n.Start)
}

// Running says whether a node's process is up.
func (n *Network) Running(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running[name] != nil
}

// PID is a running node's process id, or 0.
func (n *Network) PID(name string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd := n.running[name]; nd != nil {
		return nd.cmd.Process.Pid
	}
	return 0
}

// AdminAddr is a running node's admin endpoint, or "".
func (n *Network) AdminAddr(name string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd := n.running[name]; nd != nil {
		return nd.admin
	}
	return ""
}

// Stop sends SIGTERM (the broker shuts down gracefully, at most 5 s) and
// waits; when ctx ends first the process is killed.
func (n *Network) Stop(ctx context.Context, name string) error {
	nd := n.take(name)
	if nd == nil {
		return fmt.Errorf("process: node %s is not running", name)
	}
	nd.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-nd.done:
	case <-ctx.Done():
		nd.cmd.Process.Kill()
		<-nd.done
		nd.follow.Stop()
		return fmt.Errorf("process: node %s did not stop in time and was killed: %w", name, ctx.Err())
	}
	nd.follow.Stop()
	if nd.err != nil {
		return fmt.Errorf("process: node %s: %w", name, nd.err)
	}
	return nil
}

// Kill stops one node with SIGKILL, as a crash would.
func (n *Network) Kill(name string) error {
	nd := n.take(name)
	if nd == nil {
		return fmt.Errorf("process: node %s is not running", name)
	}
	nd.cmd.Process.Kill()
	<-nd.done
	nd.follow.Stop()
	return nil
}

func (n *Network) take(name string) *node {
	n.mu.Lock()
	defer n.mu.Unlock()
	nd := n.running[name]
	delete(n.running, name)
	return nd
}

// Shutdown stops every running node, all at once.
func (n *Network) Shutdown(ctx context.Context) error {
	return driver.StopAll(ctx, n.Names(), n.Running, n.Stop)
}

// Stats reads a running node's /stats.
func (n *Network) Stats(name string) (broker.Stats, bool) {
	return driver.AdminStats(n.AdminAddr(name))
}
