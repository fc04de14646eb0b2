package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestBenchParseStat(t *testing.T) {
	// The command name may hold spaces and parentheses: fields are counted
	// from the last ')'.
	line := "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 12345 0 0 0 1500 250 0 0 20 0 57 0 123456 4000000000 100000 18446744073709551615\n"
	got, err := parseStat(line)
	if err != nil || got != 1750 {
		t.Errorf("parseStat = %d, %v; want 1750 ticks (utime 1500 + stime 250)", got, err)
	}
	for _, bad := range []string{"", "4242 java S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 12345 0 0 0 many 250 0"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestBenchClockTick(t *testing.T) {
	// USER_HZ is 100 on every Linux Go runs on; the auxiliary vector says so.
	if got := auxvClockTicks(); got != 100 {
		t.Errorf("AT_CLKTCK = %d, want 100", got)
	}
	if ClockTick() != 10*time.Millisecond {
		t.Errorf("ClockTick = %v, want 10ms", ClockTick())
	}
}

// /proc/PID/stat of a child broker: readable while it runs, never
// decreasing, gone once it is stopped.
func TestBenchProcCPUOfChild(t *testing.T) {
	c, err := StartChild(context.Background(), append(brokerCmd(t), "--name", "cpu", "--listen", "stomp://127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	if c.Node != "cpu" || len(c.Listeners) != 1 || !strings.HasPrefix(c.Listeners[0].Addr, "127.0.0.1:") {
		t.Errorf("ready line read as node %q, listeners %+v", c.Node, c.Listeners)
	}
	a, err := ProcCPU(c.PID)
	if err != nil {
		t.Fatal(err)
	}
	// Load it a little, so there is something to count.
	if _, err := Run(context.Background(), Options{
		Targets: []Target{{Transport: Plaintext, Addr: c.Listeners[0].Addr, PID: c.PID}},
		Shapes:  []string{ShapeClosed}, Count: 300, Warmup: -1, RunTimeout: 30 * time.Second,
	}); err != nil {
		t.Fatal(err)
	}
	b, err := ProcCPU(c.PID)
	if err != nil {
		t.Fatal(err)
	}
	if a < 0 || b < a || b%ClockTick() != 0 {
		t.Errorf("CPU time went from %v to %v, want a growing multiple of %v", a, b, ClockTick())
	}
	self, err := SelfCPU()
	if err != nil || self <= 0 {
		t.Errorf("SelfCPU = %v, %v", self, err)
	}
	c.Stop()
	if gone, why := c.Exited(); !gone || !strings.Contains(why, "exited") {
		t.Errorf("after Stop: exited %v (%s)", gone, why)
	}
	if _, err := ProcCPU(c.PID); err == nil {
		t.Errorf("ProcCPU of a reaped child succeeded")
	}
}

func TestBenchStartChildFailures(t *testing.T) {
	// A broker that refuses its flags exits before it is ready.
	_, err := StartChild(context.Background(), append(brokerCmd(t), "--no-such-flag"))
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("bad flags: %v", err)
	}
	// A program that prints something else.
	if _, err := os.Stat("/bin/echo"); err == nil {
		_, err := StartChild(context.Background(), []string{"/bin/echo", "hello"})
		if err == nil || !strings.Contains(err.Error(), "want a ready line") {
			t.Errorf("echo: %v", err)
		}
	}
	if _, err := StartChild(context.Background(), []string{"/no/such/brokerlab"}); err == nil {
		t.Error("a command that does not exist started")
	}
	if _, err := StartChild(context.Background(), nil); err == nil {
		t.Error("an empty command started")
	}
}
