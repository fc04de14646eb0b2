package broker

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/stomp"
)

// A burst that overflows the write buffer after a quiet spell longer than
// the write limit must go out: the deadline is set for each write, not
// left over from the last flush. A peer that stops reading is still cut
// after the limit.
func TestWriteDeadlinePerWrite(t *testing.T) {
	const limit = 50 * time.Millisecond
	a, z := net.Pipe()
	defer a.Close()
	defer z.Close()
	drained := make(chan struct{})
	go func() { io.Copy(io.Discard, z); close(drained) }()
	w := stomp.NewWriter(&deadlineWriter{nc: a, limit: limit})
	f := stomp.New(stomp.MESSAGE, "destination", "/queue/a")
	if err := w.WriteFrame(f); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * limit)
	f.Body = make([]byte, 40<<10) // two of these overflow the 64 KiB buffer: a write before any flush
	for i := range 3 {
		if err := w.WriteFrame(f); err != nil {
			t.Fatalf("frame %d after a quiet spell: %v", i, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("flush after a quiet spell: %v", err)
	}

	z.Close() // nothing reads any more
	<-drained
	b, y := net.Pipe()
	defer b.Close()
	defer y.Close()
	w = stomp.NewWriter(&deadlineWriter{nc: b, limit: limit})
	w.WriteFrame(f)
	start := time.Now()
	err := w.Flush()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a peer that never reads: flush returned %v; want a deadline error", err)
	}
	if took := time.Since(start); took > 100*limit {
		t.Errorf("cut after %v; want about %v", took, limit)
	}
}
