package broker_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker"
)

// The idle-connection benchmark runs this test binary again as a broker
// process (the child), so that its memory is the broker's alone. The crash
// test, which kills a broker with SIGKILL, runs the real `brokerlab broker`
// binary: see cmd/brokerlab/crash_test.go.
const crashChildEnv = "BROKERLAB_CRASH_CHILD_DATA"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		runCrashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func runCrashChild(dir string) {
	if dir == "-" {
		dir = "" // no store: the idle-connection benchmark's broker
	}
	b, err := broker.New(broker.Options{Name: "crash", Listen: []string{"stomp://127.0.0.1:0"}, DataDir: dir})
	if err == nil {
		err = b.Start()
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(b.Listeners()[0].Addr)
	select {} // until killed
}

func startCrashChild(t testing.TB, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error:") {
		t.Fatalf("child broker did not start: %q %v", line, err)
	}
	return cmd, strings.TrimSpace(line)
}

// TestKillNineLosesNoPersistentMessage: a broker process is killed with
// SIGKILL at random moments while a producer sends persistent messages
// (each confirmed by a RECEIPT) and a consumer takes some. After each
// restart on the same data directory, every confirmed message must still
// arrive; one that was acknowledged just before the kill may arrive twice.
