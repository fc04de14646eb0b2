package broker_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkIdleConnections opens idle STOMP connections (CONNECT done,
// no heart-beats) to a broker in its own process and reports the broker's
// resident memory per connection. BROKERLAB_IDLE_CONNS sets how many
// (default 10000; each process may hold 20000 descriptors here).
func BenchmarkIdleConnections(b *testing.B) {
	n := 10000
	if s := os.Getenv("BROKERLAB_IDLE_CONNS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for range b.N {
		cmd, addr := startCrashChild(b, "-")
		before := rssKiB(b, cmd.Process.Pid)
		conns := make([]net.Conn, 0, n)
		for i := range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatalf("connection %d: %v", i, err)
			}
			fmt.Fprint(c, "CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\x00")
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != "CONNECTED\n" {
				b.Fatalf("connection %d: %q %v", i, line, err)
			}
			conns = append(conns, c)
		}
		after := rssKiB(b, cmd.Process.Pid)
		b.ReportMetric(float64(after-before)*1024/float64(n), "bytes/idle-conn")
		b.ReportMetric(float64(n), "conns")
		for _, c := range conns {
			c.Close()
		}
	}
}

func rssKiB(b *testing.B, pid int) int {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
