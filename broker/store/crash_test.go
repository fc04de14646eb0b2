package store

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash test runs the test binary again as a writer (crashChild) and
// kills it with SIGKILL at a random moment, over and over on one
// directory. The writer prints "P id" after Append(put) returns, "a id"
// before Append(ack) and "A id" after it returns; after each kill the parent reopens the store
// and checks that every ID printed as put and not as acked is recovered,
// with its body intact, and that no ID printed as acked ever comes back.
const (
	crashDirEnv   = "BROKERLAB_STORE_CRASH_DIR"
	crashCycleEnv = "BROKERLAB_STORE_CRASH_CYCLE"
	crashSeedEnv  = "BROKERLAB_STORE_CRASH_SEED"
	crashWriters  = 4
)

// crashBody is what the writer stores under id: its size and bytes follow
// from the ID, so the parent can check a recovered body without a copy.
func crashBody(id string) []byte {
	h := crc32.ChecksumIEEE([]byte(id))
	b := make([]byte, 16+h%2048)
	for i := range b {
		b[i] = byte(h >> (8 * (i % 4)))
	}
	return b
}

func crashPut(id string) Record {
	return Record{Kind: Put, ID: id, Dest: "/queue/crash", Headers: []Header{{"persistent", "true"}}, Body: crashBody(id)}
}

func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns and kills writer processes")
	}
	seed := uint64(1)
	if v := os.Getenv(crashSeedEnv); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (set %s to repeat another)", seed, crashSeedEnv)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()

	live := map[string]bool{}  // put and not acked, as far as the parent knows
	acked := map[string]bool{} // printed as acked: must never come back
	var puts, acks, truncations int
	const cycles = 20
	for cycle := range cycles {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, fmt.Sprintf("%s=%d", crashCycleEnv, cycle))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var lines []string
		read := make(chan struct{})
		go func() {
			defer close(read)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
		}()
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-read
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("cycle %d: writer was not killed but ended: %v\n%s", cycle, err, stderr.String())
		}
		for _, l := range lines {
			op, id, ok := strings.Cut(l, " ")
			switch {
			case !ok:
			case op == "P":
				live[id] = true
				puts++
			case op == "a": // an ack is under way: the put may go either way
				delete(live, id)
			case op == "A":
				delete(live, id)
				acked[id] = true
				acks++
			}
		}

		s, rec, err := Open(Options{Dir: dir, SegmentSize: 64 << 10})
		if err != nil {
			t.Fatalf("cycle %d: reopen after kill: %v", cycle, err)
		}
		if rec.Truncated != nil {
			truncations++
			t.Logf("cycle %d: %s", cycle, rec.Truncated)
		}
		got := map[string]bool{}
		last := map[string]int{} // per writer stream: append order holds
		for _, m := range records(t, s, rec) {
			if acked[m.ID] {
				t.Fatalf("cycle %d: %s was acked and came back", cycle, m.ID)
			}
			if !bytes.Equal(m.Body, crashBody(m.ID)) {
				t.Fatalf("cycle %d: %s: body differs", cycle, m.ID)
			}
			stream, n, _ := strings.Cut(m.ID, "#")
			i, _ := strconv.Atoi(n)
			if j, ok := last[stream]; ok && i <= j {
				t.Fatalf("cycle %d: %s recovered after #%d", cycle, m.ID, j)
			}
			last[stream] = i
			got[m.ID] = true
		}
		for id := range live {
			if !got[id] {
				t.Fatalf("cycle %d: %s was acknowledged to its writer and is lost", cycle, id)
			}
		}
		// Puts whose Append had not returned may or may not be there;
		// from now on the store's word is what is live.
		live = got
		mustClose(t, s)
	}
	t.Logf("%d kill cycles: %d puts and %d acks acknowledged, all kept; %d torn tails cut; %d live in %d segments at the end",
		cycles, puts, acks, truncations, len(live), len(segFiles(t, dir)))
}

// crashChild appends until it is killed. At start it acks half of what it
// recovered, so acks land in later segments than their puts and deletions
// happen under the knife too.
func crashChild(dir string) {
	cycle := os.Getenv(crashCycleEnv)
	s, rec, err := Open(Options{Dir: dir, SegmentSize: 64 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	say := func(op, id string) {
		mu.Lock()
		os.Stdout.WriteString(op + " " + id + "\n") // one write: whole lines survive the kill
		mu.Unlock()
	}
	for i, m := range rec.Messages {
		if i%2 == 0 {
			say("a", m.ID)
			if err := s.Append(ack(m.ID)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			say("A", m.ID)
		}
	}
	for w := range crashWriters {
		go func() {
			var mine []string
			for i := 0; ; i++ {
				id := fmt.Sprintf("c%s-w%d#%d", cycle, w, i)
				if err := s.Append(crashPut(id)); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				say("P", id)
				mine = append(mine, id)
				if i%4 != 3 && len(mine) > 2 { // ack three of four, a little late
					a := mine[0]
					mine = mine[1:]
					say("a", a)
					if err := s.Append(ack(a)); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(2)
					}
					say("A", a)
				}
			}
		}()
	}
	// The parent kills well before this; do not outlive it if it died.
	time.Sleep(30 * time.Second)
	os.Exit(3)
}
