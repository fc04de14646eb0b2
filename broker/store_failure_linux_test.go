package broker_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
)

// storeChildEnv makes TestStoreFailureChild a broker with its store in the
// named directory, for TestStoreFailureIsErrorAndUnhealthy to break.
const storeChildEnv = "BROKERLAB_STORE_FAILURE_CHILD"

// TestStoreFailureChild is not a test: run by TestStoreFailureIsErrorAndUnhealthy
// as a process of its own, it is a broker that logs JSON to stderr,
// prints "STOMP-ADDR ADMIN-ADDR", and lives until its stdin closes.
func TestStoreFailureChild(t *testing.T) {
	dir := os.Getenv(storeChildEnv)
	if dir == "" {
		t.Skip("the broker process of TestStoreFailureIsErrorAndUnhealthy")
	}
	b, err := broker.New(broker.Options{Name: "sick", Listen: []string{"stomp://127.0.0.1:0"}, DataDir: dir, AdminAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err == nil {
		err = b.Start()
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(b.Listeners()[0].Addr, b.AdminAddr())
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// prlimitFileSize sets the largest file process pid may write, as
// RLIMIT_FSIZE: a write past it fails with EFBIG, as a full disk fails
// with ENOSPC, but on this file system alone and without root.
func prlimitFileSize(pid int, limit uint64) error {
	lim := syscall.Rlimit{Cur: limit, Max: limit}
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// A store that fails to write an acknowledgement is an error in the log,
// not an INFO line, and /healthz says the broker is unwell, and why, from
// then on: the store refuses every append until a restart.
func TestStoreFailureIsErrorAndUnhealthy(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreFailureChild$")
	cmd.Env = append(os.Environ(), storeChildEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	addrs := strings.Fields(line)
	if err != nil || len(addrs) != 2 {
		t.Fatalf("broker process did not start: %q %v\n%s", line, err, logs.String())
	}
	health := func() (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addrs[1] + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := health(); code != 200 {
		t.Fatalf("/healthz before any failure: %d %q", code, body)
	}

	c := dial(t, addrs[0])
	const n = 10
	for i := range n {
		if err := c.Send("/queue/f", "text/plain", fmt.Appendf(nil, "m%d", i), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true")); err != nil {
			t.Fatal(err)
		}
	}
	// Every put is on disk (receipted): from here on the segment may not
	// grow, so the first acknowledgement written fails.
	segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one", segs)
	}
	fi, err := os.Stat(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := prlimitFileSize(cmd.Process.Pid, uint64(fi.Size())); err != nil {
		t.Skipf("cannot limit the broker process's file size here: %v", err)
	}
	s, err := c.Subscribe("/queue/f", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		c.Ack(recv(t, s))
	}

	var code int
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, body = health(); code != 200 {
			break
		}
	}
	if code != 503 || !strings.Contains(body, "store failed") || !strings.Contains(body, segs[0]) || !strings.Contains(body, "file too large") {
		t.Fatalf("/healthz after the store failed: %d %q; want 503 naming the store, the file and the error", code, body)
	}
	// The log: the failure, and the acknowledgements it cost, at ERROR.
	var failed, acks bool
	for deadline := time.Now().Add(5 * time.Second); !(failed && acks) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var r map[string]any
			if json.Unmarshal([]byte(l), &r) != nil || r["kind"] != "store" {
				continue
			}
			reason, _ := r["reason"].(string)
			if strings.Contains(reason, "cannot record acknowledgements") {
				if r["level"] != "ERROR" {
					t.Fatalf("a failed acknowledgement write logged at %v: %s", r["level"], l)
				}
				acks = true
			}
			if r["state"] == "failed" && r["level"] == "ERROR" && strings.Contains(reason, segs[0]) && strings.Contains(reason, "refused") {
				failed = true
			}
		}
	}
	if !failed || !acks {
		t.Fatalf("log lacks the store failure at ERROR (%v) or the lost acknowledgements at ERROR (%v):\n%s", failed, acks, logs.String())
	}
	// And it holds: a persistent send is refused, and health stays bad.
	if err := c.Send("/queue/f", "text/plain", []byte("after"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true")); err == nil {
		t.Error("a persistent send was confirmed by a failed store")
	}
	if code, _ := health(); code != 503 {
		t.Errorf("/healthz went back to %d", code)
	}
}
